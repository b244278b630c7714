package supervisor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// producer writes JSON events with unique ids until stopped.
type producer struct {
	cl     *kgo.Client
	next   atomic.Int64
	stop   chan struct{}
	wg     sync.WaitGroup
	topic  string
	failed atomic.Int64
}

func startProducer(t *testing.T, broker, topic string, perSecond int) *producer {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	p := &producer{cl: cl, stop: make(chan struct{}), topic: topic}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			for i := 0; i < perSecond/100; i++ {
				id := p.next.Add(1) - 1
				b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": id, "host": fmt.Sprintf("h%d", id%5), "value": 1})
				cl.Produce(context.Background(), &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(id)), Value: b}, func(_ *kgo.Record, err error) {
					if err != nil {
						p.failed.Add(1)
					}
				})
			}
		}
	}()
	return p
}

func (p *producer) close(t *testing.T) int64 {
	close(p.stop)
	p.wg.Wait()
	if err := p.cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.cl.Close()
	if f := p.failed.Load(); f > 0 {
		t.Fatalf("%d produce failures", f)
	}
	return p.next.Load()
}

func supervisorSpec(broker, topic string, taskCount, replicas int, tuning map[string]any) []byte {
	if tuning == nil {
		tuning = map[string]any{}
	}
	tuning["type"] = "kafka"
	b, _ := json.Marshal(map[string]any{
		"type": "kafka",
		"spec": map[string]any{
			"dataSchema": map[string]any{
				"dataSource":      "events",
				"timestampSpec":   map[string]any{"column": "timestamp", "format": "iso"},
				"dimensionsSpec":  map[string]any{"dimensions": []any{map[string]any{"type": "long", "name": "id"}, "host"}},
				"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
				"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
			},
			"ioConfig": map[string]any{
				"topic": topic, "inputFormat": map[string]any{"type": "json"},
				"consumerProperties": map[string]any{"bootstrap.servers": broker},
				"taskCount":          taskCount, "replicas": replicas, "taskDuration": "PT4S",
				"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true, "completionTimeout": "PT60S",
			},
			"tuningConfig": tuning,
		},
	})
	return b
}

// publishedIDs reads every used segment back and counts each event id.
func publishedIDs(t *testing.T, e *enginetest.Engine) map[int64]int {
	segs, err := e.Store.Segments(context.Background(), "events", true)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, s := range segs {
		var d struct {
			LoadSpec struct{ Path string } `json:"loadSpec"`
		}
		if err := json.Unmarshal(s.Payload, &d); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := segment.Dump(&buf, d.LoadSpec.Path, segment.DumpOptions{Mode: "rows", Columns: []string{"id"}}); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if line == "" {
				continue
			}
			var row struct{ ID int64 }
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
			seen[row.ID]++
		}
	}
	return seen
}

// waitCaughtUp waits until the stored offsets equal the end of every partition.
func waitCaughtUp(t *testing.T, e *enginetest.Engine, broker, topic string, timeout time.Duration) {
	t.Helper()
	cl, _ := kgo.NewClient(kgo.SeedBrokers(broker))
	defer cl.Close()
	adm := kadm.NewClient(cl)
	// The last probe is kept for the failure message: how far the stored offsets got.
	type progress struct {
		Stored, End map[druidapi.Partition]int64
		Err         string `json:",omitempty"`
	}
	waitUntil(t, "the stored offsets to reach the end of every partition", timeout, func() (progress, bool) {
		var p progress
		ends, err := adm.ListEndOffsets(context.Background(), topic)
		if err == nil {
			err = ends.Error()
		}
		if err != nil {
			p.Err = err.Error()
			return p, false
		}
		p.End = map[druidapi.Partition]int64{}
		ends.Each(func(o kadm.ListedOffset) { p.End[druidapi.Partition{ID: o.Partition}] = o.Offset })
		md, err := e.Store.GetDataSourceMetadata(context.Background(), "events")
		if err != nil {
			p.Err = err.Error()
			return p, false
		}
		p.Stored = md.Offsets
		for part, end := range p.End {
			if md.Offsets[part] != end {
				return p, false
			}
		}
		return p, true
	})
}

func checkExactlyOnce(t *testing.T, e *enginetest.Engine, produced int64) {
	seen := publishedIDs(t, e)
	var dups, missing int
	for id := int64(0); id < produced; id++ {
		switch seen[id] {
		case 0:
			missing++
		case 1:
		default:
			dups++
		}
	}
	if dups > 0 || missing > 0 || int64(len(seen)) != produced {
		t.Fatalf("of %d produced rows: %d duplicated, %d missing, %d distinct published", produced, dups, missing, len(seen))
	}
}

// TestSupervisorExactlyOnceAcrossRollovers runs a supervisor over 4 partitions with taskCount 2
// and replicas 2 through several taskDuration rollovers and incremental handoffs while events
// stream in, and checks every event was published exactly once.
func TestSupervisorExactlyOnceAcrossRollovers(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testRollovers(t, enginetest.Start(t)) })
	t.Run("postgres", func(t *testing.T) {
		store, err := postgres.Open(context.Background(), metadatatest.FreshPostgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		testRollovers(t, enginetest.StartWithStore(t, store))
	})
}

func testRollovers(t *testing.T, e *enginetest.Engine) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	c, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := startProducer(t, broker, "events", 2000)
	if _, err := c.CreateOrUpdateSupervisor(ctx, supervisorSpec(broker, "events", 2, 2, map[string]any{"maxRowsPerSegment": 3000})); err != nil {
		t.Fatal(err)
	}
	// At least two taskDuration rollovers: a third generation of 2 groups × 2 replicas has
	// been created, and the supervisor is RUNNING it with all 4 tasks active. Between
	// rollovers and right after one (the new generation is being created) fewer tasks are
	// active, so the state is polled for rather than read once after a fixed sleep.
	type progress struct {
		Created int
		Payload any
	}
	waitUntil(t, "a third task generation RUNNING with 4 active tasks (2 groups × 2 replicas)", 90*time.Second, func() (progress, bool) {
		tasks, err := e.Store.ListTasks(ctx, metadata.TaskFilter{DataSource: "events"})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		return progress{len(tasks), rep.Payload}, len(tasks) >= 3*4 && rep.Payload.State == "RUNNING" && len(rep.Payload.ActiveTasks) == 4
	})
	produced := p.close(t)
	waitCaughtUp(t, e, broker, "events", 60*time.Second)
	checkExactlyOnce(t, e, produced)
	segs, _ := e.Store.Segments(ctx, "events", true)
	t.Logf("%d events exactly once in %d segments", produced, len(segs))
}
