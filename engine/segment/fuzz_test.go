package segment

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// FuzzColumn swaps one column's payload of a small segment for the fuzzed
// bytes, with the section framed and checksummed as the writer would, so the
// column decoders (reader and row iterator) see corrupt content behind valid
// CRCs. Every input must give a result or an error, never a panic.
//
//	go test ./engine/segment -run '^$' -fuzz FuzzColumn -fuzztime 10s
func FuzzColumn(f *testing.F) {
	dirs := map[string][]byte{}
	for _, spec := range []IndexSpec{
		DefaultIndexSpec(),
		{Bitmap: "roaring", DimensionCompression: "zstd", MetricCompression: "zstd", LongEncoding: "auto"},
		{Bitmap: "roaring", DimensionCompression: "none", MetricCompression: "none", LongEncoding: "auto"},
	} {
		dir := filepath.Join(f.TempDir(), spec.DimensionCompression)
		rows := genRows(rand.New(rand.NewPCG(5, 5)), 40, 5)
		rows[7].Dims[0] = DimValue{Str: "once"} // a one-row bitmap (v5 tag)
		writeSegment(f, dir, testMeta(), spec, rows)
		data, err := os.ReadFile(filepath.Join(dir, DataFile))
		if err != nil {
			f.Fatal(err)
		}
		dirs[dir] = data
		secs := splitSections(f, data)
		for i, s := range secs {
			f.Add(spec.DimensionCompression, uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, codec string, col uint8, payload []byte) {
		var src string
		for d := range dirs {
			if filepath.Base(d) == codec {
				src = d
			}
		}
		if src == "" {
			return
		}
		secs := splitSections(t, dirs[src])
		i := 1 + int(col)%(len(secs)-1) // a column, not the metadata
		secs[i] = payload
		dir := filepath.Join(t.TempDir(), "seg")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeSections(t, src, dir, dirs[src], secs)
		_ = openAndRead(dir)
		if r, err := Open(dir); err == nil {
			for _, c := range r.Columns() {
				if c.Type == TypeString {
					r.Dictionary(c.Name)
					r.IDs(c.Name, nil)
					r.Offsets(c.Name, nil)
					r.RawBitmaps(c.Name)
					r.Cardinality(c.Name)
				}
			}
			r.Close()
		}
	})
}

// splitSections returns the payloads of an index.seg's sections, in TOC
// order.
func splitSections(tb testing.TB, data []byte) [][]byte {
	tb.Helper()
	foot := data[len(data)-16:]
	toc := binary.BigEndian.Uint64(foot)
	n := binary.BigEndian.Uint32(data[toc:])
	d := decbuf{b: data[toc+4 : toc+4+uint64(n)]}
	k := d.count("entries", 1<<20)
	var out [][]byte
	for range k {
		d.byte1("kind")
		d.uvarintBytes("name")
		off := d.be64("offset")
		l := binary.BigEndian.Uint32(data[off:])
		out = append(out, data[off+4:off+4+uint64(l)])
	}
	if d.err != nil {
		tb.Fatal(d.err)
	}
	return out
}

// writeSections writes dst as src's segment with its section payloads
// replaced by secs, re-framing sections, TOC and footer and fixing
// meta.json's dataFileSize.
func writeSections(tb testing.TB, src, dst string, data []byte, secs [][]byte) {
	tb.Helper()
	foot := data[len(data)-16:]
	toc := binary.BigEndian.Uint64(foot)
	n := binary.BigEndian.Uint32(data[toc:])
	d := decbuf{b: data[toc+4 : toc+4+uint64(n)]}
	k := d.count("entries", 1<<20)
	out := append([]byte(nil), data[:5]...)
	tocB := appendUvarint(nil, uint64(k))
	for i := range k {
		kind := d.byte1("kind")
		name := d.uvarintBytes("name")
		d.be64("offset")
		tocB = append(tocB, kind)
		tocB = appendString(tocB, string(name))
		tocB = appendU64(tocB, uint64(len(out)))
		out = appendU32(out, uint32(len(secs[i])))
		out = append(out, secs[i]...)
		out = appendU32(out, crc32c(secs[i]))
	}
	tocOff := uint64(len(out))
	out = appendU32(out, uint32(len(tocB)))
	out = append(out, tocB...)
	out = appendU32(out, crc32c(tocB))
	ft := appendU64(nil, tocOff)
	out = append(out, ft...)
	out = appendU32(out, crc32c(ft))
	out = appendU32(out, MagicSegment)
	if err := os.WriteFile(filepath.Join(dst, DataFile), out, 0o644); err != nil {
		tb.Fatal(err)
	}
	vb, err := os.ReadFile(filepath.Join(src, VersionFile))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, VersionFile), vb, 0o644); err != nil {
		tb.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join(src, MetaFile))
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(mb, &m); err != nil {
		tb.Fatal(err)
	}
	m["dataFileSize"] = len(out)
	if mb, err = json.Marshal(m); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, MetaFile), mb, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// TestWriteSectionsRoundTrip checks the fuzz harness itself: unchanged
// payloads give a segment that reads back.
func TestWriteSectionsRoundTrip(t *testing.T) {
	src := smallSegment(t, DefaultIndexSpec())
	data, err := os.ReadFile(filepath.Join(src, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "seg")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	writeSections(t, src, dst, data, splitSections(t, data))
	if err := openAndRead(dst); err != nil {
		t.Fatal(err)
	}
}
