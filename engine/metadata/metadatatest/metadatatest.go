package metadatatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// NewStore returns a fresh, empty store for one test. It should register the
// store's Close with t.Cleanup; calling Close twice must be harmless.
type NewStore func(t *testing.T) metadata.Store

// Run runs the conformance suite against stores made by newStore. Every
// subtest gets its own store and runs in parallel with the others.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s metadata.Store)
	}{
		{"Supervisors", testSupervisors},
		{"SupervisorVersionsStrictlyIncrease", testSupervisorVersions},
		{"DataSourceMetadata", testDataSourceMetadata},
		{"PublishMatrix", nil}, // runs its own stores, below
		{"PublishPlusKeepsOtherPartitions", testPublishPlus},
		{"PublishSegmentsOnly", testPublishSegmentsOnly},
		{"PublishDuplicateSegment", testPublishDuplicateSegment},
		{"PublishInvalid", testPublishInvalid},
		{"PublishRace", func(t *testing.T, s metadata.Store) { testPublishRace(t, s, true) }},
		{"PublishRaceNoRow", func(t *testing.T, s metadata.Store) { testPublishRace(t, s, false) }},
		{"Segments", testSegments},
		{"AllocateSegment", testAllocate},
		{"AllocateSegmentRace", testAllocateRace},
		{"Tasks", testTasks},
		{"Audit", testAudit},
		{"Leases", testLeases},
		{"PublishFenced", testPublishFenced},
		{"Workers", testWorkers},
		{"Assignments", testAssignments},
		{"Config", testConfig},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.fn == nil {
				testPublishMatrix(t, newStore)
				return
			}
			tt.fn(t, newStore(t))
		})
	}
}

// parts lists partitions of a single-topic stream.
func parts(ids ...int32) []druidapi.Partition {
	out := make([]druidapi.Partition, len(ids))
	for i, id := range ids {
		out[i] = druidapi.Partition{ID: id}
	}
	return out
}

// Offsets builds DataSourceMetadata from partition, offset pairs.
func Offsets(stream string, pairs ...int64) metadata.DataSourceMetadata {
	md := metadata.DataSourceMetadata{Stream: stream, Offsets: map[druidapi.Partition]int64{}}
	for i := 0; i+1 < len(pairs); i += 2 {
		md.Offsets[druidapi.Partition{ID: int32(pairs[i])}] = pairs[i+1]
	}
	return md
}

var t0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// segment returns a used segment of ds in hour h with the given version and
// partition.
func segment(ds string, h int, version string, part int) metadata.Segment {
	id := metadata.SegmentID{
		DataSource: ds,
		Start:      t0.Add(time.Duration(h) * time.Hour),
		End:        t0.Add(time.Duration(h+1) * time.Hour),
		Version:    version,
		Partition:  part,
	}
	seg := metadata.NewSegment(id)
	seg.Payload = fmt.Appendf(nil, `{"id":%q}`, seg.ID)
	seg.NumRows = int64(10 + part)
	seg.Size = int64(1000 + part)
	return seg
}

func ids(segs []metadata.Segment) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = s.ID
	}
	return out
}

func mustOffsets(t *testing.T, s metadata.Store, id string, want metadata.DataSourceMetadata) {
	t.Helper()
	got, err := s.GetDataSourceMetadata(context.Background(), id)
	if err != nil {
		t.Fatalf("GetDataSourceMetadata(%s): %v", id, err)
	}
	if !got.Equal(want) {
		t.Fatalf("stored offsets of %s = %+v, want %+v", id, *got, want)
	}
}

func mustNoOffsets(t *testing.T, s metadata.Store, id string) {
	t.Helper()
	_, err := s.GetDataSourceMetadata(context.Background(), id)
	if !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("GetDataSourceMetadata(%s) error = %v, want ErrNotFound", id, err)
	}
}

func mustExist(t *testing.T, s metadata.Store, want bool, segIDs ...string) {
	t.Helper()
	for _, id := range segIDs {
		got, err := s.SegmentsExist(context.Background(), []string{id})
		if err != nil {
			t.Fatalf("SegmentsExist(%s): %v", id, err)
		}
		if got != want {
			t.Fatalf("SegmentsExist(%s) = %v, want %v", id, got, want)
		}
	}
}

