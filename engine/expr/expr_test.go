package expr

import (
	"math"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	b := MapBindings{
		"s":    String("Hello"),
		"n":    Long(7),
		"d":    Double(2.5),
		"ns":   String("3"),
		"nul":  Null(),
		"mv":   Strings([]string{"a", "b"}),
		"one":  Strings([]string{"x"}),
		"none": Strings(nil),
		"ts":   Long(1690000000123), // 2023-07-22T04:26:40.123Z
		"a.b":  String("dotted"),
		"sp c": String("spaced"),
		"iso":  String("2023-07-22T04:26:40.123Z"),
	}
	tests := []struct {
		name, in string
		want     Value
	}{
		{"long", "42", Long(42)},
		{"double", "1.5", Double(1.5)},
		{"exp", "1e3", Double(1000)},
		{"string", `'it\'s'`, String("it's")},
		{"unicode escape", `'\u0041b'`, String("Ab")},
		{"null literal", "null", Null()},
		{"neg", "-n", Long(-7)},
		{"neg literal", "-3", Long(-3)},
		{"pow binds tighter than minus", "-2^2", Long(-4)},
		{"pow right assoc", "2^3^2", Long(512)},
		{"precedence", "1 + 2 * 3", Long(7)},
		{"parens", "(1 + 2) * 3", Long(9)},
		{"long div", "7 / 2", Long(3)},
		{"double div", "7 / 2.0", Double(3.5)},
		{"div zero long", "1 / 0", Null()},
		{"mod", "7 % 3", Long(1)},
		{"mixed", "n * d", Double(17.5)},
		{"numeric string", "ns * 2", Long(6)},
		{"string plus", "s + 1", String("Hello1")},
		{"null arith", "nul + 1", Null()},
		{"missing ident", "missing + 1", Null()},
		{"lt", "1 < 2", Long(1)},
		{"ge", "2 >= 3", Long(0)},
		{"str eq", "s == 'Hello'", Long(1)},
		{"str ne", "s != 'Hello'", Long(0)},
		{"str lt", "'a' < 'b'", Long(1)},
		{"num vs string", "ns == 3", Long(1)},
		{"cmp null", "nul == 1", Null()},
		{"and", "1 && 2", Long(1)},
		{"and false", "1 && 0", Long(0)},
		{"and null false", "nul && 0", Long(0)},
		{"and null true", "nul && 1", Null()},
		{"or null true", "nul || 1", Long(1)},
		{"or null false", "nul || 0", Null()},
		{"not", "!0", Long(1)},
		{"not null", "!nul", Null()},
		{"truthy string true", "'true' && 1", Long(1)},
		{"truthy string other", "'yes' || 0", Long(0)},
		{"quoted ident", `"sp c"`, String("spaced")},
		{"dotted ident", "a.b", String("dotted")},
		{"concat", "concat(s, '-', n)", String("Hello-7")},
		{"concat null", "concat(s, nul)", Null()},
		{"upper", "upper(s)", String("HELLO")},
		{"lower", "LOWER(s)", String("hello")},
		{"substring", "substring(s, 1, 3)", String("ell")},
		{"substring rest", "substring(s, 1, -1)", String("ello")},
		{"substring past end", "substring(s, 9, 1)", Null()},
		{"strlen", "strlen('héllo')", Long(5)},
		{"replace", "replace(s, 'l', 'L')", String("HeLLo")},
		{"nvl", "nvl(nul, 'x')", String("x")},
		{"nvl keeps", "nvl(s, 'x')", String("Hello")},
		{"if", "if(n > 5, 'big', 'small')", String("big")},
		{"case_searched", "case_searched(n == 1, 'one', n == 7, 'seven', 'other')", String("seven")},
		{"case_searched else", "case_searched(n == 1, 'one', 'other')", String("other")},
		{"case_searched no else", "case_searched(n == 1, 'one')", Null()},
		{"case_simple", "case_simple(n, 1, 'one', 7, 'seven', 'other')", String("seven")},
		{"cast long", "cast('12', 'LONG')", Long(12)},
		{"cast double", "cast(n, 'DOUBLE')", Double(7)},
		{"cast string", "cast(d, 'STRING')", String("2.5")},
		{"cast bad", "cast('x', 'LONG')", Null()},
		{"abs", "abs(-3)", Long(3)},
		{"floor", "floor(2.7)", Double(2)},
		{"round", "round(2.567, 2)", Double(2.57)},
		{"strpos", "strpos(s, 'l')", Long(2)},
		{"strpos missing", "strpos(s, 'z')", Long(-1)},
		{"like", "like(s, 'H%o')", Long(1)},
		{"like underscore", "like(s, 'H_llo')", Long(1)},
		{"like escape", `like('50%', '50!%', '!')`, Long(1)},
		{"like no", "like(s, 'x%')", Long(0)},
		{"regexp_extract", "regexp_extract('abc123', '[0-9]+')", String("123")},
		{"regexp_extract group", "regexp_extract('k=v', '(\\w)=(\\w)', 2)", String("v")},
		{"regexp_extract nomatch", "regexp_extract('abc', '[0-9]+')", Null()},
		{"regexp_like", "regexp_like(s, '^H')", Long(1)},
		{"contains_string", "contains_string(s, 'ell')", Long(1)},
		{"icontains_string", "icontains_string(s, 'ELL')", Long(1)},
		{"lpad", "lpad('7', 3, '0')", String("007")},
		{"greatest", "greatest(1, 5, 3)", Long(5)},
		{"timestamp_floor hour", "timestamp_floor(ts, 'PT1H')", Long(1689998400000)},
		{"timestamp_floor day", "timestamp_floor(ts, 'P1D')", Long(1689984000000)},
		{"timestamp_floor week", "timestamp_floor(ts, 'P1W')", Long(1689552000000)}, // Mon 2023-07-17
		{"timestamp_floor month", "timestamp_floor(ts, 'P1M')", Long(1688169600000)},
		{"timestamp_floor quarter", "timestamp_floor(ts, 'P3M')", Long(1688169600000)},
		{"timestamp_floor year", "timestamp_floor(ts, 'P1Y')", Long(1672531200000)},
		{"timestamp_floor 15m", "timestamp_floor(ts, 'PT15M')", Long(1689999300000)},
		{"timestamp_floor tz", "timestamp_floor(ts, 'P1D', null, 'America/Los_Angeles')", Long(1689922800000)},
		{"timestamp_floor origin", "timestamp_floor(ts, 'PT1H', 1800000)", Long(1689998400000 + 1800000 - 3600000)},
		{"timestamp_ceil", "timestamp_ceil(ts, 'PT1H')", Long(1690002000000)},
		{"timestamp_floor half-hour zone", "timestamp_floor(ts, 'PT30M', null, 'Asia/Kolkata')", Long(1689998400000)},
		{"timestamp_floor week zone", "timestamp_floor(ts, 'P1W', null, 'America/Los_Angeles')", Long(1689577200000)},
		{"timestamp_floor dynamic period", "timestamp_floor(ts, concat('PT', '1H'))", Long(1689998400000)},
		{"timestamp_floor fixed offset", "timestamp_floor(ts, 'P1D', null, '+02:00')", Long(1689984000000 - 7200000)},
		{"timestamp_parse iso", "timestamp_parse(iso)", Long(1690000000123)},
		{"timestamp_parse pattern", "timestamp_parse('2023-07-22 04:26:40', 'yyyy-MM-dd HH:mm:ss')", Long(1690000000000)},
		{"timestamp_parse tz", "timestamp_parse('2023-07-22 04:26:40', 'yyyy-MM-dd HH:mm:ss', 'Asia/Kolkata')", Long(1690000000000 - 19800000)},
		{"timestamp_parse bad", "timestamp_parse('nope')", Null()},
		{"timestamp_format", "timestamp_format(ts)", String("2023-07-22T04:26:40.123Z")},
		{"timestamp_format pattern", "timestamp_format(ts, 'yyyy/MM/dd HH')", String("2023/07/22 04")},
		{"timestamp_format zone", "timestamp_format(ts, 'yyyy-MM-dd HH:mm Z', 'Asia/Kolkata')", String("2023-07-22 09:56 +0530")},
		{"timestamp_shift", "timestamp_shift(ts, 'P1D', 2)", Long(1690000000123 + 2*86400000)},
		{"one-element array", "upper(one)", String("X")},
		{"empty array is null", "nvl(none, 'e')", String("e")},
		{"multi-value apply", "concat(mv, '!')", Strings([]string{"a!", "b!"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			got := e.Eval(b)
			if !Equal(got, tc.want) {
				t.Errorf("%s = %v (%v), want %v (%v)", tc.in, got, got.Kind(), tc.want, tc.want.Kind())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "unexpected end"},
		{"1 +", "unexpected end"},
		{"(1", "expected )"},
		{"nosuch(1)", "unknown function nosuch; supported functions: abs, "},
		{"upper(1, 2)", "function upper takes 1 argument, got 2"},
		{"substring('a')", "takes 3 arguments"},
		{"concat()", "at least 1"},
		{"'abc", "unterminated"},
		{"1 # 2", "unexpected character"},
		{"cast(1, 'BLOB')", "type must be"},
		{"regexp_like(x, '(?=a)')", "not a valid RE2"},
		{"timestamp_floor(t, 'P1X')", "not an ISO-8601 period"},
		{"timestamp_parse(t, 'yyyy GG')", "unsupported letter"},
		{"timestamp_floor(t, 'PT1H', null, 'Mars/Base')", "unknown time zone"},
		{"1 2", "unexpected"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want containing %q", tc.in, err, tc.want)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	e := MustParse(`concat(a, "b c", a, upper(d))`)
	got := strings.Join(e.Identifiers(), ",")
	if got != "a,b c,d" {
		t.Errorf("Identifiers = %s", got)
	}
}

func TestParseISOMillis(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2023-07-22T04:26:40.123Z", 1690000000123, true},
		{"2023-07-22T04:26:40Z", 1690000000000, true},
		{"2023-07-22 04:26:40", 1690000000000, true},
		{"2023-07-22T06:26:40.123+02:00", 1690000000123, true},
		{"2023-07-22T06:26:40.123+0200", 1690000000123, true},
		{"2023-07-22T04:26", 1689999960000, true},
		{"2023-07-22", 1689984000000, true},
		{"2023-07-22T04:26:40.123456789Z", 1690000000123, true},
		{"2023-07-22 06:26:40 Europe/Berlin", 1690000000000, true},
		{"1969-12-31T23:59:59Z", -1000, true},
		{"2023-02-30", 0, false},
		{"2023-07-22T25:00", 0, false},
		{"hello", 0, false},
		{"2023-07-22Tx", 0, false},
		{"2023-07-22T04:26:40.Z", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseISOMillis(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseISOMillis(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	good := map[string]Period{
		"PT1H":             {Hours: 1},
		"P1D":              {Days: 1},
		"P3M":              {Months: 3},
		"P1Y2M3DT4H5M6.5S": {Years: 1, Months: 2, Days: 3, Hours: 4, Minutes: 5, Seconds: 6, Millis: 500},
		"P2W":              {Weeks: 2},
		"PT0.25S":          {Millis: 250},
	}
	for in, want := range good {
		if got, err := ParsePeriod(in); err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "P", "PT", "1H", "PT1X", "P1H", "PT1D", "P0D", "PTT1H"} {
		if _, err := ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q) succeeded", in)
		}
	}
}

func TestJodaLayout(t *testing.T) {
	tests := []struct{ in, parse, format string }{
		{"yyyy-MM-dd HH:mm:ss", "2006-01-02 15:04:05", "2006-01-02 15:04:05"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.000-0700"},
		{"dd/MMM/yyyy:HH:mm:ss Z", "02/Jan/2006:15:04:05 Z0700", "02/Jan/2006:15:04:05 -0700"},
		{"EEE, d MMMM yy h:mm a", "Mon, 2 January 06 3:04 PM", "Mon, 2 January 06 3:04 PM"},
		{"HH 'o''clock'", "15 o'clock", "15 o'clock"},
	}
	for _, tc := range tests {
		p, f, err := JodaLayout(tc.in)
		if err != nil || p != tc.parse || f != tc.format {
			t.Errorf("JodaLayout(%q) = %q, %q, %v; want %q, %q", tc.in, p, f, err, tc.parse, tc.format)
		}
	}
	for _, bad := range []string{"yyyy SSS", "'Mon'", "x", "ZZZ", "'unterminated"} {
		if _, _, err := JodaLayout(bad); err == nil {
			t.Errorf("JodaLayout(%q) succeeded", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1+2", "concat(a,'b')", "timestamp_floor(t,'PT1H')", "-(-(1))^2", `"x" == 'y' || !z`, "like(a, b, c)"} {
		f.Add(s)
	}
	b := MapBindings{"a": String("x"), "t": Long(5), "z": Strings([]string{"1", "2"})}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		e.Eval(b)
	})
}

// TestDoubleToLong: conversions saturate as Java's (long) cast does, on every platform.
func TestDoubleToLong(t *testing.T) {
	tests := []struct {
		d    float64
		want int64
		fits bool
	}{
		{1.9, 1, true},
		{-1.9, -1, true},
		{1e308, math.MaxInt64, false},
		{-1e308, math.MinInt64, false},
		{math.Inf(1), math.MaxInt64, false},
		{math.Inf(-1), math.MinInt64, false},
		{math.NaN(), 0, false},
		{9223372036854775808.0, math.MaxInt64, false}, // 2^63
		{-9223372036854775808.0, math.MinInt64, true},
		{9223372036854774784.0, 9223372036854774784, true}, // the largest double below 2^63
	}
	for _, tc := range tests {
		if got := DoubleToLong(tc.d); got != tc.want {
			t.Errorf("DoubleToLong(%v) = %d, want %d", tc.d, got, tc.want)
		}
		if got := FitsLong(tc.d); got != tc.fits {
			t.Errorf("FitsLong(%v) = %v, want %v", tc.d, got, tc.fits)
		}
	}
	if n, ok := String("1e308").AsLong(); !ok || n != math.MaxInt64 {
		t.Errorf(`"1e308".AsLong() = %d, %v`, n, ok)
	}
	if n, ok := Double(-1e300).AsLong(); !ok || n != math.MinInt64 {
		t.Errorf("-1e300.AsLong() = %d, %v", n, ok)
	}
}
