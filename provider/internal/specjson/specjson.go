package specjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Doc is a normalised spec: a JSON object decoded with json.Number.
type Doc = map[string]any

// sections are the parts of a SeekableStreamSupervisorSpec that Druid echoes
// both inside "spec" and at the top level.
var sections = []string{"dataSchema", "ioConfig", "tuningConfig"}

// aliases maps, per section, a key Druid echoes as an alias onto the key it
// stands for (KafkaSupervisorIOConfig's stream and useEarliestSequenceNumber).
var aliases = map[string]map[string]string{
	"ioConfig": {"stream": "topic", "useEarliestSequenceNumber": "useEarliestOffset"},
}

// Parse decodes raw JSON into a value using json.Number for numbers, so
// integers such as Long.MAX_VALUE offsets survive unchanged.
func Parse(raw string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// Normalize decodes a supervisor spec in any accepted shape — the
// {"type":"kafka","spec":{...}} wrapper, flat top-level sections, or Druid's
// echo with both — into one flat shape: top-level keys plus the three
// sections, aliases folded into their canonical key, nulls removed, and
// "suspended" removed (it is state, owned by kafka_supervisor_state).
func Normalize(raw string) (Doc, error) {
	v, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("spec must be a JSON object, got %s", kind(v))
	}
	out := Doc{}
	for k, val := range top {
		if k == "spec" || k == "suspended" {
			continue
		}
		out[k] = val
	}
	if inner, ok := top["spec"].(map[string]any); ok {
		// Inside "spec" wins over the top-level copies; Druid echoes the
		// same object twice, users of the wrapper write it once.
		for k, val := range inner {
			if _, dup := out[k]; dup && !isSection(k) {
				continue
			}
			out[k] = val
		}
	}
	for sec, m := range aliases {
		s, ok := out[sec].(map[string]any)
		if !ok {
			continue
		}
		for alias, canon := range m {
			av, has := s[alias]
			if !has {
				continue
			}
			if cv, hasCanon := s[canon]; !hasCanon || cv == nil {
				s[canon] = av
			}
			delete(s, alias)
		}
	}
	return dropNulls(out).(map[string]any), nil
}

func isSection(k string) bool {
	for _, s := range sections {
		if s == k {
			return true
		}
	}
	return false
}

// dropNulls removes null members recursively: Druid writes null for every
// unset option, which means the same as leaving the key out.
func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if val == nil {
				delete(t, k)
				continue
			}
			t[k] = dropNulls(val)
		}
	case []any:
		for i := range t {
			t[i] = dropNulls(t[i])
		}
	}
	return v
}

// Contains reports whether every key declared in want is present in got with
// an equivalent value: want is the user's spec, got the server's echo, and
// keys only the server has (defaults) are ignored. Arrays must have the same
// length and equivalent elements in order (dimension and metric order is
// meaningful in Druid), except dimensionExclusions, which is a set to which
// the server adds the timestamp column.
func Contains(want, got Doc) bool { return equiv("", want, got, true) }

// Equal reports whether a and b declare the same keys with equivalent values.
func Equal(a, b Doc) bool { return equiv("", a, b, false) && equiv("", b, a, false) }

// equiv compares a (declared) with b (actual); key is the member name a and
// b were found under, which selects the key-specific equivalences. When
// subset is true, keys missing from a are ignored.
func equiv(key string, a, b any, subset bool) bool {
	if strings.HasSuffix(key, "Granularity") {
		a, b = granularity(a), granularity(b)
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return false
		}
		if !subset && len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !equiv(k, x, y, subset) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok {
			return false
		}
		if key == "dimensionExclusions" {
			return setContains(bv, av) && (subset || setContains(av, bv))
		}
		if len(av) != len(bv) {
			return false
		}
		for i := range av {
			x, y := av[i], bv[i]
			if key == "dimensions" {
				x, y = dimension(x), dimension(y)
			}
			if !equiv("", x, y, subset) {
				return false
			}
		}
		return true
	case string:
		bv, ok := b.(string)
		if !ok {
			return false
		}
		if av == bv {
			return true
		}
		if da, ok := parseDuration(av); ok {
			if db, ok := parseDuration(bv); ok {
				return da.Cmp(db) == 0
			}
		}
		return key == "type" && strings.EqualFold(av, bv) && isGranularityType(av)
	case json.Number:
		return numEqual(av, b)
	case float64, int, int64:
		return numEqual(json.Number(fmt.Sprint(av)), b)
	default: // bool, nil
		return a == b
	}
}

func setContains(set, elems []any) bool {
outer:
	for _, e := range elems {
		for _, s := range set {
			if equiv("", e, s, false) {
				continue outer
			}
		}
		return false
	}
	return true
}

