package embedkafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRestartKeepsLog produces to a broker, closes it, starts it again on the same data
// directory and address, and reads every record back: the log, its offsets and the topic's
// partition count survive a restart.
func TestRestartKeepsLog(t *testing.T) {
	dir := t.TempDir()
	b, err := Start("127.0.0.1:0", dir, map[string]int32{"metrics": 2})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	if got := b.Partitions("metrics"); got != 2 {
		t.Fatalf("partitions %d, want 2", got)
	}
	if ti := b.cluster.TopicInfo("metrics"); ti.Configs["retention.ms"] == nil {
		t.Errorf("topic has no retention.ms: %v", ti.Configs)
	}
	produce(t, addr, "metrics", 100)
	// A topic nobody created is created on first produce (what kcat users expect).
	produce(t, addr, "other", 3)
	if hw := b.HighWatermarks("other"); hw[0] != 3 {
		t.Errorf("auto-created topic high watermarks %v", hw)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_ = b.Close() // idempotent

	b, err = Start(addr, dir, map[string]int32{"metrics": 5}) // an existing topic is left as it is
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.Partitions("metrics"); got != 2 {
		t.Fatalf("partitions after restart %d, want 2", got)
	}
	hw := b.HighWatermarks("metrics")
	if hw[0]+hw[1] != 100 {
		t.Fatalf("high watermarks after restart %v, want 100 records", hw)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("metrics"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for len(seen) < 100 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	if len(seen) != 100 {
		t.Fatalf("read back %d distinct records, want 100", len(seen))
	}
	// Still accepts writes after the restart, continuing the offsets.
	produce(t, addr, "metrics", 10)
	hw = b.HighWatermarks("metrics")
	if hw[0]+hw[1] != 110 {
		t.Fatalf("high watermarks %v, want 110 records", hw)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start("no-port", "", nil); err == nil {
		t.Error("address without a port accepted")
	}
	b, err := Start("127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := Start(b.Addr(), "", nil); err == nil {
		t.Error("second broker on a taken port started")
	}
}

func produce(t *testing.T, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range n {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "%s-%d-%d", topic, time.Now().UnixNano(), i)}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}
