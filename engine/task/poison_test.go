package task

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// TestPoisonRowsDoNotBlockPartition is issue 13's poison row: records whose timestamp no
// segment can hold, between good rows, produced by kcat. Before, the first of them failed the
// task at segment allocation, and every retry after it, so nothing of the partition was ever
// published again. Now each is one unparseable row, the metric values that do not fit are
// processedWithError, and the task publishes every good row and succeeds.
func TestPoisonRowsDoNotBlockPartition(t *testing.T) {
	const topic = "poison"
	broker := startKafka(t, topic, 1)
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	var lines []string
	want := map[string][2]float64{}
	good := func(i int) {
		tm := base.Add(time.Duration(i) * time.Minute)
		host := fmt.Sprintf("h%d", i%2)
		lines = append(lines, fmt.Sprintf(`{"ts":%d,"host":%q,"metric":"cpu","value":%d}`, tm.UnixMilli(), host, i))
		want[fmt.Sprintf("%s %s cpu", tm.Format(druidapi.TimeLayout), host)] = [2]float64{1, float64(i)}
	}
	for i := 0; i < 10; i++ {
		good(i)
	}
	poison := []string{
		`{"ts":9223372036854775807,"id":"x","value":1}`, // the record of the issue
		`{"ts":-9223372036854775808,"id":"x","value":1}`,
		`{"ts":1e300,"id":"x","value":1}`,
		`{"ts":1e19,"id":"x","value":1}`,
		`{"ts":"10000-01-01T00:00:00Z","id":"x","value":1}`,
		`{"ts":[1709632800000],"id":"x","value":1}`,
		`{"ts":{"x":1},"id":"x","value":1}`,
		// In range, but its hourly segment would end at 10000-01-01T00:00:00.000Z.
		`{"ts":"9999-12-31T23:30:00Z","host":"late","metric":"cpu","value":1}`,
	}
	lines = append(lines, poison...)
	// Metric values that do not fit: the rows are kept, processedWithError.
	big := base.Add(30 * time.Minute)
	lines = append(lines,
		fmt.Sprintf(`{"ts":%d,"host":"big","metric":"cpu","value":1e308}`, big.UnixMilli()),
		fmt.Sprintf(`{"ts":%d,"host":"obj","metric":"cpu","value":{"x":1}}`, big.UnixMilli()),
	)
	want[big.Format(druidapi.TimeLayout)+" big cpu"] = [2]float64{1, 1e308}
	want[big.Format(druidapi.TimeLayout)+" obj cpu"] = [2]float64{1, 0}
	for i := 10; i < 20; i++ {
		good(i)
	}
	kcat(t, broker, topic, 0, lines)

	e := newEnv(t)
	end := int64(len(lines))
	raw := payload("poison-1", broker, topic, map[int32]int64{0: 0}, map[int32]int64{0: end}, func(p map[string]any) {
		ds := p["dataSchema"].(map[string]any)
		ds["timestampSpec"] = map[string]any{"column": "ts", "format": "auto"}
		ds["metricsSpec"] = append(ds["metricsSpec"].([]any), map[string]any{"type": "longSum", "name": "value_long", "fieldName": "value"})
		p["tuningConfig"].(map[string]any)["maxSavedParseExceptions"] = 20
	})
	tk, res := runTask(t, e, raw)
	if !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	tot := tk.Stats().Totals()
	if tot.Processed != 20 || tot.ProcessedWithError != 2 || tot.Unparseable != int64(len(poison)) || tot.ThrownAway != 0 {
		t.Errorf("row stats %+v, want 20 processed, 2 processedWithError, %d unparseable", tot, len(poison))
	}
	got := dumpRows(t, e, "metrics")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("published rows\n%v\nwant\n%v", got, want)
	}
	md, err := e.store.GetDataSourceMetadata(context.Background(), "metrics")
	if err != nil || md.Offsets[druidapi.Partition{ID: 0}] != end {
		t.Fatalf("stored offsets %+v, %v; want %d", md, err, end)
	}

	var unparseable, withError []string
	for _, pe := range tk.Stats().ParseExceptions() {
		msg := strings.Join(pe.Details, "; ")
		switch pe.ErrorType {
		case "unparseable":
			unparseable = append(unparseable, msg)
		case "processedWithError":
			withError = append(withError, msg)
		}
		if pe.Input == "" {
			t.Errorf("parse exception without input: %+v", pe)
		}
	}
	if len(unparseable) != len(poison) || len(withError) != 2 {
		t.Fatalf("saved parse exceptions: unparseable %q, processedWithError %q", unparseable, withError)
	}
	all := strings.Join(unparseable, "\n")
	for _, frag := range []string{
		`timestamp[9223372036854775807] is unparseable (column "ts", format auto): out of range`,
		"an array is not a timestamp",
		`timestamp[{"x":1}] is unparseable`,
		"its HOUR segment interval 9999-12-31T23:00:00.000Z/10000-01-01T00:00:00.000Z is outside the supported range",
	} {
		if !strings.Contains(all, frag) {
			t.Errorf("no unparseable message contains %q:\n%s", frag, all)
		}
	}
	all = strings.Join(withError, "\n")
	for _, frag := range []string{
		"value[1.0E308] does not fit in a long, stored as 9223372036854775807 for metric input[value]",
		`unable to parse value[{"x":1}] as double for metric input[value]`,
	} {
		if !strings.Contains(all, frag) {
			t.Errorf("no processedWithError message contains %q:\n%s", frag, all)
		}
	}
	if v := publishedLong(t, e, "big", "value_long"); v != "9223372036854775807" {
		t.Errorf("value_long of 1e308 = %s, want the saturated 9223372036854775807", v)
	}
}

