package spec

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Granularity is a Druid time granularity: a named one (HOUR, day, fifteen_minute…), a period
// object {"type":"period","period":"PT1H","timeZone":"UTC","origin":…}, a duration object
// {"type":"duration","duration":ms}, or none/all. Names are case-insensitive.
type Granularity struct {
	Kind     GranularityKind
	Name     string // canonical upper-case name for KindNamed, "NONE" or "ALL"
	Period   Period // KindNamed and KindPeriod
	TimeZone *time.Location
	Origin   *time.Time
	Duration time.Duration // KindDuration
}

// GranularityKind tells the shapes apart.
type GranularityKind int

// The granularity shapes.
const (
	GranularityNone GranularityKind = iota
	GranularityAll
	GranularityNamed
	GranularityPeriod
	GranularityDuration
)

// namedGranularities maps Druid's GranularityType names to their periods.
var namedGranularities = map[string]string{
	"SECOND": "PT1S", "MINUTE": "PT1M", "FIVE_MINUTE": "PT5M", "TEN_MINUTE": "PT10M",
	"FIFTEEN_MINUTE": "PT15M", "THIRTY_MINUTE": "PT30M", "HOUR": "PT1H", "SIX_HOUR": "PT6H",
	"EIGHT_HOUR": "PT8H", "DAY": "P1D", "WEEK": "P1W", "MONTH": "P1M", "QUARTER": "P3M", "YEAR": "P1Y",
}

// GranularityNames lists every accepted granularity name, for error messages and docs.
func GranularityNames() []string {
	return []string{"none", "all", "second", "minute", "five_minute", "ten_minute", "fifteen_minute",
		"thirty_minute", "hour", "six_hour", "eight_hour", "day", "week", "month", "quarter", "year"}
}

// ParseGranularityName resolves a granularity name, case-insensitively.
func ParseGranularityName(s string) (Granularity, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	switch u {
	case "NONE":
		return Granularity{Kind: GranularityNone, Name: "NONE"}, nil
	case "ALL":
		return Granularity{Kind: GranularityAll, Name: "ALL"}, nil
	}
	if p, ok := namedGranularities[u]; ok {
		return Granularity{Kind: GranularityNamed, Name: u, Period: MustPeriod(p), TimeZone: time.UTC}, nil
	}
	return Granularity{}, fmt.Errorf("unknown granularity %q (expected one of %s, or a period object)", s, strings.Join(GranularityNames(), ", "))
}

// MustGranularity parses a granularity name and panics on error; for defaults in code.
func MustGranularity(s string) Granularity {
	g, err := ParseGranularityName(s)
	if err != nil {
		panic(err)
	}
	return g
}