func testSupervisors(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	if _, err := s.SupervisorHistory(ctx, "nope"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("SupervisorHistory(unknown) error = %v, want ErrNotFound", err)
	}
	latest, err := s.LatestSupervisors(ctx)
	if err != nil || len(latest) != 0 {
		t.Fatalf("LatestSupervisors on empty store = %v, %v", latest, err)
	}
	insert := func(id, payload string) metadata.SupervisorRow {
		t.Helper()
		row, err := s.InsertSupervisor(ctx, id, []byte(payload))
		if err != nil {
			t.Fatalf("InsertSupervisor(%s): %v", id, err)
		}
		if row.ID != id || string(row.Payload) != payload {
			t.Fatalf("InsertSupervisor returned %+v", row)
		}
		if _, err := time.Parse(druidapi.TimeLayout, row.Version); err != nil {
			t.Fatalf("version %q not in %s: %v", row.Version, druidapi.TimeLayout, err)
		}
		return row
	}
	b1 := insert("b", `{"v":1}`)
	a1 := insert("a", `{"v":1}`)
	b2 := insert("b", `{"v":2}`)
	c1 := insert("c", `{"type":"NoopSupervisorSpec"}`) // a tombstone is still the latest row
	if !(b1.Seq < a1.Seq && a1.Seq < b2.Seq && b2.Seq < c1.Seq) {
		t.Fatalf("Seq not increasing: %d %d %d %d", b1.Seq, a1.Seq, b2.Seq, c1.Seq)
	}
	if !(b1.Version < a1.Version && a1.Version < b2.Version && b2.Version < c1.Version) {
		t.Fatalf("versions not increasing: %s %s %s %s", b1.Version, a1.Version, b2.Version, c1.Version)
	}

	hist, err := s.SupervisorHistory(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, "history of b", hist, b2, b1)

	latest, err = s.LatestSupervisors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, "latest", latest, a1, b2, c1)

	all, err := s.AllSupervisorHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("AllSupervisorHistory has %d ids, want 3", len(all))
	}
	wantRows(t, "all[a]", all["a"], a1)
	wantRows(t, "all[b]", all["b"], b2, b1)
	wantRows(t, "all[c]", all["c"], c1)
}

func wantRows(t *testing.T, what string, got []metadata.SupervisorRow, want ...metadata.SupervisorRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d: %+v", what, len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Version != w.Version || g.Seq != w.Seq || !bytes.Equal(g.Payload, w.Payload) {
			t.Fatalf("%s[%d] = %+v, want %+v", what, i, g, w)
		}
	}
}