// publishedLong returns metric col of the published row whose host is host, as exact text.
func publishedLong(t *testing.T, e *env, host, col string) string {
	t.Helper()
	segs, err := e.store.Segments(context.Background(), "metrics", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		var d druidapi.DataSegment
		if err := json.Unmarshal(s.Payload, &d); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := segment.Dump(&buf, d.LoadSpec.Path, segment.DumpOptions{Mode: "rows"}); err != nil {
			t.Fatalf("dump %s: %v", s.ID, err)
		}
		dec := json.NewDecoder(&buf)
		dec.UseNumber()
		for dec.More() {
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				t.Fatal(err)
			}
			if row["host"] == host {
				return fmt.Sprint(row[col])
			}
		}
	}
	t.Fatalf("no published row with host %s", host)
	return ""
}

// TestSegmentIntervalOutOfRange: a timestamp in range whose segment interval would start
// before year 0000 or end after 9999 (segment ids cannot hold it) is an unparseable row, for
// named, period-with-time-zone and duration granularities alike (ALL is refused by the spec).
func TestSegmentIntervalOutOfRange(t *testing.T) {
	tests := []struct {
		name string
		gran any
		at   string
		ok   bool
	}{
		{"day/last full day", "day", "9999-12-30T12:00:00Z", true},
		{"day/last day", "day", "9999-12-31T12:00:00Z", false},
		{"hour/last full hour", "hour", "9999-12-31T22:59:59.999Z", true},
		{"hour/last hour", "hour", "9999-12-31T23:00:00Z", false},
		{"year/9998", "year", "9998-06-01T00:00:00Z", true},
		{"year/9999", "year", "9999-06-01T00:00:00Z", false},
		{"month/first", "month", "0000-01-15T00:00:00Z", true},
		{"week/first", "week", "0000-01-02T00:00:00Z", false}, // a Sunday: its Monday is in year -1
		{"week/second", "week", "0000-01-03T00:00:00Z", true},
		{"week/last", "week", "9999-12-30T00:00:00Z", false}, // ends on Monday 10000-01-03
		{"tokyo day/first UTC day", map[string]any{"type": "period", "period": "P1D", "timeZone": "Asia/Tokyo"}, "0000-01-01T10:00:00Z", false},
		{"tokyo day/second local day", map[string]any{"type": "period", "period": "P1D", "timeZone": "Asia/Tokyo"}, "0000-01-01T16:00:00Z", true},
		{"new york year/9998", map[string]any{"type": "period", "period": "P1Y", "timeZone": "America/New_York"}, "9998-06-01T00:00:00Z", true},
		{"new york year/9999", map[string]any{"type": "period", "period": "P1Y", "timeZone": "America/New_York"}, "9999-06-01T00:00:00Z", false},
		{"new york hour/last UTC hour", map[string]any{"type": "period", "period": "PT1H", "timeZone": "America/New_York"}, "9999-12-31T22:30:00Z", true},
		// 200-year buckets from the epoch: 9970 to 10170.
		{"duration/200 years", map[string]any{"type": "duration", "duration": int64(200 * 365 * 86400000)}, "9999-01-01T00:00:00Z", false},
		{"duration/200 years early", map[string]any{"type": "duration", "duration": int64(200 * 365 * 86400000)}, "9000-01-01T00:00:00Z", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := payload("b", "localhost:1", "t", map[int32]int64{0: 0}, map[int32]int64{0: 1}, func(p map[string]any) {
				p["dataSchema"].(map[string]any)["granularitySpec"] = map[string]any{"segmentGranularity": tc.gran, "queryGranularity": "none"}
			})
			s, err := DecodePayload(raw)
			if err != nil {
				t.Fatal(err)
			}
			b := &builder{t: New(s, newEnv(t).options("b"))}
			tm, err := time.Parse(time.RFC3339Nano, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			err = b.checkBucket(tm.UnixMilli())
			if tc.ok {
				if err != nil {
					t.Fatalf("checkBucket: %v", err)
				}
				if ms := tm.UnixMilli(); b.bucketStart > ms || b.bucketEnd <= ms {
					t.Errorf("cached bucket [%d, %d) does not hold %d", b.bucketStart, b.bucketEnd, ms)
				}
				return
			}
			pe, isPE := err.(*input.ParseError)
			if !isPE || pe.Partial || !strings.Contains(pe.Error(), "segment interval") {
				t.Fatalf("checkBucket = %v, want an unparseable ParseError about the segment interval", err)
			}
		})
	}
}
