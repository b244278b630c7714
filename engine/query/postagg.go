package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
)

// postAgg is a parsed post-aggregator (Druid's PostAggregator).
type postAgg struct {
	typ      string
	name     string
	fn       string     // arithmetic
	fields   []*postAgg // arithmetic
	field    string     // fieldAccess, finalizingFieldAccess, hyperUniqueCardinality
	value    any        // constant
	ordering string     // arithmetic: "numericFirst" or ""
	expr     *expr.Expr // expression
}

func parsePostAgg(raw json.RawMessage, path string) (*postAgg, error) {
	var p struct {
		Type       string            `json:"type"`
		Name       string            `json:"name"`
		Fn         string            `json:"fn"`
		Fields     []json.RawMessage `json:"fields"`
		FieldName  string            `json:"fieldName"`
		Value      json.RawMessage   `json:"value"`
		Ordering   string            `json:"ordering"`
		Expression string            `json:"expression"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, badQuery(path, "not a post-aggregator object: %v", err)
	}
	pa := &postAgg{typ: p.Type, name: p.Name, fn: p.Fn, field: p.FieldName, ordering: p.Ordering}
	switch p.Type {
	case "arithmetic":
		switch p.Fn {
		case "+", "-", "*", "/", "quotient", "pow":
		case "":
			return nil, badQuery(path+".fn", "missing")
		default:
			return nil, badQuery(path+".fn", "unknown function %q (expected +, -, *, /, quotient or pow)", p.Fn)
		}
		if len(p.Fields) == 0 {
			return nil, badQuery(path+".fields", "missing")
		}
		for i, f := range p.Fields {
			sub, err := parsePostAgg(f, fmt.Sprintf("%s.fields[%d]", path, i))
			if err != nil {
				return nil, err
			}
			pa.fields = append(pa.fields, sub)
		}
		if p.Ordering != "" && p.Ordering != "numericFirst" {
			return nil, badQuery(path+".ordering", "unknown ordering %q (expected numericFirst)", p.Ordering)
		}
	case "fieldAccess", "finalizingFieldAccess", "hyperUniqueCardinality":
		if p.FieldName == "" {
			return nil, badQuery(path+".fieldName", "missing")
		}
	case "constant":
		if len(p.Value) == 0 {
			return nil, badQuery(path+".value", "missing")
		}
		d := json.NewDecoder(bytes.NewReader(p.Value))
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, badQuery(path+".value", "%v", err)
		}
		pa.value = v
	case "expression":
		if p.Expression == "" {
			return nil, badQuery(path+".expression", "missing")
		}
		e, err := expr.Parse(p.Expression)
		if err != nil {
			return nil, badQuery(path+".expression", "%v", err)
		}
		pa.expr = e
	case "":
		return nil, badQuery(path+".type", "missing")
	default:
		return nil, badQuery(path+".type", "unknown post-aggregator type %q (expected arithmetic, fieldAccess, finalizingFieldAccess, constant, hyperUniqueCardinality or expression)", p.Type)
	}
	return pa, nil
}

// resultRow is a result object with its keys in Druid's order (dimensions,
// aggregators, post-aggregators). aggVals keeps the unfinalised states for
// fieldAccess.
type resultRow struct {
	keys []string
	vals []any
	aggs []*aggregator
	raw  []aggValue
}

func (r *resultRow) set(k string, v any) {
	for i, kk := range r.keys {
		if kk == k {
			r.vals[i] = v
			return
		}
	}
	r.keys = append(r.keys, k)
	r.vals = append(r.vals, v)
}

func (r *resultRow) get(k string) (any, bool) {
	for i, kk := range r.keys {
		if kk == k {
			return r.vals[i], true
		}
	}
	return nil, false
}

// MarshalJSON writes the object with its keys in order.
func (r *resultRow) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range r.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshalValue(r.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalValue writes NaN and infinities as Druid's Jackson does
// ("NaN", "Infinity") rather than failing.
func marshalValue(v any) ([]byte, error) {
	if f, ok := v.(float64); ok {
		switch {
		case math.IsNaN(f):
			return []byte(`"NaN"`), nil
		case math.IsInf(f, 1):
			return []byte(`"Infinity"`), nil
		case math.IsInf(f, -1):
			return []byte(`"-Infinity"`), nil
		}
	}
	return json.Marshal(v)
}

// raw returns the unfinalised value of aggregator k, as a number where
// possible (hyperUnique: the estimate, unrounded).
func (r *resultRow) rawValue(k string) (any, bool) {
	for i, a := range r.aggs {
		if a.name == k {
			v := &r.raw[i]
			if a.kind == aggHyperUnique || a.kind == aggCardinality || (a.kind == aggFiltered && (a.inner.kind == aggHyperUnique || a.inner.kind == aggCardinality)) {
				if v.hll == nil {
					return 0.0, true
				}
				return float64(v.hll.Estimate()), true
			}
			return a.finalize(v), true
		}
	}
	return r.get(k)
}

// compute evaluates p on r.
func (p *postAgg) compute(r *resultRow) any {
	switch p.typ {
	case "constant":
		return p.value
	case "fieldAccess":
		v, _ := r.rawValue(p.field)
		return v
	case "finalizingFieldAccess":
		v, _ := r.get(p.field)
		return v
	case "hyperUniqueCardinality":
		v, _ := r.rawValue(p.field)
		return v
	case "expression":
		b := expr.MapBindings{}
		for i, k := range r.keys {
			b[k] = toExprValue(r.vals[i])
		}
		v := p.expr.Eval(b)
		switch v.Kind() {
		case expr.KindLong:
			return v.RawLong()
		case expr.KindDouble:
			return v.RawDouble()
		case expr.KindString:
			return v.RawString()
		case expr.KindStrings:
			return v.Array()
		}
		return nil
	case "arithmetic":
		var acc float64
		for i, f := range p.fields {
			x, ok := toFloat(f.compute(r))
			if !ok {
				return nil // SQL-compatible: null in, null out
			}
			if i == 0 {
				acc = x
				continue
			}
			switch p.fn {
			case "+":
				acc += x
			case "-":
				acc -= x
			case "*":
				acc *= x
			case "/":
				if x == 0 { // Druid's "/" returns 0 on division by zero
					acc = 0
				} else {
					acc /= x
				}
			case "quotient":
				acc /= x
			case "pow":
				acc = math.Pow(acc, x)
			}
		}
		return acc
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func toExprValue(v any) expr.Value {
	switch x := v.(type) {
	case int64:
		return expr.Long(x)
	case float64:
		return expr.Double(x)
	case string:
		return expr.String(x)
	case []string:
		return expr.Strings(x)
	}
	return expr.Null()
}

// finish builds a result row from merged states: aggregators finalised,
// then post-aggregators in order (each may read the previous ones).
func finish(r *resultRow, aggs []*aggregator, posts []*postAgg, states []aggValue) {
	r.aggs, r.raw = aggs, states
	for i, a := range aggs {
		r.set(a.name, a.finalize(&states[i]))
	}
	for _, p := range posts {
		r.set(p.name, p.compute(r))
	}
}
