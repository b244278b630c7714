package task

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// flakyStore is the real store behind a connection that fails the way PostgreSQL's does in
// an outage, at moments a real outage cannot be timed to hit: the first segment allocation is
// refused before it reaches the store, and the first publish commits but its answer is lost.
type flakyStore struct {
	metadata.Store
	allocations, publishes atomic.Int32
}

func (s *flakyStore) AllocateSegment(ctx context.Context, req metadata.AllocateRequest) (metadata.SegmentID, error) {
	if s.allocations.Add(1) == 1 {
		return metadata.SegmentID{}, fmt.Errorf("dial tcp 127.0.0.1:5432: %w", syscall.ECONNREFUSED)
	}
	return s.Store.AllocateSegment(ctx, req)
}

func (s *flakyStore) Publish(ctx context.Context, req metadata.PublishRequest) error {
	if s.publishes.Add(1) == 1 {
		if err := s.Store.Publish(ctx, req); err != nil {
			return err
		}
		return fmt.Errorf("commit: read tcp 127.0.0.1:40000->127.0.0.1:5432: %w", syscall.ECONNRESET)
	}
	return s.Store.Publish(ctx, req)
}

// TestPublishSurvivesLostCommit: a publish whose commit landed but whose answer was lost is
// retried, recognises its own committed offsets and segments, and succeeds, with every row
// published once; a refused allocation is retried too (issue 13).
func TestPublishSurvivesLostCommit(t *testing.T) {
	e := newEnv(t)
	flaky := &flakyStore{Store: e.store}
	e.store = flaky
	broker := startKafka(t, "metrics", 1)
	var recs []*kgo.Record
	for i := range 50 {
		recs = append(recs, jsonRecord(t, 0, event{Timestamp: at(i), Host: "h", Metric: "cpu", Value: 1}))
	}
	produce(t, broker, "metrics", recs...)
	_, res := runTask(t, e, payload("task-lost-commit", broker, "metrics", map[int32]int64{0: 0}, map[int32]int64{0: 50}, nil))
	if !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	if flaky.publishes.Load() < 2 || flaky.allocations.Load() < 2 {
		t.Errorf("%d publishes, %d allocations: the faults were not hit", flaky.publishes.Load(), flaky.allocations.Load())
	}
	md, err := e.store.GetDataSourceMetadata(context.Background(), "metrics")
	if err != nil || md.Offsets[druidapi.Partition{ID: 0}] != 50 {
		t.Fatalf("stored offsets %+v, %v", md, err)
	}
	var count float64
	for _, v := range dumpRows(t, e, "metrics") {
		count += v[0]
	}
	if count != 50 {
		t.Errorf("%v rows published, want 50", count)
	}
}

// predecessorStore is the real store with a predecessor generation that commits at the
// moment its successor's first publish finds the stored offsets behind its start: the
// hand-over of a scale action or a taskDuration rollover, where the new group starts at the
// old group's end offsets before the old group has committed them.
type predecessorStore struct {
	metadata.Store
	predecessor metadata.PublishRequest
	waited      atomic.Int32
}

func (s *predecessorStore) Publish(ctx context.Context, req metadata.PublishRequest) error {
	err := s.Store.Publish(ctx, req)
	if mm, ok := errors.AsType[*metadata.OffsetMismatchError](err); ok && mm.Retryable && s.waited.Add(1) == 1 {
		if perr := s.Store.Publish(ctx, s.predecessor); perr != nil {
			return fmt.Errorf("predecessor publish: %w", perr)
		}
	}
	return err
}

// TestPublishWaitsForPredecessor: a task starting at offsets its predecessor has read but
// not yet committed does not fail; its publish retries until the predecessor's commit lands
// and then chains onto it (issue 17).
func TestPublishWaitsForPredecessor(t *testing.T) {
	e := newEnv(t)
	md := func(o int64) *metadata.DataSourceMetadata {
		return &metadata.DataSourceMetadata{Stream: "metrics", Offsets: map[druidapi.Partition]int64{{ID: 0}: o}}
	}
	// The predecessor started at 0; it will publish 0 → 20.
	if err := e.store.Publish(context.Background(), metadata.PublishRequest{SupervisorID: "metrics", DataSource: "metrics", Start: md(0), End: md(0)}); err != nil {
		t.Fatal(err)
	}
	ps := &predecessorStore{Store: e.store, predecessor: metadata.PublishRequest{SupervisorID: "metrics", DataSource: "metrics", Start: md(0), End: md(20)}}
	e.store = ps
	broker := startKafka(t, "metrics", 1)
	var recs []*kgo.Record
	for i := range 50 {
		recs = append(recs, jsonRecord(t, 0, event{Timestamp: at(i), Host: "h", Metric: "cpu", Value: 1}))
	}
	produce(t, broker, "metrics", recs...)
	_, res := runTask(t, e, payload("task-successor", broker, "metrics", map[int32]int64{0: 20}, map[int32]int64{0: 50}, nil))
	if !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	if ps.waited.Load() == 0 {
		t.Error("the successor never found its predecessor still publishing")
	}
	stored, err := e.store.GetDataSourceMetadata(context.Background(), "metrics")
	if err != nil || stored.Offsets[druidapi.Partition{ID: 0}] != 50 {
		t.Fatalf("stored offsets %+v, %v", stored, err)
	}
	var count float64
	for _, v := range dumpRows(t, e, "metrics") {
		count += v[0]
	}
	if count != 30 {
		t.Errorf("%v rows published, want the successor's 30", count)
	}
}

