package specmerge

import (
	"encoding/json"
	"reflect"
	"testing"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name            string
		base, over, out string
	}{
		{"empty overrides", `{"a":1,"b":{"c":2}}`, `{}`, `{"a":1,"b":{"c":2}}`},
		{"scalar replaced", `{"a":1}`, `{"a":"x"}`, `{"a":"x"}`},
		{"key added", `{"a":1}`, `{"b":2}`, `{"a":1,"b":2}`},
		{"objects merged deeply", `{"io":{"topic":"t","props":{"a":"1","b":"2"}}}`, `{"io":{"props":{"b":"3","c":"4"}}}`,
			`{"io":{"topic":"t","props":{"a":"1","b":"3","c":"4"}}}`},
		{"arrays replaced whole", `{"dims":["a","b","c"]}`, `{"dims":["z"]}`, `{"dims":["z"]}`},
		{"null deletes", `{"a":1,"b":{"c":2,"d":3}}`, `{"b":{"c":null},"a":null}`, `{"b":{"d":3}}`},
		{"null of a missing key", `{"a":1}`, `{"x":null}`, `{"a":1}`},
		{"object replaces scalar", `{"a":1}`, `{"a":{"b":2,"c":null}}`, `{"a":{"b":2}}`},
		{"scalar replaces object", `{"a":{"b":2}}`, `{"a":false}`, `{"a":false}`},
		{"array replaces object", `{"a":{"b":2}}`, `{"a":[1,{"x":null}]}`, `{"a":[1,{"x":null}]}`},
		{"flat override into wrapper", `{"type":"kafka","spec":{"ioConfig":{"topic":"a","taskCount":1}}}`,
			`{"ioConfig":{"topic":"b"},"context":{"x":1}}`,
			`{"type":"kafka","spec":{"ioConfig":{"topic":"b","taskCount":1}},"context":{"x":1}}`},
		{"wrapper override into flat", `{"type":"kafka","ioConfig":{"topic":"a","taskCount":1}}`,
			`{"type":"kafka","spec":{"ioConfig":{"topic":"b"}}}`,
			`{"type":"kafka","ioConfig":{"topic":"b","taskCount":1}}`},
		{"both shapes in overrides, wrapper wins", `{"spec":{"ioConfig":{"topic":"a"}}}`,
			`{"ioConfig":{"topic":"b","taskCount":2},"spec":{"ioConfig":{"topic":"c"}}}`,
			`{"spec":{"ioConfig":{"topic":"c","taskCount":2}}}`},
		{"echo shape gets both copies", `{"type":"kafka","ioConfig":{"topic":"a","taskCount":1},"spec":{"ioConfig":{"topic":"a","taskCount":1}}}`,
			`{"ioConfig":{"topic":"b"}}`,
			`{"type":"kafka","ioConfig":{"topic":"b","taskCount":1},"spec":{"ioConfig":{"topic":"b","taskCount":1}}}`},
		{"echo shape, wrapper override", `{"ioConfig":{"topic":"a"},"spec":{"ioConfig":{"topic":"a"},"dataSchema":{"dataSource":"d"}}}`,
			`{"spec":{"ioConfig":{"topic":"b"}}}`,
			`{"ioConfig":{"topic":"b"},"spec":{"ioConfig":{"topic":"b"},"dataSchema":{"dataSource":"d"}}}`},
		{"base without a shape keeps the overrides' shape", `{"type":"kafka"}`, `{"spec":{"ioConfig":{"topic":"b"}}}`,
			`{"type":"kafka","spec":{"ioConfig":{"topic":"b"}}}`},
		{"delete a section from a wrapper", `{"spec":{"ioConfig":{"topic":"a"},"tuningConfig":{"type":"kafka"}}}`,
			`{"tuningConfig":null}`, `{"spec":{"ioConfig":{"topic":"a"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, over := decode(t, tc.base), decode(t, tc.over)
			baseCopy, overCopy := decode(t, tc.base), decode(t, tc.over)
			got, err := Merge(base, over)
			if err != nil {
				t.Fatal(err)
			}
			if want := decode(t, tc.out); !reflect.DeepEqual(any(got), want) {
				g, _ := json.Marshal(got)
				t.Errorf("Merge(%s, %s) = %s, want %s", tc.base, tc.over, g, tc.out)
			}
			if !reflect.DeepEqual(base, baseCopy) || !reflect.DeepEqual(over, overCopy) {
				t.Error("Merge modified its arguments")
			}
		})
	}
}

func TestMergeNotObjects(t *testing.T) {
	for _, tc := range []struct{ base, over, err string }{
		{`[]`, `{}`, "base must be a JSON object (a supervisor spec), got an array"},
		{`{}`, `"x"`, "overrides must be a JSON object, got a string"},
		{`null`, `{}`, "base must be a JSON object (a supervisor spec), got null"},
	} {
		_, err := Merge(decode(t, tc.base), decode(t, tc.over))
		if err == nil || err.Error() != tc.err {
			t.Errorf("Merge(%s, %s): error %v, want %q", tc.base, tc.over, err, tc.err)
		}
	}
}
