package expr

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ParseISOMillis parses the ISO-8601 forms Druid's "iso" and "auto" timestamp formats accept
// and returns milliseconds since the epoch:
//
//	yyyy[-MM[-dd]][(T|space)HH[:mm[:ss[.fraction]]]][Z|±HH[:mm]|±HHmm][ ZoneId]
//
// A missing zone means UTC. The hand-written scanner does not allocate unless a zone id has to
// be loaded (then it is cached).
func ParseISOMillis(s string) (int64, bool) {
	i := 0
	num := func(n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for k := 0; k < n; k++ {
			c := s[i+k]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		i += n
		return v, true
	}
	year, ok := num(4)
	if !ok {
		return 0, false
	}
	month, day := 1, 1
	var hour, minute, sec, nanos int
	if i < len(s) && s[i] == '-' {
		i++
		if month, ok = num(2); !ok || month < 1 || month > 12 {
			return 0, false
		}
		if i < len(s) && s[i] == '-' {
			i++
			if day, ok = num(2); !ok || day < 1 || day > daysIn(year, month) {
				return 0, false
			}
		}
	}
	if i < len(s) && (s[i] == 'T' || (s[i] == ' ' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9')) {
		i++
		if hour, ok = num(2); !ok || hour > 23 {
			return 0, false
		}
		if i < len(s) && s[i] == ':' {
			i++
			if minute, ok = num(2); !ok || minute > 59 {
				return 0, false
			}
			if i < len(s) && s[i] == ':' {
				i++
				if sec, ok = num(2); !ok || sec > 59 {
					return 0, false
				}
				if i < len(s) && (s[i] == '.' || s[i] == ',') {
					i++
					start := i
					scale := 100000000
					for i < len(s) && s[i] >= '0' && s[i] <= '9' {
						nanos += int(s[i]-'0') * scale
						scale /= 10
						i++
					}
					if i == start {
						return 0, false
					}
				}
			}
		}
	}
	offset := 0 // seconds east of UTC
	var loc *time.Location
	if i < len(s) {
		switch c := s[i]; c {
		case 'Z':
			i++
		case '+', '-':
			i++
			oh, ok := num(2)
			if !ok {
				return 0, false
			}
			om := 0
			if i < len(s) && s[i] == ':' {
				i++
				if om, ok = num(2); !ok {
					return 0, false
				}
			} else if i+2 <= len(s) && s[i] >= '0' && s[i] <= '9' {
				if om, ok = num(2); !ok {
					return 0, false
				}
			}
			offset = oh*3600 + om*60
			if c == '-' {
				offset = -offset
			}
		}
		if i < len(s) && s[i] == ' ' && i+1 < len(s) {
			l, err := Location(s[i+1:])
			if err != nil {
				return 0, false
			}
			loc = l
			i = len(s)
		}
		if i != len(s) {
			return 0, false
		}
	}
	if loc != nil {
		return time.Date(year, time.Month(month), day, hour, minute, sec, nanos, loc).UnixMilli(), true
	}
	days := daysFromCivil(year, month, day)
	secs := days*86400 + int64(hour*3600+minute*60+sec) - int64(offset)
	return secs*1000 + int64(nanos/1e6), true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns days since 1970-01-01 (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

var locations sync.Map // string -> *time.Location

// Location resolves a Druid/Joda time zone: an IANA id (America/Los_Angeles), UTC, or a fixed
// offset (+05:30, -0800). Results are cached.
func Location(name string) (*time.Location, error) {
	if name == "" || name == "UTC" || name == "Z" || name == "Etc/UTC" {
		return time.UTC, nil
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	var loc *time.Location
	if name[0] == '+' || name[0] == '-' {
		if ms, ok := ParseISOMillis("1970-01-01T00:00:00" + name); ok && len(name) <= 6 {
			loc = time.FixedZone(name, int(-ms/1000))
		}
	}
	if loc == nil {
		l, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("unknown time zone %q", name)
		}
		loc = l
	}
	locations.Store(name, loc)
	return loc, nil
}

// JodaLayout converts a Joda DateTimeFormat pattern (as Druid's timestampSpec and
// timestamp_parse/timestamp_format take) into Go layouts: one for parsing, which accepts "Z"
// for a zero offset and fraction digits of any length, and one for formatting, which prints
// offsets as +0000 the way Joda does.
//
// Supported letters: y Y u (year), M (1, 01, Jan, January), d, D (day of year), H, h, m, s,
// S (fraction; must follow '.' or ','), a, E (Mon, Monday), Z (-0700), ZZ (-07:00), z (MST),
// and 'quoted literals'. Other letters (G, C, w, x, e, k, K, ZZZ zone ids) are refused.
func JodaLayout(pattern string) (parse, format string, err error) {
	var pb, fb strings.Builder
	emit := func(p, f string) { pb.WriteString(p); fb.WriteString(f) }
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(pattern) {
					return "", "", fmt.Errorf("unterminated quote in date pattern %q", pattern)
				}
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(pattern[j])
				j++
			}
			if i+1 == j { // '' is a single quote
				lit.WriteByte('\'')
			}
			if err := checkLiteral(lit.String(), pattern); err != nil {
				return "", "", err
			}
			emit(lit.String(), lit.String())
			i = j + 1
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			if c >= '0' && c <= '9' {
				return "", "", fmt.Errorf("digit %q in date pattern %q must be quoted", c, pattern)
			}
			emit(string(c), string(c))
			i++
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		i += n
		switch c {
		case 'y', 'Y', 'u':
			if n == 2 {
				emit("06", "06")
			} else {
				emit("2006", "2006")
			}
		case 'M':
			switch n {
			case 1:
				emit("1", "1")
			case 2:
				emit("01", "01")
			case 3:
				emit("Jan", "Jan")
			default:
				emit("January", "January")
			}
		case 'd':
			if n == 1 {
				emit("2", "2")
			} else {
				emit("02", "02")
			}
		case 'D':
			emit("002", "002")
		case 'H':
			emit("15", "15")
		case 'h':
			if n == 1 {
				emit("3", "3")
			} else {
				emit("03", "03")
			}
		case 'm':
			if n == 1 {
				emit("4", "4")
			} else {
				emit("04", "04")
			}
		case 's':
			if n == 1 {
				emit("5", "5")
			} else {
				emit("05", "05")
			}
		case 'S':
			p := pb.String()
			if p == "" || (p[len(p)-1] != '.' && p[len(p)-1] != ',') {
				return "", "", fmt.Errorf("fraction of second (S) must follow '.' or ',' in date pattern %q", pattern)
			}
			emit("999999999", strings.Repeat("0", min(n, 9)))
		case 'a':
			emit("PM", "PM")
		case 'E':
			if n <= 3 {
				emit("Mon", "Mon")
			} else {
				emit("Monday", "Monday")
			}
		case 'Z':
			switch n {
			case 1:
				emit("Z0700", "-0700")
			case 2:
				emit("Z07:00", "-07:00")
			default:
				return "", "", fmt.Errorf("zone ids (ZZZ) are not supported in date pattern %q", pattern)
			}
		case 'z':
			emit("MST", "MST")
		default:
			return "", "", fmt.Errorf("unsupported letter %q in date pattern %q (supported: y M d D H h m s S a E Z z and 'quoted text')", c, pattern)
		}
	}
	return pb.String(), fb.String(), nil
}

// checkLiteral refuses quoted text that Go's layout parser would read as a field.
func checkLiteral(lit, pattern string) error {
	for _, bad := range []string{"Jan", "Mon", "MST", "PM", "pm"} {
		if strings.Contains(lit, bad) {
			return fmt.Errorf("quoted text %q in date pattern %q is not supported", lit, pattern)
		}
	}
	if strings.ContainsAny(lit, "0123456789") {
		return fmt.Errorf("quoted text %q in date pattern %q must not contain digits", lit, pattern)
	}
	return nil
}

// Period is an ISO-8601 period such as P1D, PT15M or P1Y2M, with millisecond precision.
type Period struct {
	Years, Months, Weeks, Days, Hours, Minutes, Seconds, Millis int
}

// ParsePeriod parses an ISO-8601 period (PnYnMnWnDTnHnMn.nS).
func ParsePeriod(s string) (Period, error) {
	var p Period
	bad := func() (Period, error) {
		return Period{}, fmt.Errorf("%q is not an ISO-8601 period (e.g. PT1H, P1D)", s)
	}
	if len(s) < 2 || (s[0] != 'P' && s[0] != 'p') {
		return bad()
	}
	inTime, seen := false, false
	for i := 1; i < len(s); {
		if s[i] == 'T' || s[i] == 't' {
			if inTime {
				return bad()
			}
			inTime = true
			i++
			continue
		}
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == ',') {
			j++
		}
		if j == i || j >= len(s) {
			return bad()
		}
		numText := strings.ReplaceAll(s[i:j], ",", ".")
		unit := s[j] | 0x20
		i = j + 1
		seen = true
		if unit == 's' && inTime {
			f, err := strconv.ParseFloat(numText, 64)
			if err != nil {
				return bad()
			}
			p.Seconds = int(f)
			p.Millis = int((f-float64(int(f)))*1000 + 0.5)
			continue
		}
		n, err := strconv.Atoi(numText)
		if err != nil {
			return bad()
		}
		switch {
		case !inTime && unit == 'y':
			p.Years = n
		case !inTime && unit == 'm':
			p.Months = n
		case !inTime && unit == 'w':
			p.Weeks = n
		case !inTime && unit == 'd':
			p.Days = n
		case inTime && unit == 'h':
			p.Hours = n
		case inTime && unit == 'm':
			p.Minutes = n
		default:
			return bad()
		}
	}
	if !seen || p == (Period{}) {
		return bad()
	}
	return p, nil
}

// fixedMillis returns the length of a period without calendar units (weeks and days count as
// 7 and 1 × 24h); ok is false when it has months or years.
func (p Period) fixedMillis() (int64, bool) {
	if p.Years != 0 || p.Months != 0 {
		return 0, false
	}
	return ((int64(p.Weeks*7+p.Days)*24+int64(p.Hours))*60+int64(p.Minutes))*60000 + int64(p.Seconds)*1000 + int64(p.Millis), true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// FloorTime truncates t (ms) to the start of its period bucket, as Druid's PeriodGranularity
// does: with no origin and a single unit of size 1 the calendar field is rounded down in loc
// (weeks start on Monday); otherwise buckets are counted from origin (default the epoch).
// Periods mixing months or years with other units are not supported (ok=false).
func FloorTime(t int64, p Period, origin *int64, loc *time.Location) (int64, bool) {
	if loc == nil {
		loc = time.UTC
	}
	single := 0
	for _, v := range []int{p.Years, p.Months, p.Weeks, p.Days, p.Hours, p.Minutes, p.Seconds, p.Millis} {
		if v != 0 {
			single++
		}
	}
	if fixed, ok := p.fixedMillis(); ok {
		if fixed <= 0 {
			return 0, false
		}
		calendar := p.Weeks != 0 || p.Days != 0
		if loc == time.UTC || !calendar {
			var o int64
			if origin != nil {
				o = *origin
			} else if p.Weeks != 0 && single == 1 {
				o = 4 * 86400000 // 1970-01-05, a Monday
			} else if loc != time.UTC {
				_, off := time.UnixMilli(t).In(loc).Zone()
				o = -int64(off) * 1000
			}
			return floorDiv(t-o, fixed)*fixed + o, true
		}
		// Days or weeks in a zone with daylight saving: step calendar days from the origin.
		tt := time.UnixMilli(t).In(loc)
		var ot time.Time
		if origin != nil {
			ot = time.UnixMilli(*origin).In(loc)
		} else if p.Weeks != 0 && single == 1 {
			ot = time.Date(1970, 1, 5, 0, 0, 0, 0, loc)
		} else {
			ot = time.Date(1970, 1, 1, 0, 0, 0, 0, loc)
		}
		if single != 1 {
			return floorDiv(t-ot.UnixMilli(), fixed)*fixed + ot.UnixMilli(), true
		}
		step := p.Days + 7*p.Weeks
		diff := int(daysFromCivil(tt.Year(), int(tt.Month()), tt.Day()) - daysFromCivil(ot.Year(), int(ot.Month()), ot.Day()))
		k := int(floorDiv(int64(diff), int64(step))) * step
		c := ot.AddDate(0, 0, k)
		if c.After(tt) {
			c = ot.AddDate(0, 0, k-step)
		}
		return c.UnixMilli(), true
	}
	if single != 1 {
		return 0, false
	}
	step := p.Months + 12*p.Years
	tt := time.UnixMilli(t).In(loc)
	var ot time.Time
	if origin != nil {
		ot = time.UnixMilli(*origin).In(loc)
	} else {
		ot = time.Date(1970, 1, 1, 0, 0, 0, 0, loc)
		if p.Years != 0 {
			ot = time.Date(0, 1, 1, 0, 0, 0, 0, loc) // Druid rounds years to multiples of n
		}
	}
	diff := (tt.Year()*12 + int(tt.Month())) - (ot.Year()*12 + int(ot.Month()))
	k := int(floorDiv(int64(diff), int64(step))) * step
	c := ot.AddDate(0, k, 0)
	for c.After(tt) {
		k -= step
		c = ot.AddDate(0, k, 0)
	}
	return c.UnixMilli(), true
}