// UnmarshalJSON accepts a name or an object.
func (g *Granularity) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := ParseGranularityName(s)
		if err != nil {
			return err
		}
		*g = v
		return nil
	}
	var o struct {
		Type     string          `json:"type"`
		Period   string          `json:"period"`
		TimeZone string          `json:"timeZone"`
		Origin   *string         `json:"origin"`
		Duration json.RawMessage `json:"duration"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("must be a granularity name or object")
	}
	switch strings.ToLower(o.Type) {
	case "none", "all":
		v, _ := ParseGranularityName(o.Type)
		*g = v
	case "period":
		p, err := ParsePeriod(o.Period)
		if err != nil {
			return fmt.Errorf("period: %v", err)
		}
		if p.IsZero() {
			return fmt.Errorf("period: must not be zero")
		}
		v := Granularity{Kind: GranularityPeriod, Period: p, TimeZone: time.UTC}
		if o.TimeZone != "" {
			loc, err := time.LoadLocation(o.TimeZone)
			if err != nil {
				return fmt.Errorf("timeZone: unknown time zone %q", o.TimeZone)
			}
			v.TimeZone = loc
		}
		if o.Origin != nil {
			t, err := ParseDateTime(*o.Origin)
			if err != nil {
				return fmt.Errorf("origin: %v", err)
			}
			v.Origin = &t
		}
		// A period object equal to a standard granularity behaves as that name (Druid does the same
		// when it serialises PeriodGranularity).
		if v.TimeZone == time.UTC && v.Origin == nil {
			for name, ps := range namedGranularities {
				if MustPeriod(ps).canonical() == p.canonical() {
					v.Kind, v.Name = GranularityNamed, name
				}
			}
		}
		*g = v
	case "duration":
		var ms int64
		if err := json.Unmarshal(o.Duration, &ms); err != nil || ms <= 0 {
			return fmt.Errorf("duration: must be a positive number of milliseconds")
		}
		// Beyond this the millisecond count no longer fits a time.Duration and would wrap.
		if maxMs := int64(MaxDuration / time.Millisecond); ms > maxMs {
			return fmt.Errorf("duration: must be at most %d milliseconds (about 292 years), got %d", maxMs, ms)
		}
		v := Granularity{Kind: GranularityDuration, Duration: time.Duration(ms) * time.Millisecond}
		if o.Origin != nil {
			t, err := ParseDateTime(*o.Origin)
			if err != nil {
				return fmt.Errorf("origin: %v", err)
			}
			v.Origin = &t
		}
		*g = v
	default:
		return fmt.Errorf("unknown granularity type %q (expected period, duration, none or all)", o.Type)
	}
	return nil
}

// Echo renders the granularity the way Druid serialises it: standard periods as their upper-case
// name, none/all as {"type":"none"}, other periods and durations as objects.
func (g Granularity) Echo() any {
	switch g.Kind {
	case GranularityNone:
		return map[string]any{"type": "none"}
	case GranularityAll:
		return map[string]any{"type": "all"}
	case GranularityNamed:
		return g.Name
	case GranularityPeriod:
		var origin any
		if g.Origin != nil {
			origin = FormatTime(*g.Origin)
		}
		return map[string]any{"type": "period", "period": g.Period.String(), "timeZone": g.TimeZone.String(), "origin": origin}
	default:
		origin := "1970-01-01T00:00:00.000Z"
		if g.Origin != nil {
			origin = FormatTime(*g.Origin)
		}
		return map[string]any{"type": "duration", "duration": g.Duration.Milliseconds(), "origin": origin}
	}
}

// MarshalJSON writes Echo.
func (g Granularity) MarshalJSON() ([]byte, error) { return json.Marshal(g.Echo()) }

// String names the granularity for messages.
func (g Granularity) String() string {
	switch g.Kind {
	case GranularityPeriod:
		return g.Period.String()
	case GranularityDuration:
		return g.Duration.String()
	}
	return g.Name
}

// Truncate returns the start (ms since epoch) of the bucket holding ms. NONE keeps the instant
// and ALL maps everything to the minimum time.
func (g Granularity) Truncate(ms int64) int64 {
	switch g.Kind {
	case GranularityNone:
		return ms
	case GranularityAll:
		return minTimeMillis
	case GranularityDuration:
		origin := int64(0)
		if g.Origin != nil {
			origin = g.Origin.UnixMilli()
		}
		d := g.Duration.Milliseconds()
		if d <= 0 {
			// A duration that wrapped around in decoding: no bucket rather than a division by
			// zero; the caller sees an empty interval (the task counts the row unparseable).
			return ms
		}
		off := (ms - origin) % d
		if off < 0 {
			off += d
		}
		return ms - off
	}
	return g.truncatePeriod(ms)
}

// Next returns the start of the bucket after the one starting at bucketStart.
func (g Granularity) Next(bucketStart int64) int64 {
	switch g.Kind {
	case GranularityNone:
		return bucketStart + 1
	case GranularityAll:
		return maxTimeMillis
	case GranularityDuration:
		return bucketStart + g.Duration.Milliseconds()
	}
	loc := g.loc()
	return g.Period.AddTo(time.UnixMilli(bucketStart).In(loc), 1).UnixMilli()
}

// Bucket returns [start, end) of the bucket holding ms.
func (g Granularity) Bucket(ms int64) (int64, int64) {
	s := g.Truncate(ms)
	return s, g.Next(s)
}

// minTimeMillis and maxTimeMillis bound the ALL granularity's single bucket (Druid's
// JodaUtils.MIN_INSTANT / MAX_INSTANT are Long.MIN_VALUE/2 and Long.MAX_VALUE/2).
const (
	minTimeMillis = -4611686018427387904
	maxTimeMillis = 4611686018427387903
)

func (g Granularity) loc() *time.Location {
	if g.TimeZone == nil {
		return time.UTC
	}
	return g.TimeZone
}

// truncatePeriod floors on the calendar: fixed-length periods without an origin align to the
// epoch in the granularity's zone (PT15M buckets start at :00, :15…); periods of days, weeks,
// months and years align to local midnight, Monday, the first of the month and January the first,
// as Joda's PeriodGranularity does for single-field periods.
func (g Granularity) truncatePeriod(ms int64) int64 {
	loc := g.loc()
	t := time.UnixMilli(ms).In(loc)
	p := g.Period
	if g.Origin != nil {
		// Step from the origin in whole periods; good enough for the small ratios used in practice.
		o := g.Origin.In(loc)
		if !p.HasCalendarFields() {
			d := p.fixed().Milliseconds()
			if d <= 0 {
				return ms // a period that wrapped around; see Truncate's duration case
			}
			off := (ms - o.UnixMilli()) % d
			if off < 0 {
				off += d
			}
			return ms - off
		}
		n := 0
		for p.AddTo(o, n+1).UnixMilli() <= ms {
			n++
		}
		for p.AddTo(o, n).UnixMilli() > ms {
			n--
		}
		return p.AddTo(o, n).UnixMilli()
	}
	switch {
	case p.Years != 0:
		y := t.Year() - t.Year()%p.Years
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc).UnixMilli()
	case p.Months != 0:
		m0 := (int(t.Month()) - 1) / p.Months * p.Months
		return time.Date(t.Year(), time.Month(m0+1), 1, 0, 0, 0, 0, loc).UnixMilli()
	case p.Weeks != 0:
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		wd := (int(day.Weekday()) + 6) % 7 // Monday = 0
		return day.AddDate(0, 0, -wd).UnixMilli()
	case p.Days != 0 && p.Hours == 0 && p.Minutes == 0 && p.Millis == 0:
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		if p.Days > 1 {
			yd := day.YearDay() - 1
			day = day.AddDate(0, 0, -(yd % p.Days))
		}
		return day.UnixMilli()
	}
	d := p.fixed().Milliseconds()
	if d <= 0 {
		return ms // a period that wrapped around; see Truncate's duration case
	}
	_, offSec := t.Zone()
	local := ms + int64(offSec)*1000
	off := local % d
	if off < 0 {
		off += d
	}
	return ms - off
}

// FinerOrEqual reports whether g is at least as fine as other (query granularity must not be
// coarser than segment granularity).
func (g Granularity) FinerOrEqual(other Granularity) bool {
	return g.approx() <= other.approx()
}

func (g Granularity) approx() time.Duration {
	switch g.Kind {
	case GranularityNone:
		return 0
	case GranularityAll:
		return time.Duration(1<<62 - 1)
	case GranularityDuration:
		return g.Duration
	}
	p := g.Period
	return time.Duration(p.Years)*365*24*time.Hour + time.Duration(p.Months)*30*24*time.Hour + p.fixed()
}
