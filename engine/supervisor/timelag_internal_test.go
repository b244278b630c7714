package supervisor

import (
	"context"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TestMeasureTimeLag measures the time lag on a real (kfake) broker: partition 0 holds records
// stamped one minute apart and the reader is at its second record, so it is the newest record's
// time minus the second's; partition 1 is read to its end (0); partition 2 has no reader and is
// left out.
func TestMeasureTimeLag(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "tl"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.DefaultProduceTopic("tl"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, &kgo.Record{Partition: 0, Timestamp: t0.Add(time.Duration(i) * time.Minute), Value: []byte("{}")})
	}
	recs = append(recs, &kgo.Record{Partition: 1, Timestamp: t0, Value: []byte("{}")}, &kgo.Record{Partition: 2, Timestamp: t0, Value: []byte("{}")})
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	sp, err := spec.Decode([]byte(`{"type":"kafka","dataSchema":{"dataSource":"tl","timestampSpec":{"column":"ts"},"dimensionsSpec":{"dimensions":[]}},
	  "ioConfig":{"topic":"tl","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"` + broker + `"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := &runtime{id: "tl", spec: sp, log: slog.New(slog.DiscardHandler)}
	if err := r.connect(); err != nil {
		t.Fatal(err)
	}
	defer r.client.Close()
	p0, p1, p2 := druidapi.Partition{ID: 0}, druidapi.Partition{ID: 1}, druidapi.Partition{ID: 2}
	got := r.measureTimeLag(t.Context(), task.Offsets{p0: 5, p1: 1, p2: 1}, task.Offsets{p0: 1, p1: 1})
	want := map[druidapi.Partition]int64{p0: 3 * time.Minute.Milliseconds(), p1: 0}
	if !maps.Equal(got, want) {
		t.Errorf("time lag %v, want %v", got, want)
	}
}

// TestMeasureTimeLagTopicPattern measures across two topics of a topicPattern supervisor, whose
// partitions are keyed topic:partition.
func TestMeasureTimeLagTopicPattern(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "tla", "tlb"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	recs := []*kgo.Record{
		{Topic: "tla", Timestamp: t0, Value: []byte("{}")}, {Topic: "tla", Timestamp: t0.Add(2 * time.Second), Value: []byte("{}")},
		{Topic: "tlb", Timestamp: t0, Value: []byte("{}")}, {Topic: "tlb", Timestamp: t0.Add(7 * time.Second), Value: []byte("{}")},
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	sp, err := spec.Decode([]byte(`{"type":"kafka","dataSchema":{"dataSource":"tl","timestampSpec":{"column":"ts"},"dimensionsSpec":{"dimensions":[]}},
	  "ioConfig":{"topicPattern":"tl.*","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"` + broker + `"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := &runtime{id: "tl", spec: sp, log: slog.New(slog.DiscardHandler)}
	if err := r.connect(); err != nil {
		t.Fatal(err)
	}
	defer r.client.Close()
	a, b := druidapi.Partition{Topic: "tla", ID: 0}, druidapi.Partition{Topic: "tlb", ID: 0}
	got := r.measureTimeLag(t.Context(), task.Offsets{a: 2, b: 2}, task.Offsets{a: 0, b: 1})
	want := map[druidapi.Partition]int64{a: 2000, b: 0}
	if !maps.Equal(got, want) {
		t.Errorf("time lag %v, want %v", got, want)
	}
}
