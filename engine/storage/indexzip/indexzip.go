package indexzip

import (
	"archive/zip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"
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
// zip archive (Druid's index.zip: flat, one entry per file, sorted by name,
// zero modification times so equal segments give equal archives). It
// returns the number of bytes written.
//
// A file whose content is already compressed (a sample of it shrinks by
// less than storeBelow under Deflate) is stored as it is, with its CRC and
// sizes in the local header (no data descriptor), which every zip reader
// accepts; the others are Deflated at the fastest level.
func Write(w io.Writer, dir string) (int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("indexzip: archive %s: %w", dir, err)
	}
	cw := &countWriter{w: w}
	zw := zip.NewWriter(cw)
	// Columns are mostly LZ4 blocks already; a fast Deflate level still roughly halves what
	// remains of the current format at a fraction of the default level's CPU (pushing is on
	// the publish path). klauspost's Deflate writes standard streams; its level 3 measured
	// within 2% of the standard library's BestSpeed in size at under half its CPU on a
	// no-rollup segment, where its level 1 lost 5% in size.
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, 3)
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
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	store, err := compressed(f, st.Size())
	if err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	if store {
		return storeInZip(zw, f, st.Size(), path, name)
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	if _, err := io.Copy(fw, f); err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	return nil
}

// Deflate sampling: a file is stored when sampleWindows windows of
// sampleWindow bytes spread over it (all of it if smaller) compress to more
// than storeBelow of their size.
const (
	sampleWindow  = 128 << 10
	sampleWindows = 4
	storeBelow    = 0.9
	// storeMin is the size under which a file is always Deflated: small
	// files are headers and JSON, and sampling them costs more than it saves.
	storeMin = 64 << 10
)

// compressed reports whether the file f of size n looks already
// compressed. It leaves f's offset at 0.
func compressed(f *os.File, n int64) (bool, error) {
	if n < storeMin {
		return false, nil
	}
	var cw countWriter
	cw.w = io.Discard
	fw, err := flate.NewWriter(&cw, flate.BestSpeed)
	if err != nil {
		return false, err
	}
	buf := make([]byte, min(sampleWindow, n))
	var in int64
	for k := int64(0); k < sampleWindows; k++ {
		off := k * (n - int64(len(buf))) / (sampleWindows - 1)
		m, err := f.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		fw.Write(buf[:m]) // into io.Discard: cannot fail
		in += int64(m)
	}
	if err := fw.Close(); err != nil {
		return false, err
	}
	return float64(cw.n) > storeBelow*float64(in), nil
}

// storeInZip adds f uncompressed, with its CRC-32 and sizes computed first so that the entry
// needs no data descriptor (some readers refuse a stored entry with one).
func storeInZip(zw *zip.Writer, f *os.File, n int64, path, name string) error {
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, n)); err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	fw, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CRC32: h.Sum32(),
		CompressedSize64: uint64(n), UncompressedSize64: uint64(n)})
	if err != nil {
		return fmt.Errorf("indexzip: archive %s: %w", path, err)
	}
	if _, err := io.Copy(fw, io.NewSectionReader(f, 0, n)); err != nil {
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
