package indexzip

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrCorrupt is returned, wrapped, when an archive cannot be trusted: not a
// zip, a bad checksum, an entry that is not a plain file name, or an entry
// larger than maxArchiveFile. Test with errors.Is.
var ErrCorrupt = errors.New("indexzip: corrupt archive")

// maxArchiveFile bounds one extracted file, guarding against zip bombs.
const maxArchiveFile = 1 << 40

// tmpForCreation suffixes the directory Extract fills before renaming it into place, as
// segment directories are built, so a crash never leaves a half-extracted segment under its
// final name.
const tmpForCreation = ".tmp-for-creation"

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// Write writes the regular files of segment directory dir to w as a
// zip archive (Druid's index.zip: flat, Deflate, one entry per file, sorted
// by name, zero modification times so equal segments give equal archives).
// It returns the number of bytes written.
func Write(w io.Writer, dir string) (int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("indexzip: archive %s: %w", dir, err)
	}
	cw := &countWriter{w: w}
	zw := zip.NewWriter(cw)
	// Columns are mostly LZ4 blocks already; the fastest Deflate level still roughly halves
	// what remains at a fraction of the default level's CPU (pushing is on the publish path).
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if err := addToZip(zw, filepath.Join(dir, n), n); err != nil {
			return cw.n, err
		}
	}
	if err := zw.Close(); err != nil {
		return cw.n, fmt.Errorf("indexzip: archive %s: %w", dir, err)
	}
	return cw.n, nil
}

func addToZip(zw *zip.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	defer f.Close()
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	if _, err := io.Copy(fw, f); err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Extract unpacks the zip archive at zipPath into the new directory
// dst (through dst + ".tmp-for-creation", fsync and rename). Entries must be
// plain file names; anything else (directories, "..", absolute paths) is
// refused as corruption.
func Extract(zipPath, dst string) (err error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("indexzip: extract %s: %w: %w", zipPath, ErrCorrupt, err)
	}
	defer zr.Close()
	dst = filepath.Clean(dst)
	tmp := dst + tmpForCreation
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("indexzip: extract %s: %w", zipPath, err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("indexzip: extract %s: %w", zipPath, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range zr.File {
		n := f.Name
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
			return fmt.Errorf("indexzip: extract %s: %w", zipPath, corruptf("entry name %q", n))
		}
		if err := extractOne(f, filepath.Join(tmp, n)); err != nil {
			return fmt.Errorf("indexzip: extract %s: %w", zipPath, err)
		}
	}
	if err := syncDir(tmp); err != nil {
		return fmt.Errorf("indexzip: extract %s: %w", zipPath, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("indexzip: extract %s: %w", zipPath, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("indexzip: extract %s: %w", zipPath, err)
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

func extractOne(f *zip.File, path string) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(rc, maxArchiveFile+1))
	if err == nil && n > maxArchiveFile {
		err = corruptf("entry %q larger than %d bytes", f.Name, int64(maxArchiveFile))
	}
	if err != nil {
		out.Close()
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
