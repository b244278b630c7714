package task

import (
	"slices"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// TestDecodeMultiTopicPayload: a task of a topicPattern supervisor keys its partitions
// topic:partition, and its stream is the pattern; mixed keys and topics outside the pattern
// are refused with the JSON path of the offending partition.
func TestDecodeMultiTopicPayload(t *testing.T) {
	raw := func(stream, startMap, endMap string) []byte {
		return []byte(`{"type":"index_kafka","id":"mt","dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts"}},` +
			`"ioConfig":{"type":"kafka","startSequenceNumbers":{"type":"start","stream":"` + stream + `","partitionSequenceNumberMap":` + startMap + `},` +
			`"endSequenceNumbers":{"type":"end","stream":"` + stream + `","partitionSequenceNumberMap":` + endMap + `},` +
			`"consumerProperties":{"bootstrap.servers":"x:1"},"inputFormat":{"type":"json"}}}`)
	}
	s, err := DecodePayload(raw("metrics-.*", `{"metrics-a:0":5,"metrics-b:1":7}`, `{"metrics-a:0":9}`))
	if err != nil {
		t.Fatal(err)
	}
	a0, b1 := druidapi.Partition{Topic: "metrics-a", ID: 0}, druidapi.Partition{Topic: "metrics-b", ID: 1}
	if !s.MultiTopic() || s.Start[a0] != 5 || s.Start[b1] != 7 || s.End[a0] != 9 || s.End[b1] != EndOfPartition {
		t.Fatalf("multi %v start %v end %v", s.MultiTopic(), s.Start, s.End)
	}
	if got := s.Topics(s.Start.Partitions()); len(got) != 2 || got["metrics-a"][0] != 0 || got["metrics-b"][0] != 1 {
		t.Fatalf("Topics = %v", got)
	}
	if p := s.PartitionOf("metrics-b", 1); p != b1 {
		t.Fatalf("PartitionOf = %v", p)
	}
	enc := string(s.Encode())
	for _, want := range []string{`"multiTopic":true`, `"partitionSequenceNumberMap":{"metrics-a:0":5,"metrics-b:1":7}`, `"stream":"metrics-.*"`} {
		if !strings.Contains(enc, want) {
			t.Fatalf("encoded payload lacks %s:\n%s", want, enc)
		}
	}
	single, err := DecodePayload(raw("events", `{"0":5}`, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if single.MultiTopic() || strings.Contains(string(single.Encode()), "multiTopic") {
		t.Fatalf("single-topic payload: %s", single.Encode())
	}
	for _, tc := range []struct{ name, stream, start, end, want string }{
		{"mixed keys", "metrics-.*", `{"metrics-a:0":5,"1":7}`, `{}`, "ioConfig.startSequenceNumbers.partitionSequenceNumberMap.1: must be keyed topic:partition"},
		{"end keyed differently", "metrics-.*", `{"metrics-a:0":5}`, `{"0":9}`, "ioConfig.endSequenceNumbers.partitionSequenceNumberMap.0: must be keyed like the start offsets"},
		{"topic outside the pattern", "metrics-.*", `{"other:0":5}`, `{}`, `partitionSequenceNumberMap.other:0: topic "other" does not match the stream's pattern "metrics-.*"`},
		{"bad pattern", "metrics-(", `{"metrics-a:0":5}`, `{}`, "ioConfig.topicPattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePayload(raw(tc.stream, tc.start, tc.end))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestDecodeInheritedPartitions: startSequenceNumbers.inheritedPartitions (the partitions a
// supervisor handed over from an earlier group's end offsets) is optional, read sorted and
// without duplicates, written back only when set, and must name partitions of the start.
func TestDecodeInheritedPartitions(t *testing.T) {
	raw := func(startExtra, endExtra string) []byte {
		return []byte(`{"type":"index_kafka","id":"inh","dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts"}},` +
			`"ioConfig":{"type":"kafka","startSequenceNumbers":{"type":"start","stream":"events","partitionSequenceNumberMap":{"0":5,"1":7,"2":9}` + startExtra + `},` +
			`"endSequenceNumbers":{"type":"end","stream":"events","partitionSequenceNumberMap":{}` + endExtra + `},` +
			`"consumerProperties":{"bootstrap.servers":"x:1"},"inputFormat":{"type":"json"}}}`)
	}
	old, err := DecodePayload(raw("", ""))
	if err != nil {
		t.Fatal(err)
	}
	if old.Inherited != nil || strings.Contains(string(old.Encode()), "inheritedPartitions") {
		t.Fatalf("payload without the field: inherited %v, encoded %s", old.Inherited, old.Encode())
	}
	s, err := DecodePayload(raw(`,"exclusivePartitions":[],"inheritedPartitions":["2","0","2"]`, ""))
	if err != nil {
		t.Fatal(err)
	}
	want := []druidapi.Partition{{ID: 0}, {ID: 2}}
	if !slices.Equal(s.Inherited, want) {
		t.Fatalf("Inherited = %v, want %v", s.Inherited, want)
	}
	again, err := DecodePayload(s.Encode())
	if err != nil || !slices.Equal(again.Inherited, want) || !strings.Contains(string(s.Encode()), `"inheritedPartitions":["0","2"]`) {
		t.Fatalf("round trip: %v, %v\n%s", again, err, s.Encode())
	}
	for _, tc := range []struct{ name, start, end, want string }{
		{"partition without a start offset", `,"inheritedPartitions":["0","3"]`, "", `ioConfig.startSequenceNumbers.inheritedPartitions[1]: partition "3" has no start offset`},
		{"on the end offsets", "", `,"inheritedPartitions":["0"]`, "ioConfig.endSequenceNumbers.inheritedPartitions: only start offsets are inherited"},
		{"not a partition key", `,"inheritedPartitions":["x"]`, "", "malformed task JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePayload(raw(tc.start, tc.end))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