func testSupervisorVersions(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	// Inserts land within the same millisecond; versions must still differ.
	var prev string
	for i := range 30 {
		row, err := s.InsertSupervisor(ctx, fmt.Sprintf("s%d", i%3), []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if row.Version <= prev {
			t.Fatalf("insert %d: version %s not after %s", i, row.Version, prev)
		}
		prev = row.Version
	}
	// Concurrent inserts too.
	var wg sync.WaitGroup
	versions := make([]string, 20)
	for i := range versions {
		wg.Go(func() {
			row, err := s.InsertSupervisor(ctx, "race", []byte("{}"))
			if err != nil {
				t.Error(err)
				return
			}
			versions[i] = row.Version
		})
	}
	wg.Wait()
	hist, err := s.SupervisorHistory(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != len(versions) {
		t.Fatalf("history has %d rows, want %d", len(hist), len(versions))
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Version >= hist[i-1].Version || hist[i].Seq >= hist[i-1].Seq {
			t.Fatalf("history not strictly newest first at %d: %+v then %+v", i, hist[i-1], hist[i])
		}
	}
}

func testDataSourceMetadata(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	mustNoOffsets(t, s, "sup")
	if err := s.RemovePartitions(ctx, "sup", Offsets("t", 0, 0)); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("RemovePartitions on missing row error = %v, want ErrNotFound", err)
	}
	if ok, err := s.DeleteDataSourceMetadata(ctx, "sup"); err != nil || ok {
		t.Fatalf("DeleteDataSourceMetadata on missing row = %v, %v", ok, err)
	}
	if err := s.ResetDataSourceMetadata(ctx, "sup", Offsets("t", 0, 10, 1, 20)); err != nil {
		t.Fatal(err)
	}
	mustOffsets(t, s, "sup", Offsets("t", 0, 10, 1, 20))
	// Reset overlays unconditionally, even backwards.
	if err := s.ResetDataSourceMetadata(ctx, "sup", Offsets("t", 1, 5, 2, 30)); err != nil {
		t.Fatal(err)
	}
	mustOffsets(t, s, "sup", Offsets("t", 0, 10, 1, 5, 2, 30))
	if err := s.RemovePartitions(ctx, "sup", Offsets("t", 1, 0, 9, 0)); err != nil {
		t.Fatal(err)
	}
	mustOffsets(t, s, "sup", Offsets("t", 0, 10, 2, 30))
	// Another supervisor is independent.
	if err := s.ResetDataSourceMetadata(ctx, "other", Offsets("u", 0, 1)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteDataSourceMetadata(ctx, "sup"); err != nil || !ok {
		t.Fatalf("DeleteDataSourceMetadata = %v, %v, want true", ok, err)
	}
	mustNoOffsets(t, s, "sup")
	mustOffsets(t, s, "other", Offsets("u", 0, 1))
	// A reset with another stream replaces the stored offsets.
	if err := s.ResetDataSourceMetadata(ctx, "other", Offsets("v", 3, 3)); err != nil {
		t.Fatal(err)
	}
	mustOffsets(t, s, "other", Offsets("v", 3, 3))
}

func testPublishMatrix(t *testing.T, newStore NewStore) {
	seed := Offsets("t", 0, 100, 1, 50)
	tests := []struct {
		name      string
		seed      *metadata.DataSourceMetadata
		start     metadata.DataSourceMetadata
		end       metadata.DataSourceMetadata
		inherited []druidapi.Partition
		mismatch  bool
		retryable bool
		// uncommitted is the mismatch's Uncommitted: inherited partitions not stored yet.
		uncommitted []druidapi.Partition
		want        *metadata.DataSourceMetadata // stored afterwards; nil = no row
	}{
		{
			name: "no row accepts any start", start: Offsets("t", 0, 42), end: Offsets("t", 0, 60),
			want: new(Offsets("t", 0, 60)),
		},
		{
			name: "matching start", seed: &seed, start: Offsets("t", 0, 100), end: Offsets("t", 0, 150),
			want: new(Offsets("t", 0, 150, 1, 50)),
		},
		{
			name: "matching start on all partitions", seed: &seed, start: Offsets("t", 0, 100, 1, 50),
			end: Offsets("t", 0, 101, 1, 51), want: new(Offsets("t", 0, 101, 1, 51)),
		},
		{
			name: "new partition is ignored by the match", seed: &seed, start: Offsets("t", 0, 100, 2, 0),
			end: Offsets("t", 0, 110, 2, 7), want: new(Offsets("t", 0, 110, 1, 50, 2, 7)),
		},
		{
			name: "start behind stored", seed: &seed, start: Offsets("t", 0, 90), end: Offsets("t", 0, 100),
			mismatch: true, want: &seed,
		},
		{
			name: "start ahead of stored", seed: &seed, start: Offsets("t", 0, 120), end: Offsets("t", 0, 130),
			mismatch: true, retryable: true, want: &seed,
		},
		{
			name: "one partition ahead", seed: &seed, start: Offsets("t", 0, 100, 1, 60), end: Offsets("t", 0, 130, 1, 70),
			mismatch: true, retryable: true, want: &seed,
		},
		{
			name: "other stream", seed: &seed, start: Offsets("u", 0, 100), end: Offsets("u", 0, 130),
			mismatch: true, want: &seed,
		},
		// A start handed over from an earlier group's end offsets (Inherited) commits only
		// onto exactly those stored offsets: on a new supervisor, or for a partition not
		// stored yet, it waits for the earlier group rather than commit first.
		{
			name: "inherited start with no row waits", start: Offsets("t", 0, 42), end: Offsets("t", 0, 60),
			inherited: parts(0), mismatch: true, retryable: true, uncommitted: parts(0),
		},
		{
			name: "inherited start of a partition not stored waits", seed: &seed, start: Offsets("t", 0, 100, 2, 30),
			end: Offsets("t", 0, 110, 2, 40), inherited: parts(0, 2), mismatch: true, retryable: true, uncommitted: parts(2), want: &seed,
		},
		{
			name: "inherited start matching stored", seed: &seed, start: Offsets("t", 0, 100, 1, 50),
			end: Offsets("t", 0, 110, 1, 60), inherited: parts(0, 1), want: new(Offsets("t", 0, 110, 1, 60)),
		},
		{
			name: "inherited start ahead of stored", seed: &seed, start: Offsets("t", 0, 120), end: Offsets("t", 0, 130),
			inherited: parts(0), mismatch: true, retryable: true, want: &seed,
		},
		{
			name: "inherited start behind stored", seed: &seed, start: Offsets("t", 0, 90), end: Offsets("t", 0, 100),
			inherited: parts(0), mismatch: true, want: &seed,
		},
		{
			name: "partition not stored is waited for only when inherited", seed: &seed, start: Offsets("t", 0, 100, 2, 30),
			end: Offsets("t", 0, 110, 2, 40), inherited: parts(0), want: new(Offsets("t", 0, 110, 1, 50, 2, 40)),
		},
		{
			name: "inherited partition not stored does not excuse a mismatch", seed: &seed, start: Offsets("t", 0, 90, 2, 30),
			end: Offsets("t", 0, 100, 2, 40), inherited: parts(2), mismatch: true, uncommitted: parts(2), want: &seed,
		},
		{
			name: "inherited start of another stream", seed: &seed, start: Offsets("u", 0, 100), end: Offsets("u", 0, 130),
			inherited: parts(0), mismatch: true, want: &seed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			ctx := context.Background()
			if tt.seed != nil {
				if err := s.ResetDataSourceMetadata(ctx, "sup", *tt.seed); err != nil {
					t.Fatal(err)
				}
			}
			segs := []metadata.Segment{segment("ds", 0, "v1", 0), segment("ds", 0, "v1", 1)}
			err := s.Publish(ctx, metadata.PublishRequest{
				SupervisorID: "sup", DataSource: "ds", Segments: segs, Start: &tt.start, End: &tt.end, Inherited: tt.inherited,
			})
			if tt.mismatch {
				mm, ok := errors.AsType[*metadata.OffsetMismatchError](err)
				if !ok {
					t.Fatalf("Publish error = %v, want *OffsetMismatchError", err)
				}
				if mm.Retryable != tt.retryable || metadata.IsRetryable(err) != tt.retryable {
					t.Fatalf("Retryable = %v (IsRetryable %v), want %v", mm.Retryable, metadata.IsRetryable(err), tt.retryable)
				}
				var actual metadata.DataSourceMetadata // no row: nothing stored
				if tt.seed != nil {
					actual = *tt.seed
				}
				if mm.SupervisorID != "sup" || !mm.Expected.Equal(tt.start) || !mm.Actual.Equal(actual) ||
					!slices.Equal(mm.Uncommitted, tt.uncommitted) {
					t.Fatalf("mismatch error fields = %+v", mm)
				}
				mustExist(t, s, false, ids(segs)...)
			} else {
				if err != nil {
					t.Fatalf("Publish: %v", err)
				}
				mustExist(t, s, true, ids(segs)...)
			}
			if tt.want == nil {
				mustNoOffsets(t, s, "sup")
			} else {
				mustOffsets(t, s, "sup", *tt.want)
			}
		})
	}
}

func testPublishPlus(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	if err := s.ResetDataSourceMetadata(ctx, "sup", Offsets("t", 0, 10, 1, 10, 2, 10)); err != nil {
		t.Fatal(err)
	}
	// Two task groups publish disjoint partitions one after the other.
	for i, p := range []int64{0, 2, 0} {
		start := Offsets("t", p, 10+int64(i/2)*5)
		end := Offsets("t", p, 15+int64(i/2)*5)
		if err := s.Publish(ctx, metadata.PublishRequest{
			SupervisorID: "sup", DataSource: "ds", Start: &start, End: &end,
			Segments: []metadata.Segment{segment("ds", i, "v", 0)},
		}); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	mustOffsets(t, s, "sup", Offsets("t", 0, 20, 1, 10, 2, 15))
	// A metadata-only commit still advances the offsets.
	start, end := Offsets("t", 1, 10), Offsets("t", 1, 11)
	if err := s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Start: &start, End: &end}); err != nil {
		t.Fatal(err)
	}
	mustOffsets(t, s, "sup", Offsets("t", 0, 20, 1, 11, 2, 15))
}

