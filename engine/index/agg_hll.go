package index

import (
	"fmt"
	"slices"
	"strconv"
	"unsafe"

	"github.com/axiomhq/hyperloglog"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// hllAgg is Druid's HyperUniquesAggregator (one input field, every value of
// a multi-value input counted) and CardinalityAggregator (several fields;
// byRow hashes each row's combination of values, otherwise every value of
// every field is counted). Sketches are axiomhq HyperLogLog, precision 14,
// sparse until they grow, stored as ComplexType "hyperUnique".
//
// Nulls are skipped, except that byRow hashes a null field as empty (Druid's
// CardinalityAggregator.hashRow). byRow sorts a multi-value field's values
// and joins them with \x01, and separates fields with \x00, as Druid.
type hllAgg struct {
	ms       segment.MetricSchema
	fields   []source
	byRow    bool
	sketches []*hyperloglog.Sketch
	buf      []byte   // byRow key scratch
	strs     []string // sort scratch
}

func newHLL(a *spec.Aggregator) (*hllAgg, error) {
	h := &hllAgg{ms: metricSchema(a, segment.TypeComplex, "hyperUnique")}
	if a.Type == "hyperUnique" {
		if a.IsInputHyper {
			return nil, fmt.Errorf("isInputHyperUnique: not supported")
		}
		in, err := newInput(a)
		if err != nil {
			return nil, err
		}
		h.fields = []source{in}
		return h, nil
	}
	if len(a.Fields) == 0 {
		return nil, fmt.Errorf("fields: required for cardinality")
	}
	for _, f := range a.Fields {
		h.fields = append(h.fields, source{field: f})
	}
	h.byRow = a.ByRow
	return h, nil
}

func (h *hllAgg) schema() segment.MetricSchema { return h.ms }
func (h *hllAgg) grow()                        { h.sketches = append(h.sketches, hyperloglog.New14()) }

func (h *hllAgg) add(row int32, _ int64, r InputRow) bool {
	sk := h.sketches[row]
	if h.byRow {
		h.buf = h.buf[:0]
		for i := range h.fields {
			if i > 0 {
				h.buf = append(h.buf, 0)
			}
			h.buf = h.appendValue(h.buf, h.fields[i].get(r))
		}
		sk.Insert(h.buf)
		return false
	}
	for i := range h.fields {
		v := h.fields[i].get(r)
		switch v.Kind() {
		case expr.KindNull:
		case expr.KindString:
			sk.Insert(stringBytes(v.RawString()))
		case expr.KindStrings:
			for _, s := range v.Array() {
				sk.Insert(stringBytes(s))
			}
		default:
			h.buf = h.appendValue(h.buf[:0], v)
			sk.Insert(h.buf)
		}
	}
	return false
}

// appendValue renders v as the bytes hashed for it.
func (h *hllAgg) appendValue(b []byte, v expr.Value) []byte {
	switch v.Kind() {
	case expr.KindString:
		return append(b, v.RawString()...)
	case expr.KindLong:
		return strconv.AppendInt(b, v.RawLong(), 10)
	case expr.KindStrings:
		h.strs = append(h.strs[:0], v.Array()...)
		slices.Sort(h.strs)
		for i, s := range h.strs {
			if i > 0 {
				b = append(b, 1)
			}
			b = append(b, s...)
		}
		return b
	case expr.KindDouble:
		s, _ := v.AsString()
		return append(b, s...)
	}
	return b
}

// stringBytes views s as bytes without copying; the sketch only hashes it.
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func (h *hllAgg) value(row int32, dst *segment.MetricValue) {
	b, err := h.sketches[row].AppendBinary(dst.Bytes[:0])
	if err != nil {
		panic(fmt.Sprintf("index: encode hyperUnique: %v", err)) // AppendBinary cannot fail
	}
	dst.Bytes = b
}

func (h *hllAgg) combine(dst, src *segment.MetricValue) {
	dst.Bytes = combineHLL(dst.Bytes, src.Bytes)
}

// combineHLL merges two encoded sketches into dst. An undecodable side is
// treated as empty.
func combineHLL(dst, src []byte) []byte {
	a, b := hyperloglog.New14(), hyperloglog.New14()
	if len(src) == 0 || b.UnmarshalBinary(src) != nil {
		return dst
	}
	if len(dst) == 0 || a.UnmarshalBinary(dst) != nil {
		return append(dst[:0], src...)
	}
	if a.Merge(b) != nil {
		return dst
	}
	out, err := a.AppendBinary(dst[:0])
	if err != nil {
		return dst
	}
	return out
}

// hllEstimate decodes an encoded sketch and returns its estimate.
func hllEstimate(b []byte) uint64 {
	sk := hyperloglog.New14()
	if sk.UnmarshalBinary(b) != nil {
		return 0
	}
	return sk.Estimate()
}

func (h *hllAgg) reset() {
	clear(h.sketches)
	h.sketches = h.sketches[:0]
}

// rowBytes uses Druid's estimate for a hyperUnique collector (its dense
// size, ~1 KiB) rather than the sparse size a new sketch starts with.
func (h *hllAgg) rowBytes() int64 { return 1031 + 8 }
