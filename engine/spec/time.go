package spec

import (
	"fmt"
	"strings"
	"time"
)

// ISOMillis is Druid's wire format for instants: UTC, millisecond precision, trailing Z.
const ISOMillis = "2006-01-02T15:04:05.000Z"

// FormatTime renders t the way Druid (Joda) does on the wire.
func FormatTime(t time.Time) string { return t.UTC().Format(ISOMillis) }

// ParseDateTime parses the ISO-8601 date-times Druid accepts in specs: a date alone
// (2016-01-01), minutes without seconds (2016-01-01T11:00Z), optional fraction and offset.
// A missing zone means UTC.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layouts := []string{
		time.RFC3339Nano,
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
		"2006-01-02T15",
		"2006-01-02",
		"2006-01",
		"2006",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO-8601 date-time (e.g. 2016-01-01T11:00Z)", s)
}
