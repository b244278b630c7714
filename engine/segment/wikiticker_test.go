package segment

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/indexzip"
)

// The wikiticker size check: Druid's tutorial sample (wikiticker-2015-09-12-sampled,
// 39,244 rows) ingested with Druid's tutorial spec (wikipedia-index.json: 16 string
// dimensions, added/deleted/delta as long dimensions, no rollup, no metrics). The
// sample is not shipped here; KI_WIKITICKER=path (the .json or .json.gz file) measures
// the real one. Without it the test generates 39,244 rows of the same shape, with
// value distributions chosen so that gzip -9 of their JSON comes to about the real
// file's 58.6 B/row.
//
//	go test ./engine/segment -run TestWikitickerSize -v -count=1

// wikiDims is the tutorial spec's dimension list, in its order.
var wikiDims = []string{
	"channel", "cityName", "comment", "countryIsoCode", "countryName", "isAnonymous",
	"isMinor", "isNew", "isRobot", "isUnpatrolled", "metroCode", "namespace", "page",
	"regionIsoCode", "regionName", "user",
}

var wikiLongs = []string{"added", "deleted", "delta"}

const wikiRows = 39244

func wikiMeta() Metadata {
	day := time.Date(2015, 9, 12, 0, 0, 0, 0, time.UTC)
	m := Metadata{DataSource: "wikipedia", Interval: Interval{day, day.Add(24 * time.Hour)}, Version: "v1"}
	for _, d := range wikiDims {
		m.Dimensions = append(m.Dimensions, DimensionSchema{Name: d, Type: TypeString})
	}
	for _, d := range wikiLongs {
		m.Dimensions = append(m.Dimensions, DimensionSchema{Name: d, Type: TypeLong})
	}
	return m
}

// wikiEvent is one JSON line of the sample.
type wikiEvent map[string]any

// wikiToRow converts an event with the tutorial spec's dimensions: JSON
// booleans and numbers in string dimensions become their text, as Druid's
// string dimension does.
func wikiToRow(ev wikiEvent) (Row, error) {
	ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["time"]))
	if err != nil {
		return Row{}, err
	}
	r := Row{Time: ts.UnixMilli()}
	for _, d := range wikiDims {
		var v DimValue
		switch x := ev[d].(type) {
		case nil:
			v.Null = true
		case string:
			v.Str = x
		case bool, float64, json.Number:
			v.Str = fmt.Sprint(x)
		default:
			return Row{}, fmt.Errorf("dimension %s: %T", d, x)
		}
		r.Dims = append(r.Dims, v)
	}
	for _, d := range wikiLongs {
		var v DimValue
		switch x := ev[d].(type) {
		case nil:
			v.Null = true
		case json.Number:
			if v.Long, err = x.Int64(); err != nil {
				return Row{}, err
			}
		default:
			return Row{}, fmt.Errorf("dimension %s: %T", d, x)
		}
		r.Dims = append(r.Dims, v)
	}
	return r, nil
}

// wikiEvents returns the sample's JSON lines: the real file when
// KI_WIKITICKER names it, else the generated look-alike.
func wikiEvents(tb testing.TB) (lines [][]byte, source string) {
	path := os.Getenv("KI_WIKITICKER")
	if path == "" {
		return genWikiEvents(wikiRows), "generated look-alike"
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		rd = zr
	}
	sc := bufio.NewScanner(rd)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines, path
}