// TestInheritedStartWaitsOnNewSupervisor: with nothing stored yet (a new supervisor), a task
// whose start offsets were handed over from an uncommitted predecessor (inheritedPartitions)
// does not commit first, which would leave the predecessor's commit to fail and its rows
// unpublished: its publish waits until the predecessor has committed and chains onto it.
// Without the field the same task commits at once (the compare-and-swap has nothing to
// compare with), which is Druid's behaviour and the loss this guards against.
func TestInheritedStartWaitsOnNewSupervisor(t *testing.T) {
	md := func(o int64) *metadata.DataSourceMetadata {
		return &metadata.DataSourceMetadata{Stream: "metrics", Offsets: map[druidapi.Partition]int64{{ID: 0}: o}}
	}
	for _, inherited := range []bool{true, false} {
		t.Run(fmt.Sprintf("inherited=%v", inherited), func(t *testing.T) {
			e := newEnv(t)
			// The predecessor started at 0 (Kafka's earliest, nothing stored) and will publish 0 → 20.
			ps := &predecessorStore{Store: e.store, predecessor: metadata.PublishRequest{SupervisorID: "metrics", DataSource: "metrics", Start: md(0), End: md(20)}}
			e.store = ps
			broker := startKafka(t, "metrics", 1)
			var recs []*kgo.Record
			for i := range 50 {
				recs = append(recs, jsonRecord(t, 0, event{Timestamp: at(i), Host: "h", Metric: "cpu", Value: 1}))
			}
			produce(t, broker, "metrics", recs...)
			_, res := runTask(t, e, payload("task-successor", broker, "metrics", map[int32]int64{0: 20}, map[int32]int64{0: 50}, func(p map[string]any) {
				if inherited {
					p["ioConfig"].(map[string]any)["startSequenceNumbers"].(map[string]any)["inheritedPartitions"] = []string{"0"}
				}
			}))
			if !res.Success {
				t.Fatalf("task failed: %s", res.ErrorMsg)
			}
			if !inherited {
				if ps.waited.Load() != 0 {
					t.Fatal("without inheritedPartitions the successor waited")
				}
				// The predecessor's commit now fails: its rows [0, 20) would never be published.
				err := e.store.Publish(context.Background(), ps.predecessor)
				if mm, ok := errors.AsType[*metadata.OffsetMismatchError](err); !ok || mm.Retryable {
					t.Fatalf("predecessor publish after the successor's = %v, want a final mismatch", err)
				}
				return
			}
			if ps.waited.Load() == 0 {
				t.Error("the successor never waited for its predecessor")
			}
			stored, err := e.store.GetDataSourceMetadata(context.Background(), "metrics")
			if err != nil || stored.Offsets[druidapi.Partition{ID: 0}] != 50 {
				t.Fatalf("stored offsets %+v, %v", stored, err)
			}
		})
	}
}

// TestEmptySequenceRecordsUnstoredStart: a task that reads nothing commits its start offsets
// when none are stored yet, so a successor that inherited them as its start can chain onto
// them; once they are stored, an empty sequence writes nothing.
func TestEmptySequenceRecordsUnstoredStart(t *testing.T) {
	e := newEnv(t)
	broker := startKafka(t, "metrics", 1)
	var recs []*kgo.Record
	for i := range 10 {
		recs = append(recs, jsonRecord(t, 0, event{Timestamp: at(i), Host: "h", Metric: "cpu", Value: 1}))
	}
	produce(t, broker, "metrics", recs...)
	_, res := runTask(t, e, payload("task-empty", broker, "metrics", map[int32]int64{0: 5}, map[int32]int64{0: 5}, nil))
	if !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	stored, err := e.store.GetDataSourceMetadata(context.Background(), "metrics")
	if err != nil || !stored.Equal(metadata.DataSourceMetadata{Stream: "metrics", Offsets: map[druidapi.Partition]int64{{ID: 0}: 5}}) {
		t.Fatalf("stored offsets %+v, %v; want the empty task's start 5", stored, err)
	}
	// A successor that inherited 5 now commits at once.
	_, res = runTask(t, e, payload("task-after-empty", broker, "metrics", map[int32]int64{0: 5}, map[int32]int64{0: 10}, func(p map[string]any) {
		p["ioConfig"].(map[string]any)["startSequenceNumbers"].(map[string]any)["inheritedPartitions"] = []string{"0"}
	}))
	if !res.Success {
		t.Fatalf("successor failed: %s", res.ErrorMsg)
	}
	segs, err := e.store.Segments(context.Background(), "metrics", true)
	if err != nil || len(segs) != 1 {
		t.Fatalf("%d segments, %v; want the successor's one", len(segs), err)
	}
}
