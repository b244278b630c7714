package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// tsFormat is a compiled timestampSpec.format (Druid's TimestampParser).
type tsFormat uint8

const (
	tsAuto tsFormat = iota
	tsISO
	tsMillis
	tsPosix
	tsMicro
	tsNano
	tsRuby
	tsJoda
)

// timestamper reads the row time from the timestamp column.
type timestamper struct {
	column     string
	format     tsFormat
	layout     string // Go layout for Joda patterns
	missing    int64
	hasMissing bool
}

func newTimestamper(ts *spec.TimestampSpec) (*timestamper, error) {
	t := &timestamper{column: "timestamp"}
	format := "auto"
	if ts != nil {
		if ts.Column != "" {
			t.column = ts.Column
		}
		if ts.Format != "" {
			format = ts.Format
		}
		if ts.MissingValue != nil {
			ms, ok := expr.ParseISOMillis(strings.TrimSpace(*ts.MissingValue))
			if !ok {
				tm, err := spec.ParseDateTime(*ts.MissingValue)
				if err != nil {
					return nil, fmt.Errorf("timestampSpec.missingValue: %w", err)
				}
				ms = tm.UnixMilli()
			}
			if !spec.TimestampInRange(ms) {
				return nil, fmt.Errorf("timestampSpec.missingValue: %q is outside the supported range %s", *ts.MissingValue, spec.TimestampRangeText)
			}
			t.missing, t.hasMissing = ms, true
		}
	}
	switch strings.ToLower(format) {
	case "auto":
		t.format = tsAuto
	case "iso":
		t.format = tsISO
	case "millis":
		t.format = tsMillis
	case "posix":
		t.format = tsPosix
	case "micro":
		t.format = tsMicro
	case "nano":
		t.format = tsNano
	case "ruby":
		t.format = tsRuby
	default:
		layout, _, err := expr.JodaLayout(format)
		if err != nil {
			return nil, fmt.Errorf("timestampSpec.format: %w", err)
		}
		t.format, t.layout = tsJoda, layout
	}
	return t, nil
}

// ValidateTimestampSpec reports whether the format and missingValue of ts can be compiled.
func ValidateTimestampSpec(ts *spec.TimestampSpec) error {
	_, err := newTimestamper(ts)
	return err
}

// apply sets r.Time from the timestamp column; the error text follows Druid's
// "Timestamp[...] is unparseable!". A timestamp outside spec.MinTimestamp..spec.MaxTimestamp is
// unparseable too: accepted, it could never be given a segment and would fail the task at
// allocation, again after every restart, so one bad record would block its partition.
func (t *timestamper) apply(r *Row) error {
	v, _ := r.Get(t.column)
	if v.Kind() == expr.KindStrings {
		// Druid parses a list's toString ("[1, 2]"), which is never a timestamp; reducing a
		// one-element list to its element would accept what Druid refuses.
		return fmt.Errorf("timestamp[%s] is unparseable (column %q, format %s): an array is not a timestamp", listText(v.Array()), t.column, t.formatName())
	}
	if v.IsNull() {
		if t.hasMissing {
			r.Time = t.missing
			return nil
		}
		return fmt.Errorf("timestamp[null] is unparseable: column %q is missing or null", t.column)
	}
	ms, ok := t.parse(v)
	if !ok {
		return fmt.Errorf("timestamp[%s] is unparseable (column %q, format %s)", plain(v), t.column, t.formatName())
	}
	if !spec.TimestampInRange(ms) {
		return t.outOfRange(v, ms)
	}
	r.Time = ms
	return nil
}

// outOfRange describes a timestamp that parsed but lies outside the supported range. The
// instant is shown when it is one (a saturated long says nothing about the input).
func (t *timestamper) outOfRange(v expr.Value, ms int64) error {
	at := ""
	if ms != math.MaxInt64 && ms != math.MinInt64 {
		at = time.UnixMilli(ms).UTC().Format(druidapi.TimeLayout) + " is "
	}
	return fmt.Errorf("timestamp[%s] is unparseable (column %q, format %s): %sout of range, the supported range is %s",
		plain(v), t.column, t.formatName(), at, spec.TimestampRangeText)
}