// genWikiEvents generates n events shaped like the sample: one day of edits
// across ~50 wikis, sorted by time, mostly-null geo fields (only anonymous
// edits carry them), Zipf-distributed pages, users and comments.
func genWikiEvents(n int) [][]byte {
	rng := rand.New(rand.NewPCG(2015, 912))
	syll := []string{"a", "an", "ar", "ba", "be", "ca", "ci", "da", "de", "do", "e", "el", "en", "er", "fa", "ga", "ha", "i", "in", "is", "ka", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "ni", "no", "o", "on", "or", "pa", "pe", "ra", "re", "ri", "ro", "sa", "se", "si", "so", "ta", "te", "ti", "to", "u", "un", "va", "ve", "vi", "y", "za", "zo"}
	word := func() string {
		var b strings.Builder
		for k := 1 + rng.IntN(3); k >= 0; k-- {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		return b.String()
	}
	vocab := make([]string, 20000)
	for i := range vocab {
		vocab[i] = word()
	}
	vz := rand.NewZipf(rng, 1.05, 8, uint64(len(vocab)-1))
	phrase := func(k int) string {
		if k == 0 {
			return ""
		}
		ws := make([]string, k)
		for i := range ws {
			ws[i] = vocab[vz.Uint64()]
		}
		ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
		return strings.Join(ws, " ")
	}
	pick := func(vals []string, z *rand.Zipf) string { return vals[z.Uint64()] }
	mk := func(k int, f func(i int) string) []string {
		out := make([]string, k)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	langs := []string{"en", "vi", "de", "fr", "it", "es", "ru", "ja", "pl", "pt", "zh", "nl", "sv", "uk", "ko", "fa", "ar", "ca", "cs", "hu", "fi", "he", "tr", "no", "id", "sh", "ro", "sr", "el", "eu", "bg", "hy", "th", "ms", "da", "sk", "uz", "kk", "et", "ce", "lt", "hr", "gl", "sl", "be", "ka", "ta", "hi", "az", "eo", "la"}
	channels := mk(len(langs), func(i int) string { return "#" + langs[i] + ".wikipedia" })
	chZ := rand.NewZipf(rng, 1.3, 1, uint64(len(channels)-1))
	namespaces := []string{"Main", "User", "Talk", "User talk", "Wikipedia", "Template", "Category", "File", "Wikipedia talk", "Portal", "Module", "Draft", "Benutzer", "Diskussion", "Utilisateur", "Discussion", "Thảo luận", "Thành viên", "Википедия", "Обсуждение", "Usuario", "Discusión", "Template talk", "Help", "Category talk", "Book", "MediaWiki", "File talk", "Portal talk", "Module talk", "Project", "Wikiproyecto", "Anexo", "Kategorie", "Vorlage", "Modèle", "Catégorie", "Progetto", "Aiuto", "Wikipedysta", "Dyskusja", "Szablon"}
	nsZ := rand.NewZipf(rng, 2.2, 1, uint64(len(namespaces)-1))
	pages := mk(40000, func(int) string { return phrase(1 + rng.IntN(4)) })
	pageZ := rand.NewZipf(rng, 1.01, 40, uint64(len(pages)-1))
	users := mk(12000, func(i int) string {
		if i%9 == 0 {
			return phrase(1) + "Bot"
		}
		return strings.ReplaceAll(phrase(1+rng.IntN(2)), " ", "_") + fmt.Sprint(rng.IntN(100))
	})
	userZ := rand.NewZipf(rng, 1.2, 2, uint64(len(users)-1))
	botComments := mk(400, func(int) string { return "Bot: " + phrase(3+rng.IntN(4)) })
	botZ := rand.NewZipf(rng, 1.3, 1, uint64(len(botComments)-1))
	countries := mk(90, func(int) string { return phrase(1 + rng.IntN(2)) })
	countryZ := rand.NewZipf(rng, 1.3, 1, uint64(len(countries)-1))
	cities := mk(900, func(int) string { return phrase(1 + rng.IntN(2)) })
	cityZ := rand.NewZipf(rng, 1.1, 2, uint64(len(cities)-1))

	start := time.Date(2015, 9, 12, 0, 46, 58, 771e6, time.UTC).UnixMilli()
	end := time.Date(2015, 9, 12, 23, 59, 59, 0, time.UTC).UnixMilli()
	step := float64(end-start) / float64(n)
	ts := float64(start)
	out := make([][]byte, 0, n)
	for range n {
		ts += rng.ExpFloat64() * step
		anon := rng.IntN(8) == 0
		robot := !anon && rng.IntN(3) == 0
		ev := map[string]any{
			"time":          time.UnixMilli(int64(ts)).UTC().Format("2006-01-02T15:04:05.000Z"),
			"channel":       pick(channels, chZ),
			"isAnonymous":   anon,
			"isMinor":       rng.IntN(3) == 0,
			"isNew":         rng.IntN(10) == 0,
			"isRobot":       robot,
			"isUnpatrolled": rng.IntN(7) == 0,
			"namespace":     pick(namespaces, nsZ),
			"page":          pick(pages, pageZ),
		}
		for _, f := range []string{"cityName", "countryIsoCode", "countryName", "metroCode", "regionIsoCode", "regionName"} {
			ev[f] = nil
		}
		if anon {
			ev["user"] = fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(223), rng.IntN(256), rng.IntN(256), rng.IntN(256))
			if rng.IntN(10) < 9 {
				c := countryZ.Uint64()
				ev["countryName"] = countries[c]
				ev["countryIsoCode"] = strings.ToUpper(countries[c][:2])
				if rng.IntN(3) > 0 {
					ci := cityZ.Uint64()
					ev["cityName"] = cities[ci]
					ev["regionName"] = cities[ci/3]
					ev["regionIsoCode"] = strings.ToUpper(cities[ci/3][:2])
					if c < 3 && rng.IntN(2) == 0 {
						ev["metroCode"] = 500 + int(ci%300)
					}
				}
			}
		} else {
			ev["user"] = pick(users, userZ)
		}
		switch {
		case robot:
			ev["comment"] = pick(botComments, botZ)
		case rng.IntN(5) == 0:
			ev["comment"] = ""
		default:
			ev["comment"] = "/* " + phrase(1+rng.IntN(3)) + " */ " + phrase(rng.IntN(12)) + fmt.Sprintf(" [[%s]] %d", phrase(1+rng.IntN(2)), rng.IntN(5000))
		}
		added := int64(math.Exp(rng.NormFloat64()*2 + 3))
		deleted := int64(0)
		if rng.IntN(3) == 0 {
			deleted = int64(math.Exp(rng.NormFloat64()*2 + 2))
		}
		ev["added"], ev["deleted"], ev["delta"] = added, deleted, added-deleted
		b, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

func parseWikiEvents(tb testing.TB, lines [][]byte) []Row {
	rows := make([]Row, 0, len(lines))
	for i, l := range lines {
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.UseNumber()
		var ev wikiEvent
		if err := dec.Decode(&ev); err != nil {
			tb.Fatalf("line %d: %v", i+1, err)
		}
		r, err := wikiToRow(ev)
		if err != nil {
			tb.Fatalf("line %d: %v", i+1, err)
		}
		rows = append(rows, r)
	}
	// A segment is sorted by time; the sample almost is.
	slices.SortStableFunc(rows, func(a, b Row) int { return int(a.Time - b.Time) })
	return rows
}

// wikiSize writes the rows as one segment with spec and returns the sizes
// per row of index.seg and of the published index.zip.
func wikiSize(tb testing.TB, rows []Row, spec IndexSpec) (seg, zip float64) {
	dir := filepath.Join(tb.TempDir(), "seg")
	meta := wikiMeta()
	writeSegment(tb, dir, meta, spec, rows)
	fi, err := os.Stat(filepath.Join(dir, DataFile))
	if err != nil {
		tb.Fatal(err)
	}
	zn, err := indexzip.Write(io.Discard, dir)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if testing.Verbose() {
		var sb strings.Builder
		for _, c := range r.Columns() {
			fmt.Fprintf(&sb, " %s=%.1f", c.Name, float64(c.Size)/float64(len(rows)))
		}
		tb.Logf("B/row per column:%s", sb.String())
	}
	got := readAll(tb, r)
	for i := range rows {
		if !rowsEqual(got[i], normalize(meta, rows[i])) {
			tb.Fatalf("row %d differs after the round trip", i)
		}
	}
	// Every bitmap holds exactly the rows of its id.
	for _, d := range wikiDims {
		ids, err := r.IDs(d, nil)
		if err != nil {
			tb.Fatal(err)
		}
		bms, err := r.Bitmaps(d)
		if err != nil {
			tb.Fatal(err)
		}
		total := uint64(0)
		for _, bm := range bms {
			total += bm.GetCardinality()
		}
		if total != uint64(len(rows)) {
			tb.Fatalf("column %s: bitmaps hold %d rows, want %d", d, total, len(rows))
		}
		for row, id := range ids {
			if !bms[id].Contains(uint32(row)) {
				tb.Fatalf("column %s: row %d missing from the bitmap of id %d", d, row, id)
			}
		}
	}
	return float64(fi.Size()) / float64(len(rows)), float64(zn) / float64(len(rows))
}

func TestWikitickerSize(t *testing.T) {
	lines, source := wikiEvents(t)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	raw := 0
	for _, l := range lines {
		zw.Write(l)
		zw.Write([]byte{'\n'})
		raw += len(l) + 1
	}
	zw.Close()
	rows := parseWikiEvents(t, lines)
	n := float64(len(rows))
	t.Logf("%s: %d rows, raw JSON %.1f B/row, gzip -9 %.1f B/row", source, len(rows), float64(raw)/n, float64(gz.Len())/n)

	for _, c := range []struct {
		name   string
		mutate func(*IndexSpec)
		// Upper bounds on the generated look-alike. Format v5 measured
		// 37.1 (default), 35.5 and 35.5 B/row for both files. Issue 10's
		// target is ≤ 40 B/row with Druid's default indexSpec on the real
		// sample, which is not here and was 3 B/row worse than the
		// look-alike when both were measured (v1), so the default's bound
		// keeps that margin below 40 (38, not 40); the others keep a
		// margin for codec library updates.
		maxSeg, maxZip float64
	}{
		{"default (Druid's: lz4)", func(*IndexSpec) {}, 38, 38},
		{"zstd", func(s *IndexSpec) { s.DimensionCompression = "zstd" }, 37, 37},
		{"zstd-auto", func(s *IndexSpec) {
			s.DimensionCompression, s.MetricCompression, s.LongEncoding = "zstd", "zstd", "auto"
		}, 37, 37},
	} {
		spec := DefaultIndexSpec()
		c.mutate(&spec)
		seg, zip := wikiSize(t, rows, spec)
		t.Logf("%s: index.seg %.1f B/row, index.zip %.1f B/row", c.name, seg, zip)
		if os.Getenv("KI_WIKITICKER") == "" && (seg > c.maxSeg || zip > c.maxZip) {
			t.Errorf("%s: %.1f / %.1f B/row, want at most %.0f / %.0f", c.name, seg, zip, c.maxSeg, c.maxZip)
		}
	}
}
