package input

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// BenchmarkParseProtobuf parses BenchmarkParse's rows encoded as Protobuf messages (an inline
// descriptor), to compare with the json and csv cases:
//
//	go test -run '^$' -bench ParseProtobuf -benchmem -cpu 1 ./engine/input/
func BenchmarkParseProtobuf(b *testing.B) {
	const src = `syntax = "proto3";
message Wiki {
  string timestamp = 1; string page = 2; string user = 3; string country = 4; string channel = 5;
  string agent = 6; bool isRobot = 7; int64 added = 8; int64 deleted = 9; double delta = 10;
}`
	c := protocompile.Compiler{Resolver: &protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(map[string]string{"wiki.proto": src})}}
	files, err := c.Compile(context.Background(), "wiki.proto")
	if err != nil {
		b.Fatal(err)
	}
	set, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{protodesc.ToFileDescriptorProto(files[0])}})
	if err != nil {
		b.Fatal(err)
	}
	md := files[0].Messages().Get(0)
	var data [][]byte
	var bytes int64
	for _, row := range benchData("json") {
		m := dynamicpb.NewMessage(md)
		if err := protojson.Unmarshal(row, m); err != nil {
			b.Fatal(err)
		}
		enc, err := proto.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, enc)
		bytes += int64(len(enc))
	}
	b.Run(fmt.Sprintf("rows=%d/format=protobuf", benchRows), func(b *testing.B) {
		p, err := NewParser(Config{Format: &spec.InputFormat{Type: "protobuf", ProtoBytesDecoder: &spec.ProtoBytesDecoder{
			Type: "inline", DescriptorString: base64.StdEncoding.EncodeToString(set)}}, Timestamp: &spec.TimestampSpec{Column: "timestamp", Format: "auto"}})
		if err != nil {
			b.Fatal(err)
		}
		var sink int64
		emit := func(r *Row) error {
			sink += r.Time
			for i := 0; i < r.Len(); i++ {
				_, v := r.Field(i)
				sink += int64(v.Kind())
			}
			return nil
		}
		// Verify before timing: every field but an unset (false or zero) one is present.
		if err := p.Parse(Record{Value: data[0]}, func(r *Row) error {
			if r.Len() < 8 || r.Time < 1689984000000 {
				return fmt.Errorf("bad row %s", render(r))
			}
			return nil
		}); err != nil {
			b.Fatalf("verify: %v", err)
		}
		b.SetBytes(bytes / int64(len(data)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := p.Parse(Record{Value: data[i%len(data)]}, emit); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		_ = sink
	})
}
