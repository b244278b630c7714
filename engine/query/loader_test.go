package query

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
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
		if _, _, ok := c.engine.DataSourceColumns(ds); !ok {
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
