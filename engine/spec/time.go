package spec

import (
	"fmt"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// FormatTime renders t the way Druid (Joda) does on the wire, in druidapi.TimeLayout.
func FormatTime(t time.Time) string { return druidapi.FormatTime(t) }

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

// MinTimestamp and MaxTimestamp bound the row timestamps the engine ingests, in milliseconds
// since the epoch: 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z, the instants whose
// UTC year has four ISO-8601 digits. Segment ids, intervals and the metadata store write
// instants in druidapi.TimeLayout and read them back with it, which cannot hold a fifth digit or a sign,
// so a row outside this range could never get a segment: it is a parse exception instead.
const (
	MinTimestamp int64 = -62167219200000
	MaxTimestamp int64 = 253402300799999
)

// TimestampInRange reports whether ms lies in [MinTimestamp, MaxTimestamp].
func TimestampInRange(ms int64) bool { return ms >= MinTimestamp && ms <= MaxTimestamp }

// TimestampRangeText names the accepted range for error messages.
const TimestampRangeText = "0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"
