package druidapi

import "time"

// TimeLayout is Druid's wire and storage layout for instants (Joda's ISO-8601 in UTC with
// milliseconds and a trailing Z), used for report times, segment intervals and ids, and
// created_date columns. Strings in this layout sort chronologically, which the metadata store
// relies on.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeLayout after converting it to UTC, as Druid (Joda) does.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }
