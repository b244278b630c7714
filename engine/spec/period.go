package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Period is an ISO-8601 period such as PT1H, P1D or P1M, as Joda-Time's Period parses it.
// Calendar fields (years, months) are kept apart from the fixed-length ones because a month has
// no fixed length: Duration refuses them, AddTo applies them on a calendar.
type Period struct {
	Years, Months, Weeks, Days int
	Hours, Minutes             int
	Millis                     int64 // seconds and fractions of them, in milliseconds
	raw                        string
}

// ParsePeriod parses an ISO-8601 period (P[nY][nM][nW][nD][T[nH][nM][n[.fff]S]]).
func ParsePeriod(s string) (Period, error) {
	var p Period
	p.raw = s
	u := strings.ToUpper(strings.TrimSpace(s))
	if len(u) < 2 || u[0] != 'P' {
		return p, fmt.Errorf("%q is not an ISO-8601 period (expected e.g. PT1H, P1D)", s)
	}
	inTime, seen := false, false
	num := ""
	for _, c := range u[1:] {
		switch {
		case c == 'T':
			if inTime || num != "" {
				return p, fmt.Errorf("%q is not an ISO-8601 period", s)
			}
			inTime = true
		case c >= '0' && c <= '9' || c == '.' || c == ',':
			if c == ',' {
				c = '.'
			}
			num += string(c)
		default:
			if num == "" {
				return p, fmt.Errorf("%q is not an ISO-8601 period", s)
			}
			if c != 'S' && strings.Contains(num, ".") {
				return p, fmt.Errorf("%q is not an ISO-8601 period: only seconds may have a fraction", s)
			}
			if c == 'S' && inTime {
				f, err := strconv.ParseFloat(num, 64)
				if err != nil {
					return p, fmt.Errorf("%q is not an ISO-8601 period", s)
				}
				if f > math.MaxInt32 {
					// Joda keeps each field in an int; converting a larger float to int64
					// would wrap instead of failing.
					return p, fmt.Errorf("%q is not an ISO-8601 period: %s seconds is more than %d", s, num, math.MaxInt32)
				}
				p.Millis = int64(f*1000 + 0.5)
			} else {
				n, err := strconv.Atoi(num)
				if err != nil {
					return p, fmt.Errorf("%q is not an ISO-8601 period", s)
				}
				if n > math.MaxInt32 {
					// Joda's Period fields are ints, so Druid refuses these too; refusing here
					// keeps every later sum of fields free of overflow.
					return p, fmt.Errorf("%q is not an ISO-8601 period: %s%c is more than %d", s, num, c, math.MaxInt32)
				}
				switch {
				case c == 'Y' && !inTime:
					p.Years = n
				case c == 'M' && !inTime:
					p.Months = n
				case c == 'W' && !inTime:
					p.Weeks = n
				case c == 'D' && !inTime:
					p.Days = n
				case c == 'H' && inTime:
					p.Hours = n
				case c == 'M' && inTime:
					p.Minutes = n
				default:
					return p, fmt.Errorf("%q is not an ISO-8601 period", s)
				}
			}
			num, seen = "", true
		}
	}
	if num != "" || !seen {
		return p, fmt.Errorf("%q is not an ISO-8601 period", s)
	}
	return p, nil
}

// MustPeriod parses s and panics on error; for defaults written in code only.
func MustPeriod(s string) Period {
	p, err := ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// IsZero reports whether the period has no length.
func (p Period) IsZero() bool {
	return p.Years == 0 && p.Months == 0 && p.Weeks == 0 && p.Days == 0 && p.Hours == 0 && p.Minutes == 0 && p.Millis == 0
}

// HasCalendarFields reports whether the period uses years or months, which have no fixed length.
func (p Period) HasCalendarFields() bool { return p.Years != 0 || p.Months != 0 }

// Duration converts the period with standard field lengths (a day is 24h, a week 7 days), the way
// Joda's Period.toStandardDuration does. It fails for years and months.
func (p Period) Duration() (time.Duration, error) {
	if p.HasCalendarFields() {
		return 0, fmt.Errorf("%s has years or months, which have no fixed length", p.String())
	}
	return p.fixed(), nil
}

// fixed is the standard length of the period's fixed fields. It saturates at MaxDuration rather
// than overflows, because Druid's "never" is P2147483647D, which is longer than a time.Duration
// can hold, and because a wrapped sum (PT2562048H is one hour past time.Duration's ~292 years)
// would turn a very long period into a negative or tiny one.
func (p Period) fixed() time.Duration {
	// ParsePeriod keeps every field ≤ MaxInt32, so the total in milliseconds fits an int64
	// (at most ~2^31 weeks ≈ 1.3e18 ms); only the conversion to nanoseconds can overflow.
	ms := ((int64(p.Weeks)*7+int64(p.Days))*24+int64(p.Hours))*60*60*1000 + int64(p.Minutes)*60*1000 + p.Millis
	if ms > int64(MaxDuration/time.Millisecond) {
		return MaxDuration
	}
	return time.Duration(ms) * time.Millisecond
}

// MaxDuration is what Duration returns for a period longer than a time.Duration can hold
// (~292 years); callers treat it as "never".
const MaxDuration = time.Duration(math.MaxInt64)

// AddTo adds the period to t on t's calendar.
func (p Period) AddTo(t time.Time, n int) time.Time {
	t = t.AddDate(n*p.Years, n*p.Months, n*(p.Weeks*7+p.Days))
	return t.Add(time.Duration(n) * (time.Duration(p.Hours)*time.Hour + time.Duration(p.Minutes)*time.Minute + time.Duration(p.Millis)*time.Millisecond))
}

// String is the period as the user wrote it, upper-cased; a period built in code gets the
// canonical ISO form.
func (p Period) String() string {
	if p.raw != "" {
		return strings.ToUpper(strings.TrimSpace(p.raw))
	}
	return p.canonical()
}

func (p Period) canonical() string {
	var b strings.Builder
	b.WriteByte('P')
	for _, f := range []struct {
		n int
		u byte
	}{{p.Years, 'Y'}, {p.Months, 'M'}, {p.Weeks, 'W'}, {p.Days, 'D'}} {
		if f.n != 0 {
			fmt.Fprintf(&b, "%d%c", f.n, f.u)
		}
	}
	if p.Hours != 0 || p.Minutes != 0 || p.Millis != 0 {
		b.WriteByte('T')
		if p.Hours != 0 {
			fmt.Fprintf(&b, "%dH", p.Hours)
		}
		if p.Minutes != 0 {
			fmt.Fprintf(&b, "%dM", p.Minutes)
		}
		if p.Millis != 0 {
			b.WriteString(formatSeconds(p.Millis))
		}
	}
	if b.Len() == 1 {
		b.WriteString("T0S")
	}
	return b.String()
}

// formatSeconds renders milliseconds as Joda's Duration.toString seconds part: 3600S, 0.5S.
func formatSeconds(ms int64) string {
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10) + "S"
	}
	s := strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return s + "S"
}

// DurationString is how Druid echoes a period it stores as a Joda Duration: total standard
// seconds, "PT3600S" for PT1H.
func (p Period) DurationString() string {
	days := int64(p.Weeks)*7 + int64(p.Days)
	ms := ((days*24+int64(p.Hours))*60+int64(p.Minutes))*60*1000 + p.Millis
	return "PT" + formatSeconds(ms)
}

// MarshalJSON writes the period as written.
func (p Period) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON reads an ISO period string.
func (p *Period) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be an ISO-8601 period string such as \"PT1H\"")
	}
	v, err := ParsePeriod(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}
