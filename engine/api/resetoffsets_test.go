package api

import (
	"maps"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// TestDecodeResetOffsets: each mistake in a resetOffsets body gets its own message naming the
// field, and both field names Druid has used for the stream and the offsets are accepted.
func TestDecodeResetOffsets(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		stream     string
		offsets    map[druidapi.Partition]int64
		err        string
	}{
		{name: "end offsets", body: `{"type":"kafka","partitions":{"type":"end","stream":"s","partitionOffsetMap":{"0":100,"2":650}}}`,
			stream: "s", offsets: map[druidapi.Partition]int64{{ID: 0}: 100, {ID: 2}: 650}},
		{name: "topic and sequence numbers", body: `{"type":"kafka","partitions":{"topic":"s","partitionSequenceNumberMap":{"1":0}}}`,
			stream: "s", offsets: map[druidapi.Partition]int64{{ID: 1}: 0}},
		{name: "topic:partition keys", body: `{"type":"kafka","partitions":{"type":"end","stream":"metrics-.*","partitionOffsetMap":{"metrics-a:0":5,"metrics-b:2":7}}}`,
			stream: "metrics-.*", offsets: map[druidapi.Partition]int64{{Topic: "metrics-a", ID: 0}: 5, {Topic: "metrics-b", ID: 2}: 7}},
		{name: "malformed", body: `{"type":`, err: "not valid DataSourceMetadata JSON"},
		{name: "type", body: `{"type":"kinesis","partitions":{}}`, err: `metadata type must be "kafka" to match supervisor [sup], got "kinesis"`},
		{name: "no partitions", body: `{"type":"kafka"}`, err: `missing "partitions"`},
		{name: "start partitions", body: `{"type":"kafka","partitions":{"type":"start","stream":"s","partitionOffsetMap":{"0":1}}}`, err: `partitions.type must be "end"`},
		{name: "no offsets", body: `{"type":"kafka","partitions":{"stream":"s","partitionOffsetMap":{}}}`, err: "no partition offsets (partitions.partitionOffsetMap)"},
		{name: "partition", body: `{"type":"kafka","partitions":{"stream":"s","partitionOffsetMap":{"x":1}}}`, err: `partition "x" is not a partition number`},
		{name: "negative partition", body: `{"type":"kafka","partitions":{"stream":"s","partitionOffsetMap":{"-1":1}}}`, err: `partition "-1" is not a partition number`},
		{name: "negative offset", body: `{"type":"kafka","partitions":{"stream":"s","partitionOffsetMap":{"3":-2}}}`, err: "offset -2 for partition 3 must be ≥ 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md, err := decodeResetOffsets("sup", []byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil || md.Stream != tc.stream || !maps.Equal(md.Offsets, tc.offsets) {
				t.Fatalf("got %+v, %v; want stream %q offsets %v", md, err, tc.stream, tc.offsets)
			}
		})
	}
}
