package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

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
// "Timestamp[...] is unparseable!".
func (t *timestamper) apply(r *Row) error {
	v, _ := r.Get(t.column)
	v = v.Scalar()
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
	r.Time = ms
	return nil
}

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

func (t *timestamper) parse(v expr.Value) (int64, bool) {
	var s string
	switch v.Kind() {
	case expr.KindLong, expr.KindDouble:
		switch t.format {
		case tsAuto, tsMillis:
			return v.AsLong()
		case tsPosix, tsMicro, tsNano, tsRuby:
			d, _ := v.AsDouble()
			if v.Kind() == expr.KindLong {
				return scaleLong(v.RawLong(), t.format)
			}
			return scaleDouble(d, t.format)
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
			n, err := strconv.ParseInt(s, 10, 64)
			return n, err == nil
		}
		return expr.ParseISOMillis(s)
	case tsISO:
		return expr.ParseISOMillis(s)
	case tsMillis, tsPosix, tsMicro, tsNano:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return scaleLong(n, t.format)
		}
		if d, err := strconv.ParseFloat(s, 64); err == nil {
			return scaleDouble(d, t.format)
		}
		return 0, false
	case tsRuby:
		d, err := strconv.ParseFloat(s, 64)
		if err != nil {
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

func scaleLong(n int64, f tsFormat) (int64, bool) {
	switch f {
	case tsPosix, tsRuby:
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			return 0, false
		}
		return n * 1000, true
	case tsMicro:
		return n / 1000, true
	case tsNano:
		return n / 1000000, true
	}
	return n, true
}

func scaleDouble(d float64, f tsFormat) (int64, bool) {
	switch f {
	case tsPosix, tsRuby:
		d *= 1000
	case tsMicro:
		d /= 1000
	case tsNano:
		d /= 1e6
	}
	if math.IsNaN(d) || math.IsInf(d, 0) || d > 9.2e18 || d < -9.2e18 {
		return 0, false
	}
	return int64(d), true
}
