package supervisor_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// TestStopTaskCountBoundsRollover runs taskCount 4 with stopTaskCount 1 on 4 partitions, with
// slots to spare, through at least two rollovers of every group while events stream in. The
// runner's running plus waiting tasks, sampled every few milliseconds, never exceed 5 (the 4
// reading groups and the one generation allowed to publish), and every event is published
// exactly once.
func TestStopTaskCountBoundsRollover(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	e := enginetest.Start(t, enginetest.WorkerCapacity(16))
	c, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			running, waiting := e.Runner.Running()
			if n := int64(running + waiting); n > peak.Load() {
				peak.Store(n)
			}
		}
	}()
	stopSampling := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	defer stopSampling()

	p := startProducer(t, broker, "events", 1000)
	raw := withIOConfig(supervisorSpec(broker, "events", 4, 1, nil), "events", map[string]any{"stopTaskCount": 1, "taskDuration": "PT3S"})
	if _, err := c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	// Three generations of the 4 groups (12 tasks) means every group rolled over at least
	// twice, since the oldest group always goes first.
	type progress struct {
		Created, Peak int
		State         string
	}
	waitUntil(t, "three task generations of 4 groups created", 35*time.Second, func() (progress, bool) {
		tasks, err := e.Store.ListTasks(ctx, metadata.TaskFilter{DataSource: "events"})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		return progress{len(tasks), int(peak.Load()), rep.Payload.State}, len(tasks) >= 12 && rep.Payload.State == "RUNNING"
	})
	produced := p.close(t)
	waitCaughtUp(t, e, broker, "events", 30*time.Second)
	stopSampling()
	if got := peak.Load(); got > 5 {
		t.Fatalf("up to %d tasks ran or waited at once; stopTaskCount 1 with taskCount 4 allows 5", got)
	} else if got < 5 {
		// Each rollover keeps the publishing generation beside the 4 reading groups, so
		// the bound is reached: a lower peak means the samples missed every rollover.
		t.Fatalf("at most %d tasks ran at once; a rollover should run 5", got)
	}
	checkExactlyOnce(t, e, produced)
	t.Logf("%d events exactly once; at most %d tasks at once", produced, peak.Load())
}