// listText renders a multi-value as Java's List.toString does.
func listText(a []string) string { return "[" + strings.Join(a, ", ") + "]" }

func plain(v expr.Value) string {
	s, ok := v.AsString()
	if !ok {
		return "null"
	}
	return s
}

func (t *timestamper) formatName() string {
	switch t.format {
	case tsAuto:
		return "auto"
	case tsISO:
		return "iso"
	case tsMillis:
		return "millis"
	case tsPosix:
		return "posix"
	case tsMicro:
		return "micro"
	case tsNano:
		return "nano"
	case tsRuby:
		return "ruby"
	}
	return "pattern " + strconv.Quote(t.layout)
}

// parse reads v in the timestamp format. Numbers beyond the long range saturate (as Druid's
// Number.longValue() does) so that apply reports them as out of range; ok is false only for
// text that is not a timestamp at all.
func (t *timestamper) parse(v expr.Value) (int64, bool) {
	var s string
	switch v.Kind() {
	case expr.KindLong, expr.KindDouble:
		switch t.format {
		case tsAuto, tsMillis:
			return v.AsLong()
		case tsPosix, tsMicro, tsNano, tsRuby:
			if v.Kind() == expr.KindLong {
				return scaleLong(v.RawLong(), t.format), true
			}
			return scaleDouble(v.RawDouble(), t.format)
		}
		s, _ = v.AsString()
	case expr.KindString:
		s = v.RawString()
	default:
		return 0, false
	}
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	switch t.format {
	case tsAuto:
		if isInteger(s) {
			return parseIntSaturating(s)
		}
		return expr.ParseISOMillis(s)
	case tsISO:
		return expr.ParseISOMillis(s)
	case tsMillis, tsPosix, tsMicro, tsNano:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return scaleLong(n, t.format), true
		}
		// Beyond the long range, or not an integer: the double keeps the magnitude, where a
		// saturated long would turn 10^23 nanoseconds into a plausible year 2262.
		if d, ok := parseFloatSaturating(s); ok {
			return scaleDouble(d, t.format)
		}
		return 0, false
	case tsRuby:
		d, ok := parseFloatSaturating(s)
		if !ok {
			return 0, false
		}
		return scaleDouble(d, tsRuby)
	}
	tm, err := time.Parse(t.layout, s)
	if err != nil {
		return 0, false
	}
	return tm.UnixMilli(), true
}

// parseIntSaturating parses a decimal integer of milliseconds (isInteger holds); too many
// digits give the long bound of its sign, which is out of range, rather than "not a number".
func parseIntSaturating(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return n, true
}

// parseFloatSaturating parses a decimal number; an overflow gives ±Inf, which scaleDouble
// saturates, so that 1e400 reads as out of range.
func parseFloatSaturating(s string) (float64, bool) {
	d, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return d, true
}

func isInteger(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// scaleLong converts n in the format's unit to milliseconds, saturating at the long range.
func scaleLong(n int64, f tsFormat) int64 {
	switch f {
	case tsPosix, tsRuby:
		if n > math.MaxInt64/1000 {
			return math.MaxInt64
		}
		if n < math.MinInt64/1000 {
			return math.MinInt64
		}
		return n * 1000
	case tsMicro:
		return n / 1000
	case tsNano:
		return n / 1000000
	}
	return n
}

// scaleDouble converts d in the format's unit to milliseconds, saturating at the long range;
// NaN is not a time.
func scaleDouble(d float64, f tsFormat) (int64, bool) {
	switch f {
	case tsPosix, tsRuby:
		d *= 1000
	case tsMicro:
		d /= 1000
	case tsNano:
		d /= 1e6
	}
	if math.IsNaN(d) {
		return 0, false
	}
	return expr.DoubleToLong(d), true
}
