package input

import (
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// TestTimestampOutOfRange: every timestamp shape that cannot become a segment is an
// unparseable row with a message naming the problem, in every format that can read it; the
// range bounds themselves are accepted.
func TestTimestampOutOfRange(t *testing.T) {
	numeric := []string{"auto", "millis", "posix", "micro", "nano"}
	// The long bounds in nanoseconds are years 1677 and 2262: valid.
	notNano := []string{"auto", "millis", "posix", "micro"}
	tests := []struct {
		name    string
		formats []string
		value   string // JSON value of the "ts" field
		want    string // substring of the parse error; "" means accepted
		wantMs  int64
	}{
		{name: "max long", formats: notNano, value: `9223372036854775807`, want: "out of range"},
		{name: "min long", formats: notNano, value: `-9223372036854775808`, want: "out of range"},
		{name: "max long as text", formats: notNano, value: `"9223372036854775807"`, want: "out of range"},
		{name: "beyond long as text", formats: numeric, value: `"99999999999999999999999"`, want: "out of range"},
		{name: "beyond long as number", formats: notNano, value: `18446744073709551616`, want: "out of range"},
		{name: "max long nanos", formats: []string{"nano"}, value: `9223372036854775807`, wantMs: 9223372036854},
		{name: "2^64 nanos", formats: []string{"nano"}, value: `18446744073709551616`, wantMs: 18446744073709},
		{name: "2^64 nanos as text", formats: []string{"nano"}, value: `"18446744073709551616"`, wantMs: 18446744073709},
		{name: "1e300", formats: numeric, value: `1e300`, want: "out of range"},
		{name: "-1e300", formats: numeric, value: `-1e300`, want: "out of range"},
		{name: "1e19", formats: []string{"auto", "millis", "posix"}, value: `1e19`, want: "out of range"},
		{name: "1e19 text", formats: []string{"millis", "posix", "ruby"}, value: `"1e19"`, want: "out of range"},
		{name: "1e400 text", formats: []string{"millis", "ruby"}, value: `"1e400"`, want: "out of range"},
		{name: "year 10000 in millis", formats: []string{"auto", "millis"}, value: `253402300800000`, want: "out of range"},
		{name: "year -1 in millis", formats: []string{"auto", "millis"}, value: `-62167219200001`, want: "out of range"},
		{name: "year 10000 in seconds", formats: []string{"posix", "ruby"}, value: `253402300800`, want: "out of range"},
		{name: "ISO year 10000", formats: []string{"auto", "iso"}, value: `"10000-01-01T00:00:00Z"`, want: "unparseable"},
		{name: "ISO year 99999", formats: []string{"auto", "iso"}, value: `"99999-12-31"`, want: "unparseable"},
		{name: "ISO negative year", formats: []string{"auto", "iso"}, value: `"-2000-01-01T00:00:00Z"`, want: "unparseable"},
		{name: "ISO offset past 9999", formats: []string{"auto", "iso"}, value: `"9999-12-31T23:30:00-01:00"`, want: "out of range"},
		{name: "ISO offset before 0000", formats: []string{"auto", "iso"}, value: `"0000-01-01T00:30:00+01:00"`, want: "out of range"},
		{name: "pattern offset past 9999", formats: []string{"yyyy-MM-dd'T'HH:mm:ssZ"}, value: `"9999-12-31T23:30:00-0100"`, want: "out of range"},
		{name: "array", formats: append(numeric, "iso"), value: `[1690000000123]`, want: "an array is not a timestamp"},
		{name: "empty array", formats: []string{"auto"}, value: `[]`, want: "an array is not a timestamp"},
		{name: "array of two", formats: []string{"auto"}, value: `["2023-07-22T04:26:40Z","x"]`, want: "timestamp[[2023-07-22T04:26:40Z, x]]"},
		{name: "object", formats: append(numeric, "iso"), value: `{"x":1}`, want: `timestamp[{"x":1}] is unparseable`},
		{name: "array of objects", formats: []string{"auto"}, value: `[{"x":1}]`, want: `timestamp[[{"x":1}]] is unparseable`},
		{name: "NaN text", formats: []string{"millis", "ruby"}, value: `"NaN"`, want: "unparseable"},
		{name: "first instant", formats: []string{"auto", "millis"}, value: `-62167219200000`, wantMs: spec.MinTimestamp},
		{name: "last instant", formats: []string{"auto", "millis"}, value: `253402300799999`, wantMs: spec.MaxTimestamp},
		{name: "last ISO instant", formats: []string{"auto", "iso"}, value: `"9999-12-31T23:59:59.999Z"`, wantMs: spec.MaxTimestamp},
		{name: "first ISO instant", formats: []string{"auto", "iso"}, value: `"0000-01-01T00:00:00.000Z"`, wantMs: spec.MinTimestamp},
	}
	for _, tc := range tests {
		for _, format := range tc.formats {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				p, err := NewParser(Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: ts("ts", format)})
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				err = p.Parse(Record{Value: []byte(`{"ts":` + tc.value + `,"id":"x","value":1}`)}, func(r *Row) error {
					got = append(got, r.Time)
					return nil
				})
				if tc.want == "" {
					if err != nil || len(got) != 1 || got[0] != tc.wantMs {
						t.Fatalf("rows %v, err %v; want one row at %d", got, err, tc.wantMs)
					}
					return
				}
				if len(got) != 0 {
					t.Errorf("emitted rows at %v, want none", got)
				}
				pes := AsParseErrors(err)
				if len(pes) != 1 || pes[0].Partial || !strings.Contains(pes[0].Error(), tc.want) || pes[0].Input == "" {
					t.Fatalf("err = %v, want one unparseable error containing %q", err, tc.want)
				}
			})
		}
	}
}

// TestTimestampNotScalar: a multi-value timestamp (listDelimiter) is unparseable too, and a
// missingValue does not stand in for an object: the column is present, just not a time.
func TestTimestampNotScalar(t *testing.T) {
	p, err := NewParser(Config{Format: &spec.InputFormat{Type: "csv", Columns: []string{"ts", "a"}, ListDelimiter: sptr("|")}, Timestamp: ts("ts", "millis")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseAll(t, p, Record{Value: []byte("1|2,x")}); err == nil || !strings.Contains(err.Error(), "an array is not a timestamp") {
		t.Errorf("csv multi-value timestamp: err = %v", err)
	}
	p, err = NewParser(Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: &spec.TimestampSpec{Column: "ts", Format: "auto", MissingValue: sptr("2020-01-01")}})
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := parseAll(t, p, Record{Value: []byte(`{"ts":{"x":1}}`)}); err == nil || len(rows) != 0 {
		t.Errorf("object timestamp with missingValue: rows %v, err %v", rows, err)
	}
	if rows, err := parseAll(t, p, Record{Value: []byte(`{"other":1}`)}); err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0], "1577836800000|") {
		t.Errorf("absent timestamp with missingValue: rows %v, err %v", rows, err)
	}
}

func TestMissingValueOutOfRange(t *testing.T) {
	for _, mv := range []string{"9999-12-31T23:00:00-05:00", "0000-01-01T00:00:00+01:00"} {
		err := ValidateTimestampSpec(&spec.TimestampSpec{Column: "ts", MissingValue: sptr(mv)})
		if err == nil || !strings.Contains(err.Error(), "outside the supported range") {
			t.Errorf("missingValue %s: err = %v", mv, err)
		}
	}
	if err := ValidateTimestampSpec(&spec.TimestampSpec{Column: "ts", MissingValue: sptr("9999-12-31T23:59:59.999Z")}); err != nil {
		t.Errorf("last instant as missingValue: %v", err)
	}
}
