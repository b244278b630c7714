package indexzip

import (
	"archive/zip"
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestWriteExtract(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{"version.bin": "v", "index.seg": "data", "meta.json": "{}"}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(src, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Subdirectories are not part of a segment and are left out.
	if err := os.Mkdir(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	n, err := Write(&a, src)
	if err != nil || n != int64(a.Len()) {
		t.Fatalf("Write: %d bytes reported, %d written, %v", n, a.Len(), err)
	}
	if _, err := Write(&b, src); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("equal directories gave different archives (%v)", err)
	}
	zipPath := filepath.Join(t.TempDir(), "index.zip")
	if err := os.WriteFile(zipPath, a.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "segment")
	if err := Extract(zipPath, dst); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dst)
	if len(ents) != len(files) {
		t.Fatalf("extracted %v, want %d files", ents, len(files))
	}
	for n, c := range files {
		if got, err := os.ReadFile(filepath.Join(dst, n)); err != nil || string(got) != c {
			t.Fatalf("%s: %q, %v; want %q", n, got, err, c)
		}
	}
	if _, err := os.Stat(dst + tmpForCreation); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary directory left: %v", err)
	}
}

func TestExtractRefusesCorrupt(t *testing.T) {
	evil := func(name string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(name)
		w.Write([]byte("x"))
		zw.Close()
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name string
		zip  []byte
	}{
		{"not a zip", []byte("not a zip")},
		{"parent entry", evil("../escape")},
		{"nested entry", evil("a/b")},
		{"dot entry", evil(".")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			zipPath := filepath.Join(dir, "index.zip")
			if err := os.WriteFile(zipPath, tc.zip, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "out", "segment")
			os.MkdirAll(filepath.Dir(dst), 0o755)
			if err := Extract(zipPath, dst); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
			if ents, _ := os.ReadDir(filepath.Dir(dst)); len(ents) != 0 {
				t.Fatalf("left %v behind", ents)
			}
			if _, err := os.Stat(filepath.Join(dir, "escape")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("entry escaped: %v", err)
			}
		})
	}
}

// TestStoreCompressed checks that an already-compressed file is stored, not
// Deflated again, that a compressible one is Deflated, and that both read
// back through Extract and through Info-ZIP's unzip.
func TestStoreCompressed(t *testing.T) {
	src := t.TempDir()
	random := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(random)
	text := bytes.Repeat([]byte("page=Main_Page user=alice channel=#en\n"), 30000)
	files := map[string][]byte{"random.bin": random, "text.txt": text, "small.json": []byte(`{"a":1}`)}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(src, n), c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipPath := filepath.Join(t.TempDir(), "index.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(f, src); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint16{"random.bin": zip.Store, "text.txt": zip.Deflate, "small.json": zip.Deflate}
	for _, e := range zr.File {
		if e.Method != want[e.Name] {
			t.Errorf("%s: method %d, want %d", e.Name, e.Method, want[e.Name])
		}
		if e.Method == zip.Store && e.Flags&0x8 != 0 {
			t.Errorf("%s: stored with a data descriptor", e.Name)
		}
	}
	zr.Close()
	dst := filepath.Join(t.TempDir(), "segment")
	if err := Extract(zipPath, dst); err != nil {
		t.Fatal(err)
	}
	for n, c := range files {
		if got, err := os.ReadFile(filepath.Join(dst, n)); err != nil || !bytes.Equal(got, c) {
			t.Fatalf("%s: %d bytes, %v; want %d bytes", n, len(got), err, len(c))
		}
	}
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("unzip not installed")
		}
		t.Skip("unzip not installed")
	}
	if out, err := exec.Command(unzip, "-t", zipPath).CombinedOutput(); err != nil {
		t.Fatalf("unzip -t: %v\n%s", err, out)
	}
}
