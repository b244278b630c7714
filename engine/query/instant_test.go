package query

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// druidEternity is Intervals.ETERNITY as Druid's Java client and SQL layer send it.
const druidEternity = "-146136543-09-08T08:23:32.096Z/146140482-04-24T15:36:27.903Z"

func TestParseIntervalExtremes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Interval
	}{
		{druidEternity, Eternity},
		{"-146136543-09-08T08:23:32.096Z/2026-01-01T00:00:00Z", Interval{Eternity.Start, 1767225600000}},
		{"2026-01-01/146140482-04-24T15:36:27.903Z", Interval{1767225600000, Eternity.End}},
		// past Druid's extremes, up to what int64 can spell: clamped
		{"-292278994-08-17T07:12:55.808Z/292278994-08-17T07:12:55.807Z", Eternity},
		{"-99999999999999999999999-01-01/+99999999999999999999999-01-01", Eternity},
		// a signed or five-digit year is an ordinary instant too
		{"+10000-01-01T00:00:00Z/+10000-01-02T00:00:00Z", Interval{253402300800000, 253402387200000}},
		{"-0001-01-01T00:00Z/0000-01-01", Interval{-62198755200000, -62167219200000}},
		{"-0004-02-29T01:00:00+01:00/0000-01-01", Interval{time.Date(-4, 2, 29, 0, 0, 0, 0, time.UTC).UnixMilli(), -62167219200000}},
		// periods next to an extreme do not wrap around
		{"146140482-04-24T15:36:27.903Z/P1000Y", Interval{Eternity.End, Eternity.End}},
		{"P1000Y/-146136543-09-08T08:23:32.096Z", Interval{Eternity.Start, Eternity.Start}},
		{"P1D/146140482-04-24T15:36:27.903Z", Interval{Eternity.End - 86_400_000, Eternity.End}},
	} {
		got, err := parseInterval(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseInterval(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if Eternity.String() != druidEternity {
		t.Errorf("Eternity prints as %s, want %s", Eternity, druidEternity)
	}
	if Eternity.Start != math.MinInt64/2 || Eternity.End != math.MaxInt64/2 {
		t.Errorf("Eternity %d/%d, want Long.MIN_VALUE/2, Long.MAX_VALUE/2", Eternity.Start, Eternity.End)
	}
	for _, bad := range []string{"-1x-01-01/2026-01-01", "2026-01-01/+-5-01-01", "100000-13-01/200000-01-01", "200000-01-01/100000-01-01", "-2001-02-29/2026"} {
		if _, err := parseInterval(bad); err == nil {
			t.Errorf("parseInterval(%q) accepted", bad)
		}
	}
}

// TestEternityQueries runs each query type over Druid's ETERNITY and expects
// the answer it gives over a bounded interval that holds all the data.
func TestEternityQueries(t *testing.T) {
	f := getFixture(t)
	const wide = `"1000-01-01/3000-01-01"`
	eternity := `"` + druidEternity + `"`
	for name, q := range map[string]string{
		"timeseries all":  `{"queryType":"timeseries","dataSource":"wiki","intervals":[IV],"granularity":"all","aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"added","fieldName":"added"}]}`,
		"timeseries hour": `{"queryType":"timeseries","dataSource":"wiki","intervals":[IV],"granularity":"hour","aggregations":[{"type":"count","name":"rows"}]}`,
		"topN":            `{"queryType":"topN","dataSource":"wiki","intervals":[IV],"granularity":"all","dimension":"page","metric":"rows","threshold":3,"aggregations":[{"type":"count","name":"rows"}]}`,
		"groupBy":         `{"queryType":"groupBy","dataSource":"wiki","intervals":[IV],"granularity":"day","dimensions":["page"],"aggregations":[{"type":"count","name":"rows"}]}`,
		"scan":            `{"queryType":"scan","dataSource":"wiki","intervals":[IV],"columns":["__time","page"],"limit":5}`,
		"timeBoundary":    `{"queryType":"timeBoundary","dataSource":"wiki","intervals":[IV]}`,
		"segmentMetadata": `{"queryType":"segmentMetadata","dataSource":"wiki","intervals":[IV],"analysisTypes":["interval","minmax"]}`,
	} {
		got := run(t, f.c.engine, strings.ReplaceAll(q, "IV", eternity))
		want := run(t, f.c.engine, strings.ReplaceAll(q, "IV", wide))
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s over ETERNITY:\n got %v\nwant %v", name, got, want)
		}
	}
	// the legacy single-string and {"type":"intervals"} forms too
	for _, iv := range []string{eternity, `{"type":"intervals","intervals":[` + eternity + `]}`} {
		out := run(t, f.c.engine, `{"queryType":"timeBoundary","dataSource":"wiki","intervals":`+iv+`}`)
		if len(out) != 1 {
			t.Errorf("timeBoundary with intervals %s: %v", iv, out)
		}
	}
}
