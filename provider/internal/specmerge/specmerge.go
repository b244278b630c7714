// Package specmerge merges two supervisor specs, for provider::kafka::merge_spec: one base spec
// stamped out into many supervisors with a few keys changed each.
//
// The rules are JSON Merge Patch (RFC 7396), which is what a "deep merge" of two JSON documents
// usually means and what `kubectl patch --type merge` does:
//
//   - an object in overrides is merged into the object at the same key of base, key by key;
//   - a null in overrides deletes that key from the result;
//   - anything else in overrides (a string, number, bool or array) replaces base's value; arrays
//     are replaced whole, never appended to or merged element by element (dimensions,
//     metricsSpec and transforms are lists whose order matters);
//   - keys that only base has are kept.
//
// One rule is Druid's own: a supervisor spec comes in two shapes, the flat one
// ({"type":"kafka","dataSchema":…,"ioConfig":…,"tuningConfig":…}) and the wrapper
// ({"type":"kafka","spec":{"dataSchema":…}}), and Druid's GET echoes both at once. The result
// keeps base's shape: sections (dataSchema, ioConfig, tuningConfig) that overrides gives in the
// other shape are merged into the place base holds them (into both places when base has both).
package specmerge

import "fmt"

// sections are the parts of a supervisor spec that may sit at the top or under "spec".
var sections = []string{"dataSchema", "ioConfig", "tuningConfig"}

// Merge returns base with overrides merged in by the package's rules. Both must be JSON objects
// as decoded by encoding/json (map[string]any, []any, string, float64 or json.Number, bool, nil).
// Neither argument is modified.
func Merge(base, overrides any) (map[string]any, error) {
	b, ok := base.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("base must be a JSON object (a supervisor spec), got %s", kind(base))
	}
	o, ok := overrides.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("overrides must be a JSON object, got %s", kind(overrides))
	}
	return patch(b, align(b, o)).(map[string]any), nil
}

// align rewrites overrides into base's shape (see the package doc). It returns overrides itself
// when the shapes already agree.
func align(base, over map[string]any) map[string]any {
	_, baseWrapped := base["spec"].(map[string]any)
	baseFlat := hasSection(base)
	overInner, overWrapped := over["spec"].(map[string]any)
	overFlat := hasSection(over)

	out := make(map[string]any, len(over))
	for k, v := range over {
		out[k] = v
	}
	// Collect the overrides' sections, whichever shape they came in.
	moved := map[string]any{}
	if baseWrapped && !baseFlat && overFlat {
		for _, s := range sections {
			if v, ok := over[s]; ok {
				moved[s] = v
				delete(out, s)
			}
		}
		inner := map[string]any{}
		if overWrapped {
			for k, v := range overInner {
				inner[k] = v
			}
		}
		for k, v := range moved {
			if iv, ok := inner[k]; ok {
				v = patch(v, iv) // both shapes in overrides: the wrapper's copy wins
			}
			inner[k] = v
		}
		out["spec"] = inner
		return out
	}
	if baseFlat && !baseWrapped && overWrapped {
		delete(out, "spec")
		for k, v := range overInner {
			if tv, ok := out[k]; ok {
				v = patch(tv, v)
			}
			out[k] = v
		}
		return out
	}
	if baseWrapped && baseFlat {
		// Druid's echo shape: give every section override to both copies.
		inner := map[string]any{}
		if overWrapped {
			for k, v := range overInner {
				inner[k] = v
			}
		}
		for _, s := range sections {
			top, hasTop := over[s]
			in, hasIn := inner[s]
			switch {
			case hasTop && hasIn:
				v := patch(top, in)
				out[s], inner[s] = v, v
			case hasTop:
				inner[s] = top
			case hasIn:
				out[s] = in
			}
		}
		if len(inner) > 0 {
			out["spec"] = inner
		}
		return out
	}
	return out
}

func hasSection(m map[string]any) bool {
	for _, s := range sections {
		if _, ok := m[s]; ok {
			return true
		}
	}
	return false
}

// patch is RFC 7396's MergePatch(target, patch): it never modifies its arguments.
func patch(target, p any) any {
	pm, ok := p.(map[string]any)
	if !ok {
		return p
	}
	tm, _ := target.(map[string]any)
	out := make(map[string]any, len(tm)+len(pm))
	for k, v := range tm {
		out[k] = v
	}
	for k, v := range pm {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = patch(out[k], v)
	}
	return out
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a bool"
	default:
		return "a number"
	}
}
