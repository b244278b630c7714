package segment

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallSegment writes a small segment with every column type and returns its
// directory.
func smallSegment(t *testing.T, spec IndexSpec) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "seg")
	writeSegment(t, dir, testMeta(), spec, genRows(rand.New(rand.NewPCG(5, 5)), 40, 5))
	return dir
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{VersionFile, DataFile, MetaFile} {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// openAndRead opens dir and decodes every column.
func openAndRead(dir string) error {
	r, err := Open(dir)
	if err != nil {
		return err
	}
	it := r.Rows()
	for it.Next() {
	}
	if err := it.Err(); err != nil {
		return err
	}
	for _, c := range r.Columns() {
		if c.Type == TypeString {
			if _, err := r.Bitmaps(c.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestCorruptEveryByte flips each byte of version.bin and index.seg in turn;
// every flip must be reported as ErrCorrupt.
func TestCorruptEveryByte(t *testing.T) {
	for _, spec := range []IndexSpec{DefaultIndexSpec(), {Bitmap: "roaring", DimensionCompression: "none", MetricCompression: "none", LongEncoding: "auto"}} {
		src := smallSegment(t, spec)
		if err := openAndRead(src); err != nil {
			t.Fatal(err)
		}
		for _, file := range []string{VersionFile, DataFile} {
			orig, err := os.ReadFile(filepath.Join(src, file))
			if err != nil {
				t.Fatal(err)
			}
			dir := copyDir(t, src)
			path := filepath.Join(dir, file)
			for i := range orig {
				b := append([]byte(nil), orig...)
				b[i] ^= 0x5a
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := openAndRead(dir); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: flipped byte %d of %d: got %v, want ErrCorrupt", file, i, len(b), err)
				}
			}
		}
	}
}

func TestCorruptFiles(t *testing.T) {
	src := smallSegment(t, DefaultIndexSpec())
	orig, _ := os.ReadFile(filepath.Join(src, DataFile))
	meta, _ := os.ReadFile(filepath.Join(src, MetaFile))
	for _, tc := range []struct {
		name string
		file string
		edit func([]byte) []byte
		msg  string
	}{
		{name: "bad magic", file: DataFile, edit: func(b []byte) []byte { copy(b, "XXXX"); return b }, msg: "bad magic"},
		{name: "bad version.bin magic", file: VersionFile, edit: func(b []byte) []byte { b[0] = 0; return b }, msg: "bad magic"},
		{name: "unsupported version", file: VersionFile, edit: func(b []byte) []byte { b[4] = 9; return b }, msg: "unsupported format version 9"},
		{name: "version zero", file: VersionFile, edit: func(b []byte) []byte { b[4] = 0; return b }, msg: "unsupported format version 0"},
		{name: "trailing bytes", file: DataFile, edit: func(b []byte) []byte { return append(b, 0) }, msg: ""},
		{name: "truncated", file: DataFile, edit: func(b []byte) []byte { return b[:len(b)-1] }, msg: ""},
		{name: "empty", file: DataFile, edit: func(b []byte) []byte { return nil }, msg: ""},
		{name: "version.bin trailing", file: VersionFile, edit: func(b []byte) []byte { return append(b, 1) }, msg: "header of 6 bytes"},
		{name: "meta.json version", file: MetaFile, edit: func([]byte) []byte {
			return []byte(strings.Replace(string(meta), `"version": 1`, `"version": 2`, 1))
		}, msg: "version 2"},
		{name: "meta.json rows", file: MetaFile, edit: func([]byte) []byte {
			return []byte(strings.Replace(string(meta), `"numRows": 40`, `"numRows": 41`, 1))
		}, msg: "disagrees"},
		{name: "meta.json dataSource", file: MetaFile, edit: func([]byte) []byte {
			return []byte(strings.Replace(string(meta), `"wiki"`, `"wikj"`, 1))
		}, msg: "disagrees"},
		{name: "meta.json garbage", file: MetaFile, edit: func([]byte) []byte { return []byte("{") }, msg: ""},
		{name: "footer toc offset", file: DataFile, edit: func(b []byte) []byte {
			ft := b[len(b)-footerLen:]
			binary.BigEndian.PutUint64(ft, 5)
			binary.BigEndian.PutUint32(ft[8:], crc32c(ft[:8]))
			return b
		}, msg: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			path := filepath.Join(dir, tc.file)
			b, _ := os.ReadFile(path)
			if tc.file == DataFile {
				b = append([]byte(nil), orig...)
			}
			if err := os.WriteFile(path, tc.edit(b), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want ErrCorrupt containing %q", err, tc.msg)
			}
		})
	}
}
