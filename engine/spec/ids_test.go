package spec

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        string // "" means valid
	}{
		{"plain", "wikipedia", ""},
		{"druid task id", "index_kafka_wikipedia_0123456789abcde_abcdefgh", ""},
		{"space allowed", "my datasource", ""},
		{"unicode", "données-α", ""},
		{"dot inside", "a.b.c", ""},
		{"at max", strings.Repeat("x", MaxIDLength), ""},
		{"empty", "", "id: must not be empty"},
		{"too long", strings.Repeat("x", MaxIDLength+1), "id: must be at most 250 bytes, got 251"},
		{"2800 bytes", strings.Repeat("a", 2800), "id: must be at most 250 bytes, got 2800"},
		{"dotdot", "..", "id: must not start with '.'"},
		{"dot", ".", "id: must not start with '.'"},
		{"hidden", ".hidden", "id: must not start with '.'"},
		{"traversal", "../../victim", "id: must not start with '.'"},
		{"slash", "a/b", "id: must not contain '/'"},
		{"backslash", `a\b`, `id: must not contain '\'`},
		{"dotdot inside", "a..b", "id: must not contain '..'"},
		{"NUL", "a\x00b", "id: must not contain control or whitespace characters other than space (found U+0000 at byte 1)"},
		{"tab", "a\tb", "id: must not contain control or whitespace characters other than space (found U+0009 at byte 1)"},
		{"newline", "a\n", "id: must not contain control or whitespace characters other than space (found U+000A at byte 1)"},
		{"DEL", "a\x7f", "id: must not contain control or whitespace characters other than space (found U+007F at byte 1)"},
		{"C1 control", "a\u0085", "id: must not contain control or whitespace characters other than space (found U+0085 at byte 1)"},
		{"no-break space", "a\u00a0b", "id: must not contain control or whitespace characters other than space (found U+00A0 at byte 1)"},
		{"line separator", "a\u2028b", "id: must not contain control or whitespace characters other than space (found U+2028 at byte 1)"},
		{"invalid UTF-8", "a\xffb", "id: must be valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateID("id", tc.value)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ValidateID(%q) = %v, want nil", tc.value, err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("ValidateID(%q) = %v, want %q", tc.value, err, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Path != "id" || !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not a *FieldError on id wrapping ErrInvalid", err)
			}
		})
	}
}

func TestValidateDataSource(t *testing.T) {
	if err := ValidateDataSource("dataSource", strings.Repeat("d", MaxDataSourceLength)); err != nil {
		t.Fatalf("longest datasource refused: %v", err)
	}
	err := ValidateDataSource("dataSource", strings.Repeat("d", 240))
	if err == nil || err.Error() != "dataSource: must be at most 200 bytes, got 240" {
		t.Fatalf("240-byte datasource: %v", err)
	}
	if err := ValidateDataSource("dataSource", "a/b"); err == nil || err.Error() != "dataSource: must not contain '/'" {
		t.Fatalf("slash: %v", err)
	}
	// The task ids a supervisor derives from the longest datasource are valid ids.
	if MaxDataSourceLength+TaskIDOverhead > MaxIDLength {
		t.Fatalf("MaxDataSourceLength %d + TaskIDOverhead %d exceeds MaxIDLength %d", MaxDataSourceLength, TaskIDOverhead, MaxIDLength)
	}
	if MaxIDLength+len(".json") > 255 {
		t.Fatalf("a task report file name <id>.json would exceed 255 bytes")
	}
}

func TestDecodeRefusesHostileIDs(t *testing.T) {
	spec := func(top, ds string) []byte {
		return []byte(`{"type":"kafka",` + top + `"dataSchema":{"dataSource":"` + ds + `"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"240-byte datasource", spec("", strings.Repeat("d", 240)), "dataSchema.dataSource: must be at most 200 bytes, got 240"},
		{"traversal datasource", spec("", "../../victim"), "dataSchema.dataSource: must not start with '.'"},
		{"NUL datasource", spec("", `a\u0000b`), "dataSchema.dataSource: must not contain control or whitespace characters other than space (found U+0000 at byte 1)"},
		{"dotdot supervisor id", spec(`"id":"a..b",`, "d"), "id: must not contain '..'"},
		{"slash supervisor id", spec(`"id":"a/b",`, "d"), "id: must not contain '/'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.raw)
			if err == nil || err.Error() != tc.want || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode: %v, want %q", err, tc.want)
			}
		})
	}
}
