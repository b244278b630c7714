package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func buildSegment(t *testing.T) (string, segment.Metadata) {
	t.Helper()
	meta := segment.Metadata{
		DataSource: "wiki", Interval: segment.Interval{Start: t0, End: t0.Add(time.Hour)}, Version: "2026-01-01T00:00:00.000Z", Partition: 2,
		Dimensions: []segment.DimensionSchema{{Name: "page", Type: segment.TypeString}},
		Metrics:    []segment.MetricSchema{{Name: "count", Type: segment.TypeLong}},
	}
	dir := filepath.Join(t.TempDir(), "seg")
	w, err := segment.NewWriter(dir, meta, segment.DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"a", "b", "a"} {
		if err := w.Add(&segment.Row{Time: t0.UnixMilli() + int64(i), Dims: []segment.DimValue{{Str: p}}, Metrics: []segment.MetricValue{{Long: int64(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, meta
}

func TestPushPullKill(t *testing.T) {
	ctx := context.Background()
	dir, meta := buildSegment(t)
	root := t.TempDir()
	l := &Local{Root: root}
	key := SegmentKey{DataSource: meta.DataSource, Start: meta.Interval.Start, End: meta.Interval.End, Version: meta.Version, Partition: meta.Partition}

	spec, size, err := l.Push(ctx, dir, key)
	if err != nil {
		t.Fatal(err)
	}
	wantPath := filepath.Join(root, "wiki", "2026-01-01T00:00:00.000Z_2026-01-01T01:00:00.000Z", "2026-01-01T00:00:00.000Z", "2", "index.zip")
	if spec.Path != wantPath || spec.Type != "local" {
		t.Fatalf("loadSpec %+v, want path %s", spec, wantPath)
	}
	if fi, err := os.Stat(wantPath); err != nil || fi.Size() != size {
		t.Fatalf("archive %v, size %d vs %d", err, fi.Size(), size)
	}
	js, _ := json.Marshal(spec)
	if string(js) != `{"type":"local","path":"`+wantPath+`"}` {
		t.Fatalf("loadSpec JSON %s", js)
	}
	if ents, _ := os.ReadDir(filepath.Dir(wantPath)); len(ents) != 1 {
		t.Fatalf("leftover temp files: %v", ents)
	}

	// Pull and compare every file, then the rows through the reader.
	pulled := filepath.Join(t.TempDir(), "pulled")
	if err := l.Pull(ctx, spec, pulled); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{segment.VersionFile, segment.DataFile, segment.MetaFile} {
		a, _ := os.ReadFile(filepath.Join(dir, n))
		b, err := os.ReadFile(filepath.Join(pulled, n))
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s differs after pull: %v", n, err)
		}
	}
	r, err := segment.Open(pulled)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumRows() != 3 || r.Metadata().DataSource != "wiki" {
		t.Fatalf("pulled segment: %+v", r.Metadata())
	}

	// dump-segment reads the deep-storage archive directly.
	var fromZip, fromDir bytes.Buffer
	if err := segment.Dump(&fromZip, spec.Path, segment.DumpOptions{Mode: "rows"}); err != nil {
		t.Fatal(err)
	}
	if err := segment.Dump(&fromDir, dir, segment.DumpOptions{Mode: "rows"}); err != nil {
		t.Fatal(err)
	}
	if fromZip.String() != fromDir.String() || fromZip.Len() == 0 {
		t.Fatalf("dump from zip:\n%s\nfrom dir:\n%s", fromZip.String(), fromDir.String())
	}

	// Pushing again replaces the archive.
	if _, _, err := l.Push(ctx, dir, key); err != nil {
		t.Fatal(err)
	}

	if err := l.Kill(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("kill left %v", ents)
	}
	if err := l.Kill(ctx, spec); err != nil {
		t.Fatalf("second kill: %v", err)
	}
	if err := l.Pull(ctx, LoadSpec{Type: "s3_zip"}, pulled); !errors.Is(err, ErrUnsupportedLoadSpec) {
		t.Fatalf("unsupported loadSpec: %v", err)
	}
}

func TestPushRejectsBadKey(t *testing.T) {
	dir, _ := buildSegment(t)
	l := &Local{Root: t.TempDir()}
	for _, k := range []SegmentKey{{DataSource: "../x", Version: "v"}, {DataSource: "..", Version: "v"}, {DataSource: "/abs", Version: "v"}, {DataSource: "x", Version: ""}, {DataSource: "x", Version: "a/b"}, {DataSource: "x", Version: ".."}} {
		if _, _, err := l.Push(context.Background(), dir, k); err == nil {
			t.Fatalf("key %+v accepted", k)
		}
	}
}

// TestKillStaysInside: a loadSpec read back from the store that points outside Root (or at
// Root itself) is refused, and nothing there is renamed or removed.
func TestKillStaysInside(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "deep")
	victim := filepath.Join(top, "victim")
	if err := os.MkdirAll(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(victim, archiveName), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	l := &Local{Root: root}
	for _, p := range []string{
		filepath.Join(victim, archiveName),
		root + "/../victim/" + archiveName,
		filepath.Join(root, archiveName),
		filepath.Join(top, archiveName),
	} {
		if err := l.Kill(context.Background(), LoadSpec{Type: "local", Path: p}); err == nil {
			t.Errorf("Kill(%s) succeeded", p)
		}
	}
	for _, p := range []string{filepath.Join(victim, archiveName), root} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestSegmentKeyString(t *testing.T) {
	k := SegmentKey{DataSource: "wiki", Start: t0, End: t0.Add(time.Hour), Version: "v1", Partition: 1}
	if got, want := k.String(), "wiki_2026-01-01T00:00:00.000Z_2026-01-01T01:00:00.000Z_v1_1"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestSweep(t *testing.T) {
	root := t.TempDir()
	part := filepath.Join(root, "wiki", "iv", "v", "0")
	os.MkdirAll(part, 0o755)
	os.WriteFile(filepath.Join(part, "index.zip"), []byte("keep"), 0o644)
	os.WriteFile(filepath.Join(part, "index.zip.tmp-123"), []byte("partial"), 0o644)
	os.MkdirAll(filepath.Join(root, "wiki", "iv", "v", "1"+tmpForDeletion, "x"), 0o755)
	l := &Local{Root: root}
	if err := l.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(part)
	if len(ents) != 1 || ents[0].Name() != "index.zip" {
		t.Fatalf("partition dir holds %v", ents)
	}
	if _, err := os.Stat(filepath.Join(root, "wiki", "iv", "v", "1"+tmpForDeletion)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deletion leftover: %v", err)
	}
	if err := (&Local{Root: filepath.Join(root, "missing")}).Sweep(context.Background()); err != nil {
		t.Fatalf("missing root: %v", err)
	}
}