func testPublishSegmentsOnly(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	segs := []metadata.Segment{segment("ds", 0, "v", 0)}
	if err := s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Segments: segs}); err != nil {
		t.Fatal(err)
	}
	mustExist(t, s, true, ids(segs)...)
	mustNoOffsets(t, s, "sup")
	if err := s.ResetDataSourceMetadata(ctx, "sup", Offsets("t", 0, 5)); err != nil {
		t.Fatal(err)
	}
	segs2 := []metadata.Segment{segment("ds", 1, "v", 0)}
	segs2[0].DataSource = "" // taken from the request
	if err := s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Segments: segs2}); err != nil {
		t.Fatal(err)
	}
	mustExist(t, s, true, ids(segs2)...)
	mustOffsets(t, s, "sup", Offsets("t", 0, 5))
	got, err := s.Segments(ctx, "ds", true)
	if err != nil || len(got) != 2 {
		t.Fatalf("Segments = %v, %v", got, err)
	}
}

func testPublishDuplicateSegment(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	a, b := segment("ds", 0, "v", 0), segment("ds", 0, "v", 1)
	start, end := Offsets("t", 0, 0), Offsets("t", 0, 10)
	if err := s.Publish(ctx, metadata.PublishRequest{
		SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{a}, Start: &start, End: &end,
	}); err != nil {
		t.Fatal(err)
	}
	start2, end2 := Offsets("t", 0, 10), Offsets("t", 0, 20)
	err := s.Publish(ctx, metadata.PublishRequest{
		SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{b, a}, Start: &start2, End: &end2,
	})
	if !errors.Is(err, metadata.ErrConflict) || metadata.IsRetryable(err) {
		t.Fatalf("Publish of an existing segment error = %v, want non-retryable ErrConflict", err)
	}
	mustOffsets(t, s, "sup", end)
	mustExist(t, s, false, b.ID)
	// Segments-only publish of an existing segment conflicts too.
	err = s.Publish(ctx, metadata.PublishRequest{DataSource: "ds", Segments: []metadata.Segment{a}})
	if !errors.Is(err, metadata.ErrConflict) {
		t.Fatalf("segments-only duplicate error = %v, want ErrConflict", err)
	}
	// Twice in one request.
	err = s.Publish(ctx, metadata.PublishRequest{DataSource: "ds", Segments: []metadata.Segment{b, b}})
	if !errors.Is(err, metadata.ErrConflict) {
		t.Fatalf("duplicate in request error = %v, want ErrConflict", err)
	}
	mustExist(t, s, false, b.ID)
}

