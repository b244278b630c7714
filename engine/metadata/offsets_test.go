package metadata

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

func md(stream string, kv ...int64) DataSourceMetadata {
	m := DataSourceMetadata{Stream: stream, Offsets: map[druidapi.Partition]int64{}}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Offsets[druidapi.Partition{ID: int32(kv[i])}] = kv[i+1]
	}
	return m
}

func TestDataSourceMetadataPlusMinus(t *testing.T) {
	tests := []struct {
		name      string
		a, b      DataSourceMetadata
		plus      DataSourceMetadata
		minus     DataSourceMetadata
		matches   bool
		matchesBA bool
	}{
		{
			name: "disjoint partitions", a: md("t", 0, 10), b: md("t", 1, 20),
			plus: md("t", 0, 10, 1, 20), minus: md("t", 0, 10), matches: true,
		},
		{
			name: "overlap equal", a: md("t", 0, 10, 1, 5), b: md("t", 1, 5, 2, 7),
			plus: md("t", 0, 10, 1, 5, 2, 7), minus: md("t", 0, 10), matches: true,
		},
		{
			name: "overlap different", a: md("t", 0, 10, 1, 5), b: md("t", 1, 6),
			plus: md("t", 0, 10, 1, 6), minus: md("t", 0, 10), matches: false,
		},
		{
			name: "other stream", a: md("t", 0, 10), b: md("u", 0, 10),
			plus: md("u", 0, 10), minus: md("t", 0, 10), matches: false,
		},
		{
			name: "empty other", a: md("t", 0, 10), b: DataSourceMetadata{Stream: "t"},
			plus: md("t", 0, 10), minus: md("t", 0, 10), matches: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.a.Clone()
			if got := tt.a.Plus(tt.b); !got.Equal(tt.plus) {
				t.Errorf("Plus = %v, want %v", got, tt.plus)
			}
			if got := tt.a.Minus(tt.b); !got.Equal(tt.minus) {
				t.Errorf("Minus = %v, want %v", got, tt.minus)
			}
			if got := tt.a.Matches(tt.b); got != tt.matches {
				t.Errorf("Matches = %v, want %v", got, tt.matches)
			}
			if got := tt.b.Matches(tt.a); got != tt.matches {
				t.Errorf("reverse Matches = %v, want %v", got, tt.matches)
			}
			if !tt.a.Equal(before) {
				t.Errorf("receiver modified: %v, was %v", tt.a, before)
			}
		})
	}
}

func TestDataSourceMetadataMarshal(t *testing.T) {
	m := md("t", 10, 5, 0, 230985, 2, 1)
	got, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"kafka","partitions":{"type":"end","stream":"t","topic":"t",` +
		`"partitionSequenceNumberMap":{"0":230985,"2":1,"10":5},"partitionOffsetMap":{"0":230985,"2":1,"10":5}}}`
	if string(got) != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", got, want)
	}
	multi, err := json.Marshal(DataSourceMetadata{Stream: "metrics-.*", Offsets: map[druidapi.Partition]int64{
		{Topic: "metrics-b", ID: 0}: 3, {Topic: "metrics-a", ID: 10}: 2, {Topic: "metrics-a", ID: 2}: 1}})
	if err != nil {
		t.Fatal(err)
	}
	wantMulti := `{"type":"kafka","partitions":{"type":"end","stream":"metrics-.*","topic":"metrics-.*",` +
		`"partitionSequenceNumberMap":{"metrics-a:2":1,"metrics-a:10":2,"metrics-b:0":3},` +
		`"partitionOffsetMap":{"metrics-a:2":1,"metrics-a:10":2,"metrics-b:0":3}}}`
	if string(multi) != wantMulti {
		t.Fatalf("Marshal multi-topic =\n%s\nwant\n%s", multi, wantMulti)
	}
	empty, err := json.Marshal(DataSourceMetadata{Stream: `a"b`})
	if err != nil {
		t.Fatal(err)
	}
	wantEmpty := `{"type":"kafka","partitions":{"type":"end","stream":"a\"b","topic":"a\"b",` +
		`"partitionSequenceNumberMap":{},"partitionOffsetMap":{}}}`
	if string(empty) != wantEmpty {
		t.Fatalf("Marshal empty =\n%s\nwant\n%s", empty, wantEmpty)
	}
}

func TestDataSourceMetadataUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    DataSourceMetadata
		wantErr string
	}{
		{
			name: "druid stored shape",
			in: `{"type":"kafka","partitions":{"type":"end","stream":"t","topic":"t",` +
				`"partitionSequenceNumberMap":{"0":230985,"1":1200},"partitionOffsetMap":{"0":230985,"1":1200}}}`,
			want: md("t", 0, 230985, 1, 1200),
		},
		{
			name: "topic alias and offset map alias, no type",
			in:   `{"type":"kafka","partitions":{"topic":"x","partitionOffsetMap":{"3":7}}}`,
			want: md("x", 3, 7),
		},
		{
			name: "start form",
			in:   `{"type":"kafka","partitions":{"type":"start","stream":"x","partitionSequenceNumberMap":{"1":2},"exclusivePartitions":[]}}`,
			want: md("x", 1, 2),
		},
		{
			name: "stream wins over topic",
			in:   `{"partitions":{"stream":"s","topic":"t","partitionSequenceNumberMap":{"0":1}}}`,
			want: md("s", 0, 1),
		},
		{
			name:    "bad partitions type",
			in:      `{"type":"kafka","partitions":{"type":"middle","stream":"t","partitionSequenceNumberMap":{}}}`,
			wantErr: `partitions.type "middle": must be "start" or "end"`,
		},
		{
			name:    "bad type",
			in:      `{"type":"kinesis","partitions":{"stream":"t"}}`,
			wantErr: `type "kinesis": must be "kafka"`,
		},
		{
			name:    "bad partition key",
			in:      `{"type":"kafka","partitions":{"stream":"t","partitionSequenceNumberMap":{"a:x":1}}}`,
			wantErr: `partition "a:x"`,
		},
		{
			name: "multi-topic keys split at the last colon",
			in:   `{"type":"kafka","partitions":{"type":"end","stream":"metrics-.*","partitionSequenceNumberMap":{"metrics-a:0":5,"metrics-b:1":7}}}`,
			want: DataSourceMetadata{Stream: "metrics-.*", Offsets: map[druidapi.Partition]int64{
				{Topic: "metrics-a", ID: 0}: 5, {Topic: "metrics-b", ID: 1}: 7}},
		},
		{
			name:    "missing partitions",
			in:      `{"type":"kafka"}`,
			wantErr: `partitions: missing`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got DataSourceMetadata
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			// Round trip through the stored shape.
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var again DataSourceMetadata
			if err := json.Unmarshal(b, &again); err != nil {
				t.Fatal(err)
			}
			if !again.Equal(tt.want) {
				t.Fatalf("round trip got %v, want %v", again, tt.want)
			}
		})
	}
}

func TestSegmentIDString(t *testing.T) {
	start := time.Date(2023, 7, 5, 0, 0, 0, 0, time.UTC)
	id := SegmentID{DataSource: "wiki", Start: start, End: start.Add(time.Hour), Version: "2023-07-05T00:12:33.001Z"}
	if got, want := id.String(), "wiki_2023-07-05T00:00:00.000Z_2023-07-05T01:00:00.000Z_2023-07-05T00:12:33.001Z"; got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
	id.Partition = 3
	if got, want := id.String(), "wiki_2023-07-05T00:00:00.000Z_2023-07-05T01:00:00.000Z_2023-07-05T00:12:33.001Z_3"; got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
	id.Start = start.In(time.FixedZone("x", 3600))
	if got := id.String(); !strings.HasPrefix(got, "wiki_2023-07-05T00:00:00.000Z_") {
		t.Errorf("String in other zone = %s", got)
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"mismatch retryable", &OffsetMismatchError{Retryable: true}, true},
		{"mismatch final", &OffsetMismatchError{}, false},
		{"wrapped mismatch", errors.Join(errors.New("x"), &OffsetMismatchError{Retryable: true}), true},
		{"concurrent update", ErrConcurrentUpdate, true},
		{"conflict", ErrConflict, false},
		{"not found", ErrNotFound, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRetryable(tt.err); got != tt.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if !errors.Is(ErrConcurrentUpdate, ErrConflict) {
		t.Error("ErrConcurrentUpdate does not wrap ErrConflict")
	}
}

func TestDataSourceMetadataUncommitted(t *testing.T) {
	p := func(id int32) druidapi.Partition { return druidapi.Partition{ID: id} }
	stored := md("t", 0, 10, 1, 5)
	tests := []struct {
		name      string
		stored    DataSourceMetadata
		start     DataSourceMetadata
		inherited []druidapi.Partition
		want      []druidapi.Partition
	}{
		{"all stored", stored, md("t", 0, 10, 1, 5), []druidapi.Partition{p(0), p(1)}, nil},
		{"one not stored", stored, md("t", 0, 10, 2, 3), []druidapi.Partition{p(2), p(0), p(2)}, []druidapi.Partition{p(2)}},
		{"nothing stored", DataSourceMetadata{Stream: "t"}, md("t", 1, 3, 0, 4), []druidapi.Partition{p(1), p(0)}, []druidapi.Partition{p(0), p(1)}},
		{"not inherited", stored, md("t", 2, 3), nil, nil},
		{"inherited but not in start", stored, md("t", 0, 10), []druidapi.Partition{p(3)}, nil},
		{"other stream", stored, md("u", 2, 3), []druidapi.Partition{p(2)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.stored.Uncommitted(tt.start, tt.inherited); !slices.Equal(got, tt.want) {
				t.Errorf("Uncommitted = %v, want %v", got, tt.want)
			}
		})
	}
}
