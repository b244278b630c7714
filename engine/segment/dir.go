package segment

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeFileSync creates path with data and fsyncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("segment: create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("segment: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("segment: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("segment: close %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes path through path+".tmp", fsync and rename, so a
// crash leaves either the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := writeFileSync(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("segment: rename %s: %w", tmp, err)
	}
	return nil
}

// syncDir fsyncs a directory so renames and creations inside it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("segment: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("segment: sync dir %s: %w", dir, err)
	}
	return nil
}

// Remove deletes a segment directory crash-safely: it is first renamed to
// dir + ".tmp-for-deletion", so a crash mid-delete leaves a name that
// RemoveLeftovers sweeps, never a half-deleted segment under its real name.
func Remove(dir string) error {
	dir = filepath.Clean(dir)
	del := dir + tmpForDeletion
	if err := os.Rename(dir, del); err != nil {
		return fmt.Errorf("segment: remove %s: %w", dir, err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.RemoveAll(del); err != nil {
		return fmt.Errorf("segment: remove %s: %w", del, err)
	}
	return nil
}

// RemoveLeftovers deletes the "*.tmp-for-creation" and "*.tmp-for-deletion"
// entries directly under parent, left by a crash during NewWriter…Close or
// Remove. Call it at startup, before opening segments under parent.
func RemoveLeftovers(parent string) error {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return fmt.Errorf("segment: sweep %s: %w", parent, err)
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, tmpForCreation) || strings.HasSuffix(n, tmpForDeletion) {
			if err := os.RemoveAll(filepath.Join(parent, n)); err != nil {
				return fmt.Errorf("segment: sweep %s: %w", n, err)
			}
		}
	}
	return nil
}