func testPublishInvalid(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	start := Offsets("t", 0, 0)
	tests := []struct {
		name string
		req  metadata.PublishRequest
	}{
		{"start without end", metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Start: &start}},
		{"start without supervisor", metadata.PublishRequest{DataSource: "ds", Start: &start, End: &start}},
		{"segment of another datasource", metadata.PublishRequest{DataSource: "ds", Segments: []metadata.Segment{segment("other", 0, "v", 0)}}},
		{"segment without id", metadata.PublishRequest{DataSource: "ds", Segments: []metadata.Segment{{DataSource: "ds"}}}},
		{"inherited partition without a start offset", metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Start: &start, End: &start,
			Inherited: []druidapi.Partition{{ID: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Publish(ctx, tt.req); err == nil {
				t.Fatal("Publish succeeded, want an error")
			}
		})
	}
	mustNoOffsets(t, s, "sup")
	dss, err := s.DataSources(ctx)
	if err != nil || len(dss) != 0 {
		t.Fatalf("DataSources = %v, %v, want none", dss, err)
	}
}

// testPublishRace has N replicas publish the same start→end with different
// segments at once: exactly one may win.
func testPublishRace(t *testing.T, s metadata.Store, seeded bool) {
	ctx := context.Background()
	const n = 8
	start, end := Offsets("t", 0, 100, 1, 200), Offsets("t", 0, 150, 1, 260)
	if seeded {
		if err := s.ResetDataSourceMetadata(ctx, "sup", start); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, n)
	segs := make([]metadata.Segment, n)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		segs[i] = segment("ds", i, "v", 0)
		wg.Go(func() {
			<-ready
			errs[i] = s.Publish(ctx, metadata.PublishRequest{
				SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{segs[i]},
				Start: new(start.Clone()), End: new(end.Clone()),
			})
		})
	}
	close(ready)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("publishers %d and %d both won", winner, i)
			}
			winner = i
			continue
		}
		mm, ok := errors.AsType[*metadata.OffsetMismatchError](err)
		if !ok {
			t.Fatalf("publisher %d error = %v, want *OffsetMismatchError", i, err)
		}
		if mm.Retryable || !mm.Actual.Equal(end) {
			t.Fatalf("publisher %d mismatch = %+v, want non-retryable with stored = end", i, mm)
		}
	}
	if winner < 0 {
		t.Fatal("no publisher won")
	}
	mustOffsets(t, s, "sup", end)
	got, err := s.Segments(ctx, "ds", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != segs[winner].ID {
		t.Fatalf("stored segments = %v, want only the winner's %s", ids(got), segs[winner].ID)
	}
}

