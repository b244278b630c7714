package input

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/oj"
	"github.com/valyala/fastjson"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// jsonSource reads the json inputFormat with its flattenSpec (Druid's JsonInputFormat,
// JSONFlattenerMaker and ObjectFlatteners).
type jsonSource struct {
	p         fastjson.Parser
	discover  bool
	lineMode  bool
	fields    []*flatField
	explicit  map[string]struct{} // names of explicit fields (discovered duplicates are skipped)
	cur       *Row
	visitFn   func(key []byte, v *fastjson.Value)
	generic   any  // lazily decoded record for ojg JsonPath fields
	genericOK bool // generic holds the current value
	rawCur    []byte
	segs      [][2]int
	// flat is true when rows come from field discovery alone (no flattenSpec fields): then
	// scanFlat may fill them without fastjson.
	flat bool
}

func newJSONSource(f *spec.InputFormat) (*jsonSource, error) {
	s := &jsonSource{discover: f.FlattenSpec.DiscoverFields()}
	for k, v := range f.FeatureSpec {
		if v {
			return nil, fmt.Errorf("featureSpec.%s: JSON parser features are not supported", k)
		}
	}
	s.lineMode = (f.AssumeNewlineDelimited != nil && *f.AssumeNewlineDelimited) || (f.UseJSONNodeReader != nil && *f.UseJSONNodeReader)
	if f.FlattenSpec != nil {
		seen := map[string]bool{}
		for i, ff := range f.FlattenSpec.Fields {
			fl, err := compileFlatField(ff)
			if err != nil {
				return nil, fmt.Errorf("flattenSpec.fields[%d]: %w", i, err)
			}
			if seen[fl.name] {
				return nil, fmt.Errorf("flattenSpec.fields[%d]: duplicate field name %q", i, fl.name)
			}
			seen[fl.name] = true
			s.fields = append(s.fields, fl)
		}
		if len(s.fields) > 0 {
			s.explicit = make(map[string]struct{}, len(s.fields))
			for _, fl := range s.fields {
				s.explicit[fl.name] = struct{}{}
			}
		}
	}
	s.visitFn = s.visit
	s.flat = s.discover && len(s.fields) == 0
	return s, nil
}

func (s *jsonSource) read(data []byte, r *Row, each func(*ParseError) error) error {
	if s.lineMode {
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			if s.flat && s.scan(line, r) {
				if err := each(nil); err != nil {
					return err
				}
				continue
			}
			v, err := s.p.ParseBytes(line)
			if err != nil {
				if err := each(newParseError(line, "unable to parse row as JSON: "+err.Error())); err != nil {
					return err
				}
				continue
			}
			if err := s.one(v, line, r, each); err != nil {
				return err
			}
		}
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if s.flat && s.scan(data, r) {
		return each(nil)
	}
	v, err := s.p.ParseBytes(data)
	if err == nil {
		return s.one(v, data, r, each)
	}
	// Several concatenated values (Druid's MappingIterator reads them all). All of them must
	// parse, or the record is unparseable as a whole.
	segs, ok := splitJSONValues(data, s.segs[:0])
	s.segs = segs
	if !ok || len(segs) < 2 {
		return newParseError(data, "unable to parse row as JSON: "+err.Error())
	}
	for _, sg := range segs {
		if _, err := s.p.ParseBytes(data[sg[0]:sg[1]]); err != nil {
			return newParseError(data, "unable to parse row as JSON: "+err.Error())
		}
	}
	for _, sg := range segs {
		v, _ := s.p.ParseBytes(data[sg[0]:sg[1]])
		if err := s.one(v, data[sg[0]:sg[1]], r, each); err != nil {
			return err
		}
	}
	return nil
}

// scan fills r from raw with scanFlat; false leaves r reset for the fastjson path.
func (s *jsonSource) scan(raw []byte, r *Row) bool {
	r.reset()
	r.input = raw
	if scanFlat(raw, r) {
		return true
	}
	r.reset()
	return false
}

// one turns one parsed JSON value into a row.
func (s *jsonSource) one(v *fastjson.Value, raw []byte, r *Row, each func(*ParseError) error) error {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeObject:
	default:
		return each(newParseError(raw, "expected a JSON object but found "+v.Type().String()))
	}
	r.reset()
	r.input = raw
	s.fill(v, raw, r)
	return each(nil)
}

func (s *jsonSource) fill(v *fastjson.Value, raw []byte, r *Row) {
	s.genericOK = false
	s.rawCur = raw
	if s.discover {
		o, _ := v.Object()
		s.cur = r
		o.Visit(s.visitFn)
		s.cur = nil
	}
	for _, fl := range s.fields {
		r.add(fl.name, s.evalField(fl, v, r))
	}
}

