package query

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// extendedYear matches an ISO-8601 instant whose year carries a sign or more
// than four digits, as Joda prints Druid's ETERNITY bounds
// (-146136543-09-08T08:23:32.096Z, 146140482-04-24T15:36:27.903Z).
var extendedYear = regexp.MustCompile(`^([+-]?)(\d+)(-.*)?$`)

// maxExtendedYear bounds the years computed exactly: past it the day count
// times milliseconds per day would overflow int64, and the instant lies
// beyond Eternity anyway, so it is clamped.
const maxExtendedYear = 290_000_000

// parseInstant parses a query interval bound into epoch milliseconds clamped
// to Eternity, so that no later interval or bucket arithmetic overflows.
// Four-digit years go through spec.ParseDateTime; signed or longer years
// (Druid's extremes) are parsed here.
func parseInstant(s string) (int64, error) {
	s = strings.TrimSpace(s)
	m := extendedYear.FindStringSubmatch(s)
	if m == nil || (m[1] == "" && len(m[2]) <= 4) {
		t, err := spec.ParseDateTime(s)
		if err != nil {
			return 0, err
		}
		return clampTime(t), nil
	}
	year, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil || year > maxExtendedYear {
		if len(strings.TrimLeft(m[2], "0")) == 0 || !allDigits(m[2]) {
			return 0, fmt.Errorf("%q is not an ISO-8601 date-time (e.g. 2016-01-01T11:00Z)", s)
		}
		// a year too long even for int64 or past maxExtendedYear: beyond Eternity
		if m[1] == "-" {
			return Eternity.Start, nil
		}
		return Eternity.End, nil
	}
	if m[1] == "-" {
		year = -year
	}
	// Parse the rest against a stand-in year with the same leap-ness, then
	// move by whole days: month, day, time and offset shift alike.
	proxy := int64(2001)
	if isLeap(year) {
		proxy = 2000
	}
	t, err := spec.ParseDateTime(strconv.FormatInt(proxy, 10) + m[3])
	if err != nil {
		return 0, fmt.Errorf("%q is not an ISO-8601 date-time (e.g. 2016-01-01T11:00Z)", s)
	}
	ms := t.UnixMilli() + (daysFromCivil(year)-daysFromCivil(proxy))*86_400_000
	return clampMillis(ms), nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysFromCivil returns the days from 1970-01-01 to January 1 of year y in
// the proleptic Gregorian calendar (Joda's ISO chronology; year 0 is 1 BC).
func daysFromCivil(y int64) int64 {
	y-- // January 1 counts the years before it
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	// days from 0000-03-01 to (y+1)-03-01, then back to January 1 of y+1
	doe := yoe*365 + yoe/4 - yoe/100
	return era*146097 + doe - 719468 + 306
}

// clampTime converts t to epoch milliseconds within Eternity; time.UnixMilli
// itself would wrap around far outside it.
func clampTime(t time.Time) int64 {
	switch sec := t.Unix(); {
	case sec < Eternity.Start/1000:
		return Eternity.Start
	case sec > Eternity.End/1000:
		return Eternity.End
	}
	return clampMillis(t.UnixMilli())
}

func clampMillis(ms int64) int64 { return min(max(ms, Eternity.Start), Eternity.End) }
