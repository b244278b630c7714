package specjson

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// ConfigForm turns a server's echo (normalised, credentials already redacted)
// into the spec a user would have written for it, for the state after an
// import and for `terraform plan -generate-config-out`:
//
//   - only keys whose values differ from the defaults: a key is left out when
//     taking it away changes nothing in the engine's echo (engine/spec fills
//     Druid's documented defaults) and the echo then shows the same value for
//     it, so a key the engine does not understand or does not echo is kept;
//   - the {"type":"kafka","spec":{...}} wrapper, no "suspended", no nulls, no
//     aliases (Normalize has removed them);
//   - durations as a user writes them (PT600S → PT10M, PT3600S → PT1H),
//     segment and query granularities as upper-case names ("HOUR", not
//     {"type":"hour"}), string dimensions as bare names.
//
// Keys named "type" stay while their object does (tuningConfig.type "kafka",
// inputFormat.type, aggregator and transform types), except the default
// granularitySpec type "uniform". When the engine cannot decode the spec at
// all (a newer Druid with settings the engine rejects), ConfigForm keeps every
// key and only rewrites durations and granularities.
func ConfigForm(server Doc) Doc {
	w := cloneValue(server).(map[string]any)
	if io, ok := w["ioConfig"].(map[string]any); ok {
		if t, _ := io["type"].(string); strings.EqualFold(t, spec.SupervisorType) {
			delete(io, "type") // the echo's type wrapper of KafkaSupervisorIOConfig
		}
	}
	// Spelled as a user writes them first, so that the engine also reads a
	// Druid's echo of granularities it spells differently.
	prettify(w)
	// A default can show only once another is gone (the legacy parser's
	// timestampSpec once the top-level copy is), so repeat until nothing
	// changes.
	for prev, i := "", 0; i < 4; i++ {
		minimize(w)
		prettify(w)
		cur, _ := Marshal(w)
		if cur == prev {
			break
		}
		prev = cur
	}
	return wrap(w)
}

// Expand returns d with every default the engine fills in, normalised (the
// engine's echo of d); ok is false when the engine cannot decode d.
func Expand(d Doc) (Doc, bool) {
	e, err := engineEcho(d)
	return e, err == nil
}

// engineEcho decodes d with the engine's own spec rules and returns its echo,
// normalised.
func engineEcho(d Doc) (Doc, error) {
	s, err := Marshal(d)
	if err != nil {
		return nil, err
	}
	sup, err := spec.Decode([]byte(s))
	if err != nil {
		return nil, err
	}
	return Normalize(string(sup.Echo()))
}

// maxUnknown bounds how many keys the engine does not know ConfigForm sets
// aside before it gives up removing defaults.
const maxUnknown = 32

// minimize removes from w, in place, every key whose value is the default.
func minimize(w Doc) {
	// Keys the engine does not know (a newer Druid's settings) are set aside
	// while the engine judges the rest, then put back as they were.
	probe := cloneValue(w).(map[string]any)
	var aside []fieldPath
	base, err := engineEcho(probe)
	for err != nil && len(aside) < maxUnknown {
		var fe *spec.FieldError
		if !errors.As(err, &fe) || fe.Msg != "unknown field" {
			return
		}
		p, ok := parsePath(fe.Path)
		if !ok || !p.remove(probe) {
			return
		}
		aside = append(aside, p)
		base, err = engineEcho(probe)
	}
	if err != nil {
		return
	}
	m := &minimizer{root: probe, base: base}
	m.object(nil, probe)
	for _, p := range aside {
		if v, ok := p.get(w); ok {
			p.set(probe, v)
		}
	}
	for k := range w {
		delete(w, k)
	}
	for k, v := range probe {
		w[k] = v
	}
}

type minimizer struct {
	root Doc // the spec being minimised, changed in place
	base Doc // the engine's echo of the original spec
}

// unchanged reports whether the engine echoes root exactly as base, and
// returns that echo.
func (m *minimizer) unchanged() (Doc, bool) {
	e, err := engineEcho(m.root)
	return e, err == nil && Equal(e, m.base)
}

// object removes default members of obj (found at path), deepest last: a
// whole member goes when it is default as a whole, otherwise its own members
// are tried.
func (m *minimizer) object(path fieldPath, obj map[string]any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		p := append(slices.Clip(path), pathElem{key: k})
		if m.removable(p, k, v) {
			delete(obj, k)
			if echo, ok := m.unchanged(); ok {
				if ev, found := p.get(echo); found && equiv(k, v, ev, true) {
					continue
				}
			}
			obj[k] = v
		}
		switch t := v.(type) {
		case map[string]any:
			m.object(p, t)
		case []any:
			m.array(p, k, t, obj)
		}
	}
}

// array removes default members of object elements, and the elements of
// dimensionExclusions the engine adds anyway (__time, the timestamp column);
// parent is the object holding arr under key.
func (m *minimizer) array(path fieldPath, key string, arr []any, parent map[string]any) {
	for i, el := range arr {
		if obj, ok := el.(map[string]any); ok {
			m.object(append(slices.Clip(path), pathElem{index: i, isIndex: true}), obj)
		}
	}
	if key != "dimensionExclusions" {
		return
	}
	for i := len(arr) - 1; i >= 0; i-- {
		shorter := slices.Delete(slices.Clone(arr), i, i+1)
		parent[key] = shorter
		if _, ok := m.unchanged(); ok {
			arr = shorter
			continue
		}
		parent[key] = arr
	}
}

// removable says whether a member may be left out at all: "type" members say
// what their object is and stay with it, except the default granularitySpec
// type; the spec's own type and the sections' identity keys are required.
func (m *minimizer) removable(p fieldPath, k string, v any) bool {
	if k != "type" {
		return true
	}
	return len(p) == 3 && p[0].key == "dataSchema" && p[1].key == "granularitySpec" && v == "uniform"
}

// prettify rewrites, in place, the values Druid echoes in its own spelling
// into the spelling of a configuration.
func prettify(w Doc) {
	for _, sec := range []string{"ioConfig", "tuningConfig"} {
		s, ok := w[sec].(map[string]any)
		if !ok {
			continue
		}
		for k, v := range s {
			if str, ok := v.(string); ok {
				s[k] = prettyDuration(str)
			}
		}
	}
	ds, _ := w["dataSchema"].(map[string]any)
	if gs, ok := ds["granularitySpec"].(map[string]any); ok {
		for _, k := range []string{"segmentGranularity", "queryGranularity"} {
			if name, ok := granularityName(gs[k]); ok {
				gs[k] = name
			}
		}
	}
	if dsp, ok := ds["dimensionsSpec"].(map[string]any); ok {
		if dims, ok := dsp["dimensions"].([]any); ok {
			for i, d := range dims {
				dims[i] = shortDimension(d)
			}
		}
	}
}

// secondsRE matches the form Joda's Duration.toString gives (PT3600S, PT0.5S).
var secondsRE = regexp.MustCompile(`^PT\d+(\.\d{1,3})?S$`)

// prettyDuration writes a duration in hours, minutes and seconds
// (PT5400S → PT1H30M); it returns s unchanged unless it is in Joda's
// seconds form.
func prettyDuration(s string) string {
	ms, ok := parseDuration(s)
	if !ok || ms.Sign() == 0 || !secondsRE.MatchString(s) {
		return s
	}
	var hours, minutes, rest big.Int
	hours.QuoRem(ms, big.NewInt(3600000), &rest)
	minutes.QuoRem(&rest, big.NewInt(60000), &rest)
	var b strings.Builder
	b.WriteString("PT")
	if hours.Sign() != 0 {
		b.WriteString(hours.String() + "H")
	}
	if minutes.Sign() != 0 {
		b.WriteString(minutes.String() + "M")
	}
	if rest.Sign() != 0 {
		msec := rest.Int64()
		if msec%1000 == 0 {
			b.WriteString(strconv.FormatInt(msec/1000, 10) + "S")
		} else {
			b.WriteString(strings.TrimRight(fmt.Sprintf("%d.%03d", msec/1000, msec%1000), "0") + "S")
		}
	}
	return b.String()
}

// simpleGranularities are the granularities a bare name stands for.
var simpleGranularities = map[string]bool{
	"all": true, "none": true, "second": true, "minute": true, "five_minute": true, "ten_minute": true,
	"fifteen_minute": true, "thirty_minute": true, "hour": true, "six_hour": true, "eight_hour": true,
	"day": true, "week": true, "month": true, "quarter": true, "year": true,
}

