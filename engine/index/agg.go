package index

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// aggregator is the state of one metricsSpec entry for every row of an
// Index, kept column-wise (one slice per field, indexed by row) so numeric
// aggregators add without allocating. It is Druid's Aggregator and
// AggregatorFactory.combine folded together.
type aggregator interface {
	// schema returns the segment column: name, type and the aggregator JSON.
	schema() segment.MetricSchema
	// grow appends the initial state for one new row.
	grow()
	// add folds one input row into row's state. t is the untruncated row
	// time (first/last compare it). bad is true when the input could not
	// be parsed; what then reaches the state is aggregator-specific.
	add(row int32, t int64, r InputRow) (bad bool)
	// value writes row's state into dst, reusing dst.Bytes.
	value(row int32, dst *segment.MetricValue)
	// combine folds src into dst, both as written by value: rollup across
	// spills in segment.Merge.
	combine(dst, src *segment.MetricValue)
	// reset drops every row's state.
	reset()
	// rowBytes estimates the memory of one row's state.
	rowBytes() int64
}

// source reads an aggregator's input: fieldName, or expression when set.
type source struct {
	field string
	ex    *expr.Expr
}

func newInput(a *spec.Aggregator) (source, error) {
	if a.Expression != "" {
		ex, err := expr.Parse(a.Expression)
		if err != nil {
			return source{}, fmt.Errorf("expression: %w", err)
		}
		return source{field: a.FieldName, ex: ex}, nil
	}
	if a.FieldName == "" {
		return source{}, fmt.Errorf("fieldName: required for %s", a.Type)
	}
	return source{field: a.FieldName}, nil
}

func (in *source) get(r InputRow) expr.Value {
	if in.ex != nil {
		return in.ex.Eval(r)
	}
	v, _ := r.Get(in.field)
	return v
}

// long reads the input as a long. ok is false for null (nothing to
// aggregate); bad is true for a value that is not a number, like Druid's
// "Unable to parse value" ParseException. A number beyond the long range is
// both ok and bad: it is aggregated saturated, as Druid's longValue() does,
// and flagged so that the change of value is not silent.
func (in *source) long(r InputRow) (n int64, ok, bad bool) {
	v := in.get(r)
	if v.Kind() == expr.KindLong {
		return v.RawLong(), true, false
	}
	if v.IsNull() {
		return 0, false, false
	}
	n, ok = v.AsLong()
	if !ok {
		return 0, false, true
	}
	return n, true, (n == math.MaxInt64 || n == math.MinInt64) && saturated(v.Scalar())
}

// saturated reports whether v, which converted to a long bound, lay beyond it.
func saturated(v expr.Value) bool {
	switch v.Kind() {
	case expr.KindDouble:
		return !expr.FitsLong(v.RawDouble())
	case expr.KindString:
		_, err := strconv.ParseInt(v.RawString(), 10, 64)
		return err != nil
	}
	return false
}

// double reads the input as a double; see long.
func (in *source) double(r InputRow) (d float64, ok, bad bool) {
	v := in.get(r)
	if v.Kind() == expr.KindDouble {
		return v.RawDouble(), true, false
	}
	if v.IsNull() {
		return 0, false, false
	}
	d, ok = v.AsDouble()
	return d, ok, !ok
}

// numKind is the value type of a numeric aggregator.
type numKind uint8

const (
	kindLong numKind = iota
	kindDouble
	kindFloat
)

func (k numKind) column() segment.ColumnType {
	switch k {
	case kindDouble:
		return segment.TypeDouble
	case kindFloat:
		return segment.TypeFloat
	}
	return segment.TypeLong
}

// narrow rounds d to float32 precision for float aggregators, so in-memory
// state equals what the segment stores.
func (k numKind) narrow(d float64) float64 {
	if k == kindFloat {
		return float64(float32(d))
	}
	return d
}

// typePrefix maps the leading word of an aggregator type to its numKind.
func typePrefix(t string) (numKind, string, bool) {
	for _, p := range []struct {
		s string
		k numKind
	}{{"long", kindLong}, {"double", kindDouble}, {"float", kindFloat}} {
		if len(t) > len(p.s) && t[:len(p.s)] == p.s {
			return p.k, t[len(p.s):], true
		}
	}
	return 0, "", false
}

// metricSchema builds the segment column for a.
func metricSchema(a *spec.Aggregator, t segment.ColumnType, complexType string) segment.MetricSchema {
	js, _ := json.Marshal(a)
	return segment.MetricSchema{Name: a.Name, Type: t, ComplexType: complexType, Aggregator: js}
}

// newAggregator builds the state of one metricsSpec entry. fc compiles the
// filter of a filtered aggregator.
func newAggregator(a *spec.Aggregator, fc FilterCompiler) (aggregator, error) {
	switch a.Type {
	case "count":
		return newCount(a), nil
	case "hyperUnique", "cardinality":
		return newHLL(a)
	case "filtered":
		return newFiltered(a, fc)
	case "stringFirst", "stringLast":
		return newStringFirstLast(a, a.Type == "stringLast")
	case "stringAny":
		return newStringAny(a)
	}
	k, op, ok := typePrefix(a.Type)
	if ok {
		switch op {
		case "Sum":
			return newSum(a, k)
		case "Min", "Max":
			return newMinMax(a, k, op == "Max")
		case "First", "Last":
			return newFirstLast(a, k, op == "Last")
		case "Any":
			return newAny(a, k)
		}
	}
	return nil, fmt.Errorf("type: unknown aggregator %q", a.Type)
}

// maxStringBytes returns a's maxStringBytes, default 1024 as in Druid.
func maxStringBytes(a *spec.Aggregator) int {
	if a.MaxStringBytes != nil && *a.MaxStringBytes > 0 {
		return *a.MaxStringBytes
	}
	return 1024
}

// slab is row-major numeric aggregator state: row r's slots are
// v[r*stride : (r+1)*stride]. An Index shares one slab among all its
// numeric aggregators so that aggregating a row touches one cache line
// rather than one per aggregator.
type slab struct {
	v      []uint64
	stride int
}

// grow appends one zeroed row.
func (s *slab) grow() {
	s.v = slices.Grow(s.v, s.stride)
	n := len(s.v)
	s.v = s.v[:n+s.stride]
	clear(s.v[n:])
}

// slots is embedded by numeric aggregators: n slots at base in a slab. A
// new aggregator owns a private slab; Index.New rebinds it to the shared one.
type slots struct {
	s    *slab
	base int
	n    int
	own  bool
}

func newSlots(n int) slots { return slots{s: &slab{stride: n}, n: n, own: true} }

// at returns slot i of row.
func (x *slots) at(row int32, i int) *uint64 { return &x.s.v[int(row)*x.s.stride+x.base+i] }

// growSlots appends a row to a private slab; a shared one is grown by the
// Index before the aggregators initialise their slots.
func (x *slots) growSlots() {
	if x.own {
		x.s.grow()
	}
}

func (x *slots) resetSlots() {
	if x.own {
		x.s.v = x.s.v[:0]
	}
}

// slotUser is implemented by aggregators keeping their state in a slab.
type slotUser interface {
	slotsOf() *slots
}

func (x *slots) slotsOf() *slots { return x }