func testSegments(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	// Inserted out of order; read back by start, version, partition.
	want := []metadata.Segment{
		segment("ds", 0, "v1", 0),
		segment("ds", 0, "v1", 1),
		segment("ds", 0, "v1", 2),
		segment("ds", 0, "v2", 0),
		segment("ds", 1, "v1", 0),
		segment("ds", 2, "v0", 0),
	}
	order := []int{4, 2, 0, 5, 3, 1}
	for _, i := range order {
		if err := s.Publish(ctx, metadata.PublishRequest{DataSource: "ds", Segments: []metadata.Segment{want[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	other := segment("a-other", 0, "v", 0)
	if err := s.Publish(ctx, metadata.PublishRequest{DataSource: "a-other", Segments: []metadata.Segment{other}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Segments(ctx, "ds", true)
	if err != nil {
		t.Fatal(err)
	}
	wantSegments(t, got, want)
	if got, err := s.Segments(ctx, "missing", false); err != nil || len(got) != 0 {
		t.Fatalf("Segments(missing) = %v, %v", got, err)
	}

	dss, err := s.DataSources(ctx)
	if err != nil || fmt.Sprint(dss) != "[a-other ds]" {
		t.Fatalf("DataSources = %v, %v, want [a-other ds]", dss, err)
	}

	existTests := []struct {
		name string
		ids  []string
		want bool
	}{
		{"empty", nil, true},
		{"one", []string{want[0].ID}, true},
		{"all with repeats", append(ids(want), want[0].ID), true},
		{"one missing", []string{want[0].ID, "nope"}, false},
		{"only missing", []string{"nope"}, false},
	}
	for _, tt := range existTests {
		got, err := s.SegmentsExist(ctx, tt.ids)
		if err != nil || got != tt.want {
			t.Fatalf("SegmentsExist(%s) = %v, %v, want %v", tt.name, got, err, tt.want)
		}
	}

	n, err := s.MarkSegmentsUnused(ctx, []string{want[1].ID, want[4].ID, "nope"})
	if err != nil || n != 2 {
		t.Fatalf("MarkSegmentsUnused = %d, %v, want 2", n, err)
	}
	if n, err := s.MarkSegmentsUnused(ctx, []string{want[1].ID}); err != nil || n != 0 {
		t.Fatalf("MarkSegmentsUnused again = %d, %v, want 0", n, err)
	}
	used, err := s.Segments(ctx, "ds", true)
	if err != nil {
		t.Fatal(err)
	}
	wantSegments(t, used, []metadata.Segment{want[0], want[2], want[3], want[5]})
	all, err := s.Segments(ctx, "ds", false)
	if err != nil {
		t.Fatal(err)
	}
	want[1].Used, want[4].Used = false, false
	wantSegments(t, all, want)
	if ok, err := s.SegmentsExist(ctx, []string{want[1].ID}); err != nil || !ok {
		t.Fatalf("SegmentsExist(unused) = %v, %v, want true", ok, err)
	}
	if _, err := s.MarkSegmentsUnused(ctx, []string{other.ID}); err != nil {
		t.Fatal(err)
	}
	dss, err = s.DataSources(ctx)
	if err != nil || fmt.Sprint(dss) != "[ds]" {
		t.Fatalf("DataSources = %v, %v, want [ds]", dss, err)
	}
}

func wantSegments(t *testing.T, got, want []metadata.Segment) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d segments %v, want %d %v", len(got), ids(got), len(want), ids(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if _, err := time.Parse(druidapi.TimeLayout, g.CreatedDate); err != nil {
			t.Fatalf("segment %s created date %q: %v", g.ID, g.CreatedDate, err)
		}
		g.CreatedDate = w.CreatedDate
		if g.ID != w.ID || g.DataSource != w.DataSource || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) ||
			g.Start.Location() != time.UTC || g.Version != w.Version || g.Partition != w.Partition || g.Used != w.Used ||
			!bytes.Equal(g.Payload, w.Payload) || g.NumRows != w.NumRows || g.Size != w.Size {
			t.Fatalf("segment %d = %+v, want %+v", i, g, w)
		}
	}
}

func testAllocate(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	hour := func(h int) (time.Time, time.Time) {
		return t0.Add(time.Duration(h) * time.Hour), t0.Add(time.Duration(h+1) * time.Hour)
	}
	alloc := func(seq string, h int, version string) metadata.SegmentID {
		t.Helper()
		start, end := hour(h)
		id, err := s.AllocateSegment(ctx, metadata.AllocateRequest{DataSource: "ds", SequenceName: seq, Start: start, End: end, Version: version})
		if err != nil {
			t.Fatalf("AllocateSegment(%s, %d): %v", seq, h, err)
		}
		return id
	}
	first := alloc("seq_0", 0, "v1")
	start, end := hour(0)
	if want := (metadata.SegmentID{DataSource: "ds", Start: start, End: end, Version: "v1"}); first != want {
		t.Fatalf("first allocation = %+v, want %+v", first, want)
	}
	if again := alloc("seq_0", 0, "v9"); again != first {
		t.Fatalf("same key allocated %v then %v", first, again)
	}
	// Another sequence joins the interval's version with the next partition.
	second := alloc("seq_1", 0, "v9")
	if second.Version != "v1" || second.Partition != 1 {
		t.Fatalf("second sequence got %v, want version v1 partition 1", second)
	}
	// Another interval starts from the given version.
	if other := alloc("seq_0", 1, "v2"); other.Version != "v2" || other.Partition != 0 {
		t.Fatalf("new interval got %v, want v2 partition 0", other)
	}
	// Used segments fix the interval's version and count for partitions.
	used := []metadata.Segment{segment("ds", 5, "v0", 0), segment("ds", 5, "v0", 3)}
	if err := s.Publish(ctx, metadata.PublishRequest{DataSource: "ds", Segments: used}); err != nil {
		t.Fatal(err)
	}
	if id := alloc("seq_0", 5, "v7"); id.Version != "v0" || id.Partition != 4 {
		t.Fatalf("allocation next to used segments got %v, want v0 partition 4", id)
	}
	if id := alloc("seq_1", 5, "v7"); id.Version != "v0" || id.Partition != 5 {
		t.Fatalf("second allocation next to used segments got %v, want v0 partition 5", id)
	}
	// Other datasources are independent.
	oid, err := s.AllocateSegment(ctx, metadata.AllocateRequest{DataSource: "other", SequenceName: "seq_0", Start: start, End: end, Version: "x"})
	if err != nil || oid.Version != "x" || oid.Partition != 0 {
		t.Fatalf("other datasource got %v, %v", oid, err)
	}
	// Invalid requests.
	if _, err := s.AllocateSegment(ctx, metadata.AllocateRequest{DataSource: "ds", SequenceName: "s", Start: start, End: start, Version: "v"}); err == nil {
		t.Fatal("empty interval allocated")
	}
	if _, err := s.AllocateSegment(ctx, metadata.AllocateRequest{DataSource: "ds", SequenceName: "s", Start: t0.Add(-time.Hour), End: t0}); err == nil {
		t.Fatal("new interval allocated without a version")
	}

	// Cleanup after publish removes by sequence prefix only.
	n, err := s.DeletePendingSegments(ctx, "ds", "seq_0")
	if err != nil || n != 3 {
		t.Fatalf("DeletePendingSegments(seq_0) = %d, %v, want 3", n, err)
	}
	if n, err := s.DeletePendingSegments(ctx, "ds", "seq_%"); err != nil || n != 0 {
		t.Fatalf("DeletePendingSegments(seq_%%) = %d, %v, want 0 (no LIKE wildcards)", n, err)
	}
	// The remaining pending segment still counts: numbering continues.
	if id := alloc("seq_2", 0, "v9"); id.Version != "v1" || id.Partition != 2 {
		t.Fatalf("allocation after cleanup got %v, want v1 partition 2", id)
	}
	if n, err := s.DeletePendingSegments(ctx, "ds", ""); err != nil || n != 3 {
		t.Fatalf("DeletePendingSegments(all) = %d, %v, want 3", n, err)
	}
	if n, err := s.DeletePendingSegments(ctx, "other", "seq"); err != nil || n != 1 {
		t.Fatalf("DeletePendingSegments(other) = %d, %v, want 1", n, err)
	}
}

func testAllocateRace(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	const n = 8
	start, end := t0, t0.Add(time.Hour)
	got := make([]metadata.SegmentID, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			seq := "same"
			if i%2 == 1 {
				seq = fmt.Sprintf("seq_%d", i)
			}
			id, err := s.AllocateSegment(ctx, metadata.AllocateRequest{
				DataSource: "ds", SequenceName: seq, Start: start, End: end, Version: fmt.Sprintf("v%02d", i),
			})
			if err != nil {
				t.Error(err)
			}
			got[i] = id
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[string]int{}
	for i := 0; i < 2*n; i += 2 {
		if got[i] != got[0] {
			t.Fatalf("same key allocated %v and %v", got[0], got[i])
		}
	}
	for i, id := range got {
		if id.Version != got[0].Version {
			t.Fatalf("allocation %d version %s, want the interval's %s", i, id.Version, got[0].Version)
		}
		if i%2 == 1 || i == 0 {
			if j, dup := seen[id.String()]; dup {
				t.Fatalf("allocations %d and %d share id %s", j, i, id)
			}
			seen[id.String()] = i
		}
	}
}

func testTasks(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	mk := func(id, ds, created string, active bool) metadata.Task {
		return metadata.Task{
			ID: id, GroupID: "g_" + id, DataSource: ds, Type: "index_kafka", CreatedDate: created,
			Payload: []byte(`{"id":"` + id + `"}`), Status: []byte(`{"status":"RUNNING"}`), Active: active,
		}
	}
	tasks := []metadata.Task{
		mk("t1", "ds", "2024-01-01T00:00:00.000Z", false),
		mk("t2", "ds", "2024-01-02T00:00:00.000Z", true),
		mk("t3", "other", "2024-01-03T00:00:00.000Z", true),
		mk("t4", "ds", "2024-01-04T00:00:00.000Z", true),
	}
	for _, task := range tasks {
		if err := s.InsertTask(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertTask(ctx, tasks[0]); !errors.Is(err, metadata.ErrConflict) {
		t.Fatalf("duplicate InsertTask error = %v, want ErrConflict", err)
	}
	if _, err := s.GetTask(ctx, "nope"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("GetTask(unknown) error = %v, want ErrNotFound", err)
	}
	got, err := s.GetTask(ctx, "t2")
	if err != nil {
		t.Fatal(err)
	}
	wantTasks(t, "GetTask", []metadata.Task{got}, tasks[1])

	if err := s.UpdateTaskStatus(ctx, "nope", []byte("{}"), false); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("UpdateTaskStatus(unknown) error = %v, want ErrNotFound", err)
	}
	if err := s.UpdateTaskStatus(ctx, "t2", []byte(`{"status":"SUCCESS"}`), false); err != nil {
		t.Fatal(err)
	}
	tasks[1].Status, tasks[1].Active = []byte(`{"status":"SUCCESS"}`), false

	yes, no := true, false
	listTests := []struct {
		name   string
		filter metadata.TaskFilter
		want   []metadata.Task
	}{
		{"all", metadata.TaskFilter{}, []metadata.Task{tasks[3], tasks[2], tasks[1], tasks[0]}},
		{"active", metadata.TaskFilter{Active: &yes}, []metadata.Task{tasks[3], tasks[2]}},
		{"complete", metadata.TaskFilter{Active: &no}, []metadata.Task{tasks[1], tasks[0]}},
		{"datasource", metadata.TaskFilter{DataSource: "ds"}, []metadata.Task{tasks[3], tasks[1], tasks[0]}},
		{"limit", metadata.TaskFilter{DataSource: "ds", Limit: 2}, []metadata.Task{tasks[3], tasks[1]}},
		{"none", metadata.TaskFilter{DataSource: "missing"}, nil},
	}
	for _, tt := range listTests {
		got, err := s.ListTasks(ctx, tt.filter)
		if err != nil {
			t.Fatalf("ListTasks(%s): %v", tt.name, err)
		}
		wantTasks(t, "ListTasks("+tt.name+")", got, tt.want...)
	}

	// An empty CreatedDate is filled in.
	if err := s.InsertTask(ctx, metadata.Task{ID: "t5", DataSource: "ds"}); err != nil {
		t.Fatal(err)
	}
	t5, err := s.GetTask(ctx, "t5")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(druidapi.TimeLayout, t5.CreatedDate); err != nil {
		t.Fatalf("CreatedDate %q: %v", t5.CreatedDate, err)
	}
}

func wantTasks(t *testing.T, what string, got []metadata.Task, want ...metadata.Task) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tasks %+v, want %d", what, len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.GroupID != w.GroupID || g.DataSource != w.DataSource || g.Type != w.Type ||
			g.CreatedDate != w.CreatedDate || !bytes.Equal(g.Payload, w.Payload) || !bytes.Equal(g.Status, w.Status) ||
			g.Active != w.Active {
			t.Fatalf("%s[%d] = %+v, want %+v", what, i, g, w)
		}
	}
}

func testAudit(t *testing.T, s metadata.Store) {
	ctx := context.Background()
	entries := []metadata.AuditEntry{
		{Key: "sup", Type: "supervisor", Author: "alice", Comment: "create", Payload: []byte(`{"v":1}`)},
		{Key: "other", Type: "supervisor", Author: "bob", Payload: []byte(`{}`)},
		{Key: "sup", Type: "supervisor", Author: "carol", Comment: "update", Payload: []byte(`{"v":2}`), CreatedDate: "2030-01-01T00:00:00.000Z"},
	}
	for _, e := range entries {
		if err := s.InsertAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AuditEntries(ctx, "sup")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("AuditEntries = %+v, want 2", got)
	}
	for i, w := range []metadata.AuditEntry{entries[2], entries[0]} {
		g := got[i]
		if _, err := time.Parse(druidapi.TimeLayout, g.CreatedDate); err != nil {
			t.Fatalf("entry %d CreatedDate %q: %v", i, g.CreatedDate, err)
		}
		if w.CreatedDate == "" {
			w.CreatedDate = g.CreatedDate
		}
		if g.Key != w.Key || g.Type != w.Type || g.Author != w.Author || g.Comment != w.Comment ||
			g.CreatedDate != w.CreatedDate || !bytes.Equal(g.Payload, w.Payload) {
			t.Fatalf("entry %d = %+v, want %+v", i, g, w)
		}
	}
	if got, err := s.AuditEntries(ctx, "missing"); err != nil || len(got) != 0 {
		t.Fatalf("AuditEntries(missing) = %v, %v", got, err)
	}
}

func testClose(t *testing.T, s metadata.Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.LatestSupervisors(context.Background()); err == nil {
		t.Fatal("LatestSupervisors after Close succeeded")
	}
}
