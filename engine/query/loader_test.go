package query

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/s3test"
)

func TestCacheName(t *testing.T) {
	long := strings.Repeat("é ", 100) // 300 bytes, 900 escaped
	seen := map[string]string{}
	for _, in := range []string{"wikipedia", "my ds", "", ".", "..", "../../victim", "a/b", "/abs", "a\x00b", long, long + "x", "#x", "%23x"} {
		n := cacheName(in)
		if n == "" || n == "." || n == ".." || !filepath.IsLocal(n) || filepath.Base(n) != n || len(n) > maxCacheName {
			t.Errorf("cacheName(%q) = %q: not one short local name", in, n)
		}
		if prev, dup := seen[n]; dup {
			t.Errorf("cacheName(%q) = cacheName(%q) = %q", in, prev, n)
		}
		seen[n] = in
	}
	// Plain names keep the layout earlier versions wrote, so existing caches are reused.
	if n := cacheName("wikipedia"); n != "wikipedia" {
		t.Errorf("cacheName(wikipedia) = %q", n)
	}
	if n := cacheName("my ds"); n != "my%20ds" {
		t.Errorf("cacheName(my ds) = %q", n)
	}
}

// TestLoaderCacheStaysInside publishes segment rows whose datasource and id no validator has
// seen (a traversal, a name too long for a file name): the loader still caches them inside
// its cache directory and serves them.
func TestLoaderCacheStaysInside(t *testing.T) {
	root := t.TempDir()
	c := newCluster(t, root)
	defer c.close()
	ctx := context.Background()
	rows := genRows(rand.New(rand.NewPCG(3, 4)), 5, base.UnixMilli(), hour.Milliseconds(), 2)
	for i, ds := range []string{"..", strings.Repeat("d ", 120)} {
		// Build and push under a plain key, then publish a row naming the hostile datasource.
		dir := filepath.Join(root, "build", "seg")
		iv := segment.Interval{Start: base, End: base.Add(hour)}
		writeSegment(t, dir, wikiMeta("plain", iv, "v1", i), rows)
		ls, size, err := c.deep.Push(ctx, dir, storage.SegmentKey{DataSource: "plain", Start: base, End: base.Add(hour), Version: "v1", Partition: i})
		if err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(dir)
		id := metadata.SegmentID{DataSource: ds, Start: base, End: base.Add(hour), Version: "v1", Partition: i}
		payload, _ := json.Marshal(map[string]any{"dataSource": ds, "loadSpec": ls, "identifier": id.String()})
		seg := metadata.NewSegment(id)
		seg.ID = "../../" + id.String()
		seg.Payload, seg.Size = payload, size
		if err := c.store.Publish(ctx, metadata.PublishRequest{DataSource: ds, Segments: []metadata.Segment{seg}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.loader.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ds := range []string{"..", strings.Repeat("d ", 120)} {
		if _, _, ok, _ := c.engine.DataSourceColumns(ctx, ds); !ok {
			t.Errorf("datasource %q not served", ds)
		}
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"build", "cache", "deep", "meta"}; !slices.Equal(names, want) {
		t.Errorf("entries beside the cache: %v, want %v", names, want)
	}
	if err := filepath.WalkDir(filepath.Join(root, "cache"), func(p string, d os.DirEntry, err error) error {
		if err == nil && len(d.Name()) > 255-len(".tmp-for-creation") {
			t.Errorf("cache name too long: %s", p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestLoaderDropWaitsForReaders: a query that holds a segment while the loader drops it still
// reads it (its columns are decoded from the file on first use); the loader closes the file
// and deletes the directory only once the query lets go, and later queries no longer see it.
func TestLoaderDropWaitsForReaders(t *testing.T) {
	c := newCluster(t, t.TempDir())
	defer c.close()
	ctx := context.Background()
	rows := genRows(rand.New(rand.NewPCG(11, 12)), 40, base.UnixMilli(), hour.Milliseconds(), 5)
	id := c.publish(t, "held", base, base.Add(hour), "v1", 0, rows)
	if err := c.loader.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	refs, _ := c.loader.Segments(ctx, "held", []Interval{Eternity}) // what a query holds
	if len(refs) != 1 || refs[0].Segment.ID() != id {
		t.Fatalf("segments %v, want %s", refs, id)
	}
	seg := refs[0].Segment.(*loadedSegment)

	if _, err := c.store.MarkSegmentsUnused(ctx, []string{id}); err != nil {
		t.Fatal(err)
	}
	synced := make(chan error, 1)
	go func() { synced <- c.loader.Sync(ctx) }()
	// The round publishes the view without the segment, then waits for the holder.
	for deadline := time.Now().Add(10 * time.Second); slices.Contains(c.loader.DataSources(), "held"); {
		if time.Now().After(deadline) {
			t.Fatal("the drop never reached the loader's view")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, _, ok, _ := c.engine.DataSourceColumns(ctx, "held"); ok {
		t.Error("a new query still finds the dropped segment")
	}
	select {
	case err := <-synced:
		t.Fatalf("the round dropping a held segment returned (%v) before the holder released it", err)
	default:
	}
	if _, err := os.Stat(seg.dir); err != nil {
		t.Fatalf("directory of the held segment: %v", err)
	}

	// The holder reads columns nobody has decoded yet: from the still open file.
	cols := refs[0].Segment.Columns()
	added, err := cols.column("added")
	if err != nil {
		t.Fatalf("read a held segment while it is dropped: %v", err)
	}
	var got, want int64
	for _, v := range added.longs {
		got += v
	}
	for _, r := range rows {
		want += r.added
	}
	if len(added.longs) != len(rows) || got != want {
		t.Errorf("held segment: %d rows summing to %d, want %d summing to %d", len(added.longs), got, len(rows), want)
	}
	if n := openFilesUnder(t, seg.dir); n == 0 {
		t.Error("no open file under the held segment's directory")
	}

	releaseRefs(refs)
	select {
	case err := <-synced:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the round did not finish after the holder released the segment")
	}
	if _, err := os.Stat(seg.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory of the dropped segment after release: %v, want it deleted", err)
	}
	if n := openFilesUnder(t, seg.dir); n != 0 {
		t.Errorf("%d files of the dropped segment still open after release", n)
	}
}

// openFilesUnder counts this process's open files below dir (Linux /proc/self/fd; a deleted
// file's link ends in " (deleted)").
func openFilesUnder(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}

// TestLoaderCacheEvictsLRU: with a bounded segment cache over S3 deep storage, the loader pulls
// every published segment once (the handoff), keeps only what fits, evicts the least recently
// queried segments no query holds, and pulls evicted ones back when a query needs them; query
// results never change.
func TestLoaderCacheEvictsLRU(t *testing.T) {
	root := t.TempDir()
	c := newCluster(t, root)
	defer c.close()
	ctx := t.Context()
	srv := s3test.Start(t, "deep")
	deep, err := storage.NewS3(ctx, storage.S3Options{Bucket: "deep", Prefix: "segments", Endpoint: srv.URL, PathStyle: true,
		Credentials: s3test.Credentials, TempDir: t.TempDir(), RetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.deep = deep
	const segs, perSeg = 4, 50
	for i := range segs {
		start := base.Add(time.Duration(i) * hour)
		c.publish(t, "lru", start, start.Add(hour), "v1", 0, genRows(rand.New(rand.NewPCG(uint64(i), 9)), perSeg, start.UnixMilli(), hour.Milliseconds(), 5))
	}
	// The size of one segment in a cache, from an unbounded loader.
	probe := NewLoader(c.store, deep, filepath.Join(root, "probe"), LoaderOptions{})
	if err := probe.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	one := probe.CacheBytes() / segs
	probe.Close()

	bound := one*2 + one/2 // room for two segments
	cacheDir := filepath.Join(root, "bounded")
	l := NewLoader(c.store, deep, cacheDir, LoaderOptions{CacheBytes: bound})
	defer l.Close()
	e := New(l)
	onDisk := func() int {
		ents, _ := os.ReadDir(filepath.Join(cacheDir, "lru"))
		return len(ents)
	}
	check := func(step string, intervals string, wantRows int) {
		t.Helper()
		res, err := e.Run(ctx, []byte(`{"queryType":"timeseries","dataSource":"lru","granularity":"all","intervals":["`+intervals+`"],
			"aggregations":[{"type":"count","name":"rows"}]}`))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		js, _ := json.Marshal(res)
		if want := `"rows":` + strconv.Itoa(wantRows); !strings.Contains(string(js), want) {
			t.Fatalf("%s: %s, want %s", step, js, want)
		}
		if got := l.CacheBytes(); got > bound {
			t.Fatalf("%s: cache holds %d bytes, bound %d", step, got, bound)
		}
		if n := onDisk(); n != 2 {
			t.Fatalf("%s: %d segments on disk, want 2", step, n)
		}
	}
	if err := l.WaitLoaded(ctx, "lru", nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	gets := srv.Requests(http.MethodGet)
	if gets != 2*segs { // the probe's pulls and this loader's: each segment once
		t.Fatalf("%d GETs after loading, want %d", gets, 2*segs)
	}
	if n := onDisk(); n != 2 {
		t.Fatalf("%d segments on disk after loading, want 2", n)
	}
	// The first hour was loaded first, so it is evicted: querying it pulls it back.
	check("first hour", "2026-01-01T00:00:00Z/2026-01-01T01:00:00Z", perSeg)
	if got := srv.Requests(http.MethodGet); got != gets+1 {
		t.Fatalf("%d GETs for the evicted first hour, want 1", got-gets)
	}
	// Again: it is the most recently used now, so it stayed.
	check("first hour again", "2026-01-01T00:00:00Z/2026-01-01T01:00:00Z", perSeg)
	if got := srv.Requests(http.MethodGet); got != gets+1 {
		t.Fatalf("%d GETs for a cached segment", got-gets-1)
	}
	check("all", "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z", segs*perSeg)

	// Segments held by a query are never evicted, even past the bound.
	refs, err := l.Segments(ctx, "lru", []Interval{Eternity})
	if err != nil || len(refs) != segs {
		t.Fatalf("segments %d, %v", len(refs), err)
	}
	if n := onDisk(); n != segs {
		t.Fatalf("%d segments on disk while a query holds all %d", n, segs)
	}
	for _, r := range refs {
		if r.Segment.Columns().NumRows() != perSeg {
			t.Fatal("a held segment lost its rows")
		}
	}
	releaseRefs(refs)
	if n := onDisk(); n != 2 || l.CacheBytes() > bound {
		t.Fatalf("after release: %d segments, %d bytes on disk", n, l.CacheBytes())
	}

	// A segment that cannot be pulled back fails the query instead of dropping its rows.
	srv.FailNext(1000, func(r *http.Request) bool { return r.Method == http.MethodGet })
	_, err = e.Run(ctx, []byte(`{"queryType":"timeseries","dataSource":"lru","granularity":"all","intervals":["2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"],
		"aggregations":[{"type":"count","name":"rows"}],"context":{"timeout":2000}}`))
	var qe *Error
	if !errors.As(err, &qe) || qe.Status < 500 {
		t.Fatalf("query with deep storage down: %v", err)
	}
}
