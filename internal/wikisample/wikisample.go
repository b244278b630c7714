// Package wikisample gives tests Druid's wikiticker tutorial sample
// (wikiticker-2015-09-12-sampled.json.gz, 39,244 JSON lines of Wikipedia edits on
// 2015-09-12): the real file when KI_WIKITICKER names it, else a generated look-alike.
// The project does not ship the sample. The look-alike has the sample's fields and shape
// (one day of edits across ~50 wikis sorted by time, mostly-null geo fields that only
// anonymous edits carry, Zipf-distributed pages, users and comments), with value
// distributions chosen so that gzip -9 of its JSON comes to 58.7 B/row, against 58.6 for
// the real file. It is not tuned on our segment sizes.
package wikisample

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
	"strings"
	"testing"
	"time"
)

// Rows is the number of lines of the real sample.
const Rows = 39244

// Dimensions are the string dimensions of Druid's tutorial specs for the sample
// (wikipedia-index.json, wikipedia-kafka-supervisor.json), in their order; Longs follow
// them there as long dimensions.
var (
	Dimensions = []string{
		"channel", "cityName", "comment", "countryIsoCode", "countryName", "isAnonymous",
		"isMinor", "isNew", "isRobot", "isUnpatrolled", "metroCode", "namespace", "page",
		"regionIsoCode", "regionName", "user",
	}
	Longs = []string{"added", "deleted", "delta"}
)

// Lines returns the sample's JSON lines and where they came from: the file KI_WIKITICKER
// names (.json, or .json.gz), with real true, else Generate(Rows).
func Lines(tb testing.TB) (lines [][]byte, source string, real bool) {
	tb.Helper()
	path := os.Getenv("KI_WIKITICKER")
	if path == "" {
		return Generate(Rows), "generated look-alike", false
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("KI_WIKITICKER: %v", err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatalf("KI_WIKITICKER: %v", err)
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
		tb.Fatalf("KI_WIKITICKER: %v", err)
	}
	return lines, path, true
}

// Generate returns n events shaped like the sample, as JSON lines: one day of edits
// across ~50 wikis, sorted by time, mostly-null geo fields (only anonymous
// edits carry them), Zipf-distributed pages, users and comments.
func Generate(n int) [][]byte {
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
	evs := make([]map[string]any, 0, n)
	times := make([]float64, 0, n)
	for range n {
		ts += rng.ExpFloat64() * step
		times = append(times, ts)
		anon := rng.IntN(8) == 0
		robot := !anon && rng.IntN(3) == 0
		ev := map[string]any{
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
		evs = append(evs, ev)
	}
	// The exponential gaps may add up to more than the day; like the sample's, every edit
	// stays in it (one DAY segment), so the times are scaled to end by the day's end.
	scale := min(1, float64(end-start)/(ts-float64(start)))
	out := make([][]byte, 0, n)
	for i, ev := range evs {
		ev["time"] = time.UnixMilli(start + int64((times[i]-float64(start))*scale)).UTC().Format("2006-01-02T15:04:05.000Z")
		b, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}
