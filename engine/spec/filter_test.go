package spec

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestValidateFilter checks that ValidateFilter, the one filter check, refuses everything the
// compilers (engine/transform, engine/query) cannot compile, naming the field by its JSON path.
// The cases are those the transform compiler used to check itself.
func TestValidateFilter(t *testing.T) {
	tests := []struct{ name, filter, want string }{
		{"bad regex", `{"type":"and","fields":[{"type":"true"},{"type":"regex","dimension":"x","pattern":"(?=a)"}]}`, "fields[1].pattern: not a valid (RE2) regular expression (lookaround"},
		{"bad expression", `{"type":"not","field":{"type":"expression","expression":"nosuch(1)"}}`, "field.expression: expr: unknown function nosuch"},
		{"unknown type", `{"type":"search","dimension":"x"}`, `type: unknown filter type "search"`},
		{"missing dimension", `{"type":"selector"}`, "dimension: missing (required by selector)"},
		{"selector object", `{"type":"selector","dimension":"x","value":{"a":1}}`, "value: must be a string, number or null"},
		{"in array", `{"type":"in","dimension":"x","values":["a",[1]]}`, "values[1]: must be a string, number or null"},
		{"equals not a number", `{"type":"equals","column":"x","matchValueType":"LONG","matchValue":"abc"}`, `matchValue: "abc" is not a LONG`},
		{"equals type", `{"type":"equals","column":"x","matchValueType":"ARRAY<LONG>","matchValue":"1"}`, `matchValueType: unsupported type "ARRAY<LONG>"`},
		{"bound not a number", `{"type":"bound","dimension":"x","lower":"a","ordering":"numeric"}`, `lower: "a" is not a number`},
		{"bound strlen upper", `{"type":"bound","dimension":"x","upper":"b","ordering":"strlen"}`, `upper: "b" is not a number`},
		{"bound ordering", `{"type":"bound","dimension":"x","ordering":"weird","lower":"1"}`, "ordering: unknown ordering"},
		{"bound version ordering", `{"type":"bound","dimension":"x","ordering":"version","lower":"1"}`, "ordering: unknown ordering"},
		{"bound lower object", `{"type":"bound","dimension":"x","lower":{}}`, "lower: must be a string, number or null"},
		{"range type", `{"type":"range","column":"x","matchValueType":"COMPLEX","lower":1}`, `matchValueType: unsupported type "COMPLEX"`},
		{"range not a number", `{"type":"range","column":"x","matchValueType":"DOUBLE","upper":"z"}`, `upper: "z" is not a number`},
		{"like escape", `{"type":"like","dimension":"x","pattern":"a!","escape":"!"}`, `pattern: pattern "a!" ends with the escape`},
		{"extractionFn", `{"type":"selector","dimension":"x","value":"a","extractionFn":{"type":"upper"}}`, "extractionFn: extraction functions are not supported"},
		{"empty or", `{"type":"or","fields":[]}`, "fields: missing (required by or)"},
		{"null sub-filter", `{"type":"and","fields":[{"type":"true"},null]}`, "fields[1]: missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f Filter
			if err := json.Unmarshal([]byte(tc.filter), &f); err != nil {
				t.Fatal(err)
			}
			err := ValidateFilter(&f, "")
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("ValidateFilter(%s) = %v, want a *FieldError starting %q", tc.filter, err, tc.want)
			}
			// Under a path the same error is prefixed by it.
			err = ValidateFilter(&f, "filter")
			if err == nil || !strings.HasPrefix(err.Error(), "filter."+tc.want) {
				t.Errorf("ValidateFilter(%s, filter) = %v, want %q", tc.filter, err, "filter."+tc.want)
			}
		})
	}
}
