package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/indexzip"
)

// ErrUnsupportedLoadSpec is returned when a LoadSpec's type is not handled by
// the deep storage it is given to.
var ErrUnsupportedLoadSpec = errors.New("storage: unsupported loadSpec type")

// SegmentKey identifies a segment in deep storage: Druid's SegmentId, the type the metadata
// store allocates (metadata.SegmentID), so a task pushes under the id it was given.
type SegmentKey = druidapi.SegmentID

// relDir is Druid's default storage directory for the key.
func relDir(k SegmentKey) (string, error) {
	for _, p := range []string{k.DataSource, k.Version} {
		if !isPathElement(p) {
			return "", fmt.Errorf("storage: segment %s: %q is not usable as a path element", k, p)
		}
	}
	return filepath.Join(k.DataSource, druidapi.FormatTime(k.Start)+"_"+druidapi.FormatTime(k.End), k.Version, strconv.Itoa(k.Partition)), nil
}

// isPathElement reports whether p is one plain path element on every OS: not empty, not . or
// .., no separator of either kind, and local by filepath's rules (no volume names or reserved
// Windows names).
func isPathElement(p string) bool {
	return p != "" && p != "." && p != ".." && !strings.ContainsAny(p, `/\`) && filepath.IsLocal(p)
}

// inside reports whether path is strictly below Root (not Root itself), lexically: what Kill
// may rename and remove. A loadSpec is read back from the metadata store, and a row pointing
// elsewhere must not make Kill delete another directory.
func (l *Local) inside(path string) bool {
	root, err := filepath.Abs(l.Root)
	if err != nil {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(root, abs)
	return err == nil && rel != "." && filepath.IsLocal(rel)
}

// LoadSpec tells a puller where a segment is; it is the loadSpec of the segment's
// druidapi.DataSegment, {"type":"local","path":"/abs/path/index.zip"} for Local.
type LoadSpec = druidapi.LoadSpec

// Local is deep storage on a local or shared filesystem
// (druid.storage.type=local, druid.storage.storageDirectory=Root).
type Local struct {
	Root string // base directory; created on first Push
}

const (
	archiveName    = "index.zip"
	tmpForDeletion = ".tmp-for-deletion"
)

// Push archives segmentDir as <Root>/<key path>/index.zip and returns its
// loadSpec and the archive size. The archive is written to a temporary file,
// fsynced and renamed, so readers never see a partial index.zip; pushing the
// same key again replaces the archive atomically.
func (l *Local) Push(ctx context.Context, segmentDir string, id SegmentKey) (LoadSpec, int64, error) {
	if err := ctx.Err(); err != nil {
		return LoadSpec{}, 0, err
	}
	rel, err := relDir(id)
	if err != nil {
		return LoadSpec{}, 0, err
	}
	root, err := filepath.Abs(l.Root)
	if err != nil {
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	dir := filepath.Join(root, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	f, err := os.CreateTemp(dir, archiveName+".tmp-*")
	if err != nil {
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	tmp := f.Name()
	fail := func(err error) (LoadSpec, int64, error) {
		f.Close()
		os.Remove(tmp)
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	size, err := indexzip.Write(f, segmentDir)
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	path := filepath.Join(dir, archiveName)
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	if err := syncDir(dir); err != nil {
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	return LoadSpec{Type: "local", Path: path}, size, nil
}

// Pull extracts the segment named by spec into the new directory dstDir,
// ready for segment.Open.
func (l *Local) Pull(ctx context.Context, spec LoadSpec, dstDir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if spec.Type != "local" {
		return fmt.Errorf("storage: pull %q: %w", spec.Type, ErrUnsupportedLoadSpec)
	}
	if err := indexzip.Extract(spec.Path, dstDir); err != nil {
		return fmt.Errorf("storage: pull %s: %w", spec.Path, err)
	}
	return nil
}

// Kill deletes the segment named by spec: its partition directory is renamed
// to "<partition>.tmp-for-deletion" and removed, then empty parent
// directories up to Root are removed (as LocalDataSegmentKiller). Killing a
// missing segment is not an error.
func (l *Local) Kill(ctx context.Context, spec LoadSpec) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if spec.Type != "local" {
		return fmt.Errorf("storage: kill %q: %w", spec.Type, ErrUnsupportedLoadSpec)
	}
	dir := filepath.Dir(spec.Path)
	if filepath.Base(spec.Path) != archiveName {
		return fmt.Errorf("storage: kill %s: not an %s", spec.Path, archiveName)
	}
	if !l.inside(dir) {
		return fmt.Errorf("storage: kill %s: not under the storage directory %s", spec.Path, l.Root)
	}
	del := dir + tmpForDeletion
	if err := os.Rename(dir, del); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("storage: kill %s: %w", spec.Path, err)
	}
	if err := os.RemoveAll(del); err != nil {
		return fmt.Errorf("storage: kill %s: %w", spec.Path, err)
	}
	root, _ := filepath.Abs(l.Root)
	for p := filepath.Dir(dir); p != root && strings.HasPrefix(p, root+string(filepath.Separator)); p = filepath.Dir(p) {
		if os.Remove(p) != nil { // not empty, or gone
			break
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Sweep removes what a crash can leave under Root: "index.zip.tmp-*" files
// from an interrupted Push and "*.tmp-for-deletion" directories from an
// interrupted Kill. Call it at startup, before serving pushes.
func (l *Local) Sweep(ctx context.Context) error {
	err := filepath.WalkDir(l.Root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		n := d.Name()
		switch {
		case d.IsDir() && strings.HasSuffix(n, tmpForDeletion):
			if err := os.RemoveAll(path); err != nil {
				return err
			}
			return filepath.SkipDir
		case !d.IsDir() && strings.HasPrefix(n, archiveName+".tmp-"):
			return os.Remove(path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: sweep %s: %w", l.Root, err)
	}
	return nil
}