func numEqual(a json.Number, b any) bool {
	var bs string
	switch t := b.(type) {
	case json.Number:
		bs = t.String()
	case float64, int, int64:
		bs = fmt.Sprint(t)
	default:
		return false
	}
	if a.String() == bs {
		return true
	}
	x, ok1 := new(big.Rat).SetString(a.String())
	y, ok2 := new(big.Rat).SetString(bs)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// granularityTypes are Druid's named granularities, compared without regard
// to case (segmentGranularity "hour" is echoed as "HOUR").
var granularityTypes = map[string]bool{
	"all": true, "none": true, "second": true, "minute": true, "five_minute": true, "ten_minute": true,
	"fifteen_minute": true, "thirty_minute": true, "hour": true, "six_hour": true, "eight_hour": true,
	"day": true, "week": true, "month": true, "quarter": true, "year": true,
	"period": true, "duration": true, "uniform": true, "arbitrary": true,
}

func isGranularityType(s string) bool { return granularityTypes[strings.ToLower(s)] }

// granularity turns the string form of a granularity ("hour", "NONE") into
// the object form Druid echoes for queryGranularity ({"type":"none"}), with
// the type in lower case, so both spellings compare equal.
func granularity(v any) any {
	switch t := v.(type) {
	case string:
		return map[string]any{"type": strings.ToLower(t)}
	case map[string]any:
		if s, ok := t["type"].(string); ok && isGranularityType(s) {
			cp := make(map[string]any, len(t))
			for k, x := range t {
				cp[k] = x
			}
			cp["type"] = strings.ToLower(s)
			return cp
		}
	}
	return v
}

// dimension expands a dimensionsSpec entry into the object Druid echoes
// (DimensionSchema): a bare name is a string dimension, and the defaults of
// multiValueHandling and createBitmapIndex are filled in on both sides so
// they compare equal whether written out or not.
func dimension(v any) any {
	var d map[string]any
	switch t := v.(type) {
	case string:
		d = map[string]any{"type": "string", "name": t}
	case map[string]any:
		d = make(map[string]any, len(t)+2)
		for k, x := range t {
			d[k] = x
		}
		if _, ok := d["type"]; !ok {
			d["type"] = "string"
		}
	default:
		return v
	}
	if d["type"] == "string" {
		if _, ok := d["multiValueHandling"]; !ok {
			d["multiValueHandling"] = "SORTED_ARRAY"
		}
		if _, ok := d["createBitmapIndex"]; !ok {
			d["createBitmapIndex"] = true
		}
	} else if _, ok := d["createBitmapIndex"]; !ok {
		switch d["type"] {
		case "long", "float", "double":
			d["createBitmapIndex"] = false
		}
	}
	return d
}

var durationRE = regexp.MustCompile(`^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$`)

// parseDuration returns the length in milliseconds of an ISO-8601 duration
// without years or months (which have no fixed length), so that PT1H, PT60M
// and PT3600S compare equal, as Joda's Duration makes them in Druid's echo.
func parseDuration(s string) (*big.Int, bool) {
	if s == "P" || strings.HasSuffix(s, "T") {
		return nil, false
	}
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	total := new(big.Int)
	for i, unit := range []int64{7 * 86400000, 86400000, 3600000, 60000} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil {
			return nil, false
		}
		total.Add(total, new(big.Int).Mul(big.NewInt(n), big.NewInt(unit)))
	}
	if sec := m[5]; sec != "" {
		r, ok := new(big.Rat).SetString(sec)
		if !ok {
			return nil, false
		}
		r.Mul(r, big.NewRat(1000, 1))
		total.Add(total, new(big.Int).Quo(r.Num(), r.Denom()))
	}
	return total, true
}

// Project returns the server's value seen through the keys the user
// declared: where a declared subtree is equivalent to the server's it is
// kept as written; elsewhere the server's value is taken, and declared keys
// the server lacks are dropped. Storing the projection in state makes a plan
// show exactly the declared keys that drifted.
func Project(user, server any) any { return project("", user, server) }

func project(key string, user, server any) any {
	if equiv(key, user, server, true) {
		return user
	}
	switch u := user.(type) {
	case map[string]any:
		s, ok := server.(map[string]any)
		if !ok {
			return server
		}
		out := make(map[string]any, len(u))
		for k, uv := range u {
			if sv, ok := s[k]; ok {
				out[k] = project(k, uv, sv)
			}
		}
		return out
	case []any:
		s, ok := server.([]any)
		if !ok || len(s) != len(u) || key == "dimensionExclusions" {
			return server
		}
		out := make([]any, len(u))
		for i := range u {
			out[i] = project("", u[i], s[i])
		}
		return out
	}
	return server
}

// Marshal encodes v as compact JSON with sorted keys and without HTML
// escaping, so equal values always produce equal strings.
func Marshal(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