// granularityName returns the upper-case name of a granularity written as a
// name or as an object that holds nothing but its type.
func granularityName(v any) (string, bool) {
	var name string
	switch t := v.(type) {
	case string:
		name = t
	case map[string]any:
		s, ok := t["type"].(string)
		if !ok || len(t) != 1 {
			return "", false
		}
		name = s
	default:
		return "", false
	}
	if !simpleGranularities[strings.ToLower(name)] {
		return "", false
	}
	return strings.ToUpper(name), true
}

// shortDimension writes a string dimension without settings as its name.
func shortDimension(d any) any {
	m, ok := d.(map[string]any)
	if !ok {
		return d
	}
	name, ok := m["name"].(string)
	if !ok {
		return d
	}
	switch len(m) {
	case 1:
		return name
	case 2:
		if m["type"] == "string" {
			return name
		}
	}
	return d
}

// wrap puts the three sections of a flat spec into the {"type":"kafka",
// "spec":{...}} wrapper Druid's documentation uses; other top-level keys
// (type, id, context) stay where they are.
func wrap(w Doc) Doc {
	out := Doc{}
	inner := map[string]any{}
	for k, v := range w {
		if isSection(k) {
			inner[k] = v
			continue
		}
		out[k] = v
	}
	if len(inner) > 0 {
		out["spec"] = inner
	}
	return out
}

// pathElem is one step of a fieldPath: a member name or an array index.
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

// fieldPath addresses a value inside a Doc.
type fieldPath []pathElem

var (
	pathElemRE = regexp.MustCompile(`^([^.\[\]]+)((?:\[\d+\])*)$`)
	digitsRE   = regexp.MustCompile(`\d+`)
)

// parsePath reads the engine's FieldError path syntax:
// dataSchema.metricsSpec[2].fieldName.
func parsePath(s string) (fieldPath, bool) {
	if s == "" {
		return nil, false
	}
	var p fieldPath
	for _, part := range strings.Split(s, ".") {
		m := pathElemRE.FindStringSubmatch(part)
		if m == nil {
			return nil, false
		}
		p = append(p, pathElem{key: m[1]})
		for _, idx := range digitsRE.FindAllString(m[2], -1) {
			n, _ := strconv.Atoi(idx)
			p = append(p, pathElem{index: n, isIndex: true})
		}
	}
	return p, true
}

func (p fieldPath) get(v any) (any, bool) {
	for _, e := range p {
		switch t := v.(type) {
		case map[string]any:
			if e.isIndex {
				return nil, false
			}
			var ok bool
			if v, ok = t[e.key]; !ok {
				return nil, false
			}
		case []any:
			if !e.isIndex || e.index >= len(t) {
				return nil, false
			}
			v = t[e.index]
		default:
			return nil, false
		}
	}
	return v, true
}

// container returns the object or array holding the last element of p.
func (p fieldPath) container(v any) (any, bool) {
	if len(p) == 0 {
		return nil, false
	}
	return p[:len(p)-1].get(v)
}

func (p fieldPath) remove(root Doc) bool {
	c, ok := p.container(root)
	last := p[len(p)-1]
	m, isMap := c.(map[string]any)
	if !ok || !isMap || last.isIndex {
		return false
	}
	if _, ok := m[last.key]; !ok {
		return false
	}
	delete(m, last.key)
	return true
}

// set stores v at p, creating the objects on the way that are missing (a
// section or object ConfigForm found default without v).
func (p fieldPath) set(root Doc, v any) {
	var cur any = root
	for i, e := range p {
		last := i == len(p)-1
		switch t := cur.(type) {
		case map[string]any:
			if e.isIndex {
				return
			}
			if last {
				t[e.key] = v
				return
			}
			next, ok := t[e.key]
			if !ok {
				next = map[string]any{}
				t[e.key] = next
			}
			cur = next
		case []any:
			if !e.isIndex || e.index >= len(t) {
				return
			}
			if last {
				t[e.index] = v
				return
			}
			cur = t[e.index]
		default:
			return
		}
	}
}

// cloneValue deep-copies a decoded JSON value.
func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = cloneValue(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = cloneValue(x)
		}
		return out
	}
	return v
}