func (s *jsonSource) visit(key []byte, v *fastjson.Value) {
	name := b2s(key)
	if s.explicit != nil {
		if _, dup := s.explicit[name]; dup {
			return
		}
	}
	val, ok := jsonValue(s.cur, v, false)
	if ok {
		s.cur.add(name, val)
	} else {
		s.cur.addNested(name, v)
	}
}

// jsonValue converts a JSON value. Objects and arrays holding objects or arrays are only kept
// (as JSON text) when complex is true; field discovery passes false and skips them.
func jsonValue(r *Row, v *fastjson.Value, complex bool) (expr.Value, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return expr.String(b2s(b)), true
	case fastjson.TypeNumber:
		start := len(r.buf)
		r.buf = v.MarshalTo(r.buf)
		n := numberValue(r.arenaString(start))
		if n.Kind() != expr.KindString {
			r.buf = r.buf[:start] // the number is parsed: its text is not needed
		}
		return n, true
	case fastjson.TypeTrue:
		return expr.String("true"), true
	case fastjson.TypeFalse:
		return expr.String("false"), true
	case fastjson.TypeNull:
		return expr.Value{}, true
	case fastjson.TypeArray:
		arr, _ := v.Array()
		start := len(r.strs)
		for _, e := range arr {
			switch e.Type() {
			case fastjson.TypeObject, fastjson.TypeArray:
				r.strs = r.strs[:start]
				if !complex {
					return expr.Value{}, false
				}
				return rawJSON(r, v), true
			}
			r.strs = append(r.strs, primitiveString(r, e))
		}
		return r.multi(start), true
	}
	if !complex {
		return expr.Value{}, false
	}
	return rawJSON(r, v), true
}

func rawJSON(r *Row, v *fastjson.Value) expr.Value {
	start := len(r.buf)
	r.buf = v.MarshalTo(r.buf)
	return expr.String(r.arenaString(start))
}

// primitiveString renders a primitive array element; null becomes "".
func primitiveString(r *Row, e *fastjson.Value) string {
	switch e.Type() {
	case fastjson.TypeString:
		b, _ := e.StringBytes()
		return b2s(b)
	case fastjson.TypeTrue:
		return "true"
	case fastjson.TypeFalse:
		return "false"
	case fastjson.TypeNull:
		return ""
	}
	start := len(r.buf)
	r.buf = e.MarshalTo(r.buf)
	return r.arenaString(start)
}

// numberValue reads a JSON number: integers are longs, the rest doubles (Jackson's rule).
func numberValue(s string) expr.Value {
	if n, ok := smallInt(s); ok {
		return expr.Long(n)
	}
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return expr.Long(n)
		}
	}
	d, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return expr.String(s)
	}
	return expr.Double(d)
}

// smallInt parses an optionally negative decimal integer of at most 18 digits (which cannot
// overflow), the common case of numberValue, several times faster than strconv.ParseInt; ok is
// false for anything else, which the general path handles.
func smallInt(s string) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	d := s
	if neg {
		d = s[1:]
	}
	if len(d) == 0 || len(d) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(d); i++ {
		c := d[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	if neg {
		n = -n
	}
	return n, true
}

// splitJSONValues finds the extent of each top-level JSON value in data, matching brackets
// outside strings. ok is false for text it cannot delimit.
func splitJSONValues(data []byte, segs [][2]int) ([][2]int, bool) {
	i := 0
	for {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) {
			return segs, true
		}
		start := i
		switch data[i] {
		case '{', '[':
			depth, inStr := 0, false
			for ; i < len(data); i++ {
				c := data[i]
				if inStr {
					if c == '\\' {
						i++
					} else if c == '"' {
						inStr = false
					}
					continue
				}
				switch c {
				case '"':
					inStr = true
				case '{', '[':
					depth++
				case '}', ']':
					depth--
				}
				if depth == 0 {
					i++
					break
				}
			}
			if depth != 0 {
				return segs, false
			}
		case '"':
			i++
			for i < len(data) && data[i] != '"' {
				if data[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(data) {
				return segs, false
			}
			i++
		default:
			for i < len(data) && !isSpace(data[i]) && data[i] != '{' && data[i] != '[' && data[i] != '"' {
				i++
			}
		}
		segs = append(segs, [2]int{start, i})
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// genericValue returns the current record decoded into plain Go values for ojg JsonPath.
func (s *jsonSource) genericValue() any {
	if !s.genericOK {
		s.generic, _ = oj.Parse(s.rawCur)
		s.genericOK = true
	}
	return s.generic
}
