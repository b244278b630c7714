package input

import (
	"strings"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
)

// TimeColumn is the name under which a row exposes its timestamp (Druid's __time).
const TimeColumn = "__time"

// Row is one parsed input row: its timestamp and its named fields in input order. Rows are
// reused by the Parser: a Row and the strings it returns are valid only until emit returns
// (Clone makes a copy that may be kept). Row implements expr.Bindings.
type Row struct {
	// Time is the row timestamp in milliseconds since the epoch (UTC), from timestampSpec, or
	// from a transform named __time.
	Time int64

	fields   []field
	input    []byte     // raw record or line, for error reports
	disc     *discovery // schemaless exclusions, shared with the Parser
	buf      []byte     // arena for rendered numbers and unescaped text
	strs     []string   // arena for multi-value elements
	hasMulti bool       // some field holds several values
}

type field struct {
	name    string
	val     expr.Value
	derived bool // written by a transform: not a discovered dimension
	// nested marks a JSON object, or an array holding objects or arrays, found by field
	// discovery. It is not a dimension (Druid discovers only primitives and their lists), but
	// it is still the row's value of that column: a timestamp or metric input that points at it
	// must see it and fail, not read null. raw holds it until something reads it; rendering
	// it as JSON text only then keeps records with large nested parts as cheap as before.
	nested bool
	raw    *fastjson.Value
}

// Get returns the value of a field; __time returns Time as a long. Missing fields report
// ok=false (and a null value).
func (r *Row) Get(name string) (expr.Value, bool) {
	for i := range r.fields {
		// The length and first byte rule out most other fields without a call to compare
		// bytes; the first field of that name wins, as always.
		if n := r.fields[i].name; len(n) == len(name) && (len(n) == 0 || n[0] == name[0]) && n == name {
			if r.fields[i].raw != nil {
				r.render(&r.fields[i])
			}
			return r.fields[i].val, true
		}
	}
	if name == TimeColumn {
		return expr.Long(r.Time), true
	}
	return expr.Value{}, false
}

// Len returns the number of fields (not counting __time).
func (r *Row) Len() int { return len(r.fields) }

// Field returns the i-th field in input order.
func (r *Row) Field(i int) (name string, v expr.Value) {
	if r.fields[i].raw != nil {
		r.render(&r.fields[i])
	}
	return r.fields[i].name, r.fields[i].val
}

// render turns a nested field's JSON into its text value. The fastjson value is only valid
// while the record is being parsed, which is as long as the row is.
func (r *Row) render(f *field) {
	start := len(r.buf)
	r.buf = f.raw.MarshalTo(r.buf)
	f.val, f.raw = expr.String(r.arenaString(start)), nil
}

// Set writes a field, replacing an input field of the same name (a transform shadowing it) or
// appending a new one that schemaless discovery does not report (Druid does not discover
// transform outputs).
func (r *Row) Set(name string, v expr.Value) {
	if v.Kind() == expr.KindStrings && len(v.Array()) > 1 {
		r.hasMulti = true
	}
	for i := range r.fields {
		if r.fields[i].name == name {
			r.fields[i].val, r.fields[i].raw = v, nil
			return
		}
	}
	r.fields = append(r.fields, field{name: name, val: v, derived: true})
}

// Input returns the raw text the row came from (the record value, or one line of it).
func (r *Row) Input() []byte { return r.input }

// EachDiscovered calls fn for every field schemaless ingestion turns into a dimension: input
// fields in input order, minus dimensionExclusions, the timestamp column, __time, metric
// names and metric input fields, the explicitly listed dimensions, transform outputs, and
// null fields unless keepNullColumns.
func (r *Row) EachDiscovered(fn func(name string, v expr.Value)) {
	for i := range r.fields {
		f := &r.fields[i]
		if f.derived || f.nested || (f.val.IsNull() && (r.disc == nil || !r.disc.keepNulls)) {
			continue
		}
		if r.disc != nil && r.disc.excluded(f.name) {
			continue
		}
		fn(f.name, f.val)
	}
}

// CopyTo makes dst a deep copy of r that stays valid after the parser moves on, like Clone, but
// reusing dst's buffers: the parallel ingestion pipeline hands rows from a parse goroutine to the
// indexing goroutine in batches of reused Rows, so copying a row allocates nothing once the
// batch's buffers have grown to the size of its rows. Every string of dst (field names, values,
// the raw input) lives in dst's own arena, which is sized before the copy so it never moves.
func (r *Row) CopyTo(dst *Row) {
	n, ns := len(r.input), 0
	for i := range r.fields {
		f := &r.fields[i]
		if f.raw != nil {
			r.render(f) // the raw JSON value belongs to the parser's buffers
		}
		n += len(f.name)
		switch f.val.Kind() {
		case expr.KindString:
			n += len(f.val.RawString())
		case expr.KindStrings:
			for _, s := range f.val.Array() {
				n += len(s)
			}
			ns += len(f.val.Array())
		}
	}
	dst.reset()
	if cap(dst.buf) < n {
		dst.buf = make([]byte, 0, n+n/4)
	}
	if cap(dst.strs) < ns {
		dst.strs = make([]string, 0, ns+ns/4)
	}
	dst.Time, dst.disc, dst.hasMulti = r.Time, r.disc, r.hasMulti
	if r.input != nil {
		start := len(dst.buf)
		dst.buf = append(dst.buf, r.input...)
		dst.input = dst.buf[start:len(dst.buf):len(dst.buf)]
	}
	for i := range r.fields {
		f := &r.fields[i]
		v := f.val
		switch v.Kind() {
		case expr.KindString:
			v = expr.String(dst.copyString(v.RawString()))
		case expr.KindStrings:
			start := len(dst.strs)
			for _, s := range v.Array() {
				dst.strs = append(dst.strs, dst.copyString(s))
			}
			v = dst.multi(start)
		}
		dst.fields = append(dst.fields, field{name: dst.copyString(f.name), val: v, derived: f.derived, nested: f.nested})
	}
}

// copyString appends s to the arena and returns the copy; the arena must have room (CopyTo).
func (r *Row) copyString(s string) string {
	start := len(r.buf)
	r.buf = append(r.buf, s...)
	return r.arenaString(start)
}

// Clone returns a deep copy that stays valid after the parser moves on.
func (r *Row) Clone() *Row {
	c := &Row{Time: r.Time, disc: r.disc, input: append([]byte(nil), r.input...), hasMulti: r.hasMulti}
	c.fields = make([]field, len(r.fields))
	for i := range r.fields {
		f := &r.fields[i]
		if f.raw != nil {
			r.render(f)
		}
		c.fields[i] = field{name: strings.Clone(f.name), val: cloneValue(f.val), derived: f.derived, nested: f.nested}
	}
	return c
}

func cloneValue(v expr.Value) expr.Value {
	switch v.Kind() {
	case expr.KindString:
		return expr.String(strings.Clone(v.RawString()))
	case expr.KindStrings:
		a := make([]string, len(v.Array()))
		for i, s := range v.Array() {
			a[i] = strings.Clone(s)
		}
		return expr.Strings(a)
	}
	return v
}

func (r *Row) reset() {
	clear(r.fields) // drop references into old buffers
	r.fields = r.fields[:0]
	r.buf = r.buf[:0]
	clear(r.strs)
	r.strs = r.strs[:0]
	r.Time = 0
	r.input = nil
	r.hasMulti = false
}

// addNested appends a nested JSON field (see field.nested).
func (r *Row) addNested(name string, v *fastjson.Value) {
	r.fields = append(r.fields, field{name: name, nested: true, raw: v})
}

func (r *Row) add(name string, v expr.Value) {
	r.fields = append(r.fields, field{name: name, val: v})
	if v.Kind() == expr.KindStrings && len(v.Array()) > 1 {
		r.hasMulti = true
	}
}

// HasMultiValues reports whether any field holds several values (expr.MultiValued).
func (r *Row) HasMultiValues() bool { return r.hasMulti }

// has reports whether an input field of that name exists.
func (r *Row) has(name string) bool {
	for i := range r.fields {
		if r.fields[i].name == name {
			return true
		}
	}
	return false
}

// bytesString returns the bytes appended to the arena since start as a string without
// copying. The arena is only appended to until reset, so earlier strings stay intact even if
// it grows.
func (r *Row) arenaString(start int) string {
	if len(r.buf) == start {
		return ""
	}
	return unsafe.String(&r.buf[start], len(r.buf)-start)
}

// multi stores elems in the strings arena and returns them as one multi-value.
func (r *Row) multi(start int) expr.Value {
	return expr.Strings(r.strs[start:len(r.strs):len(r.strs)])
}

func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// discovery holds the names schemaless discovery leaves out.
type discovery struct {
	exclude   map[string]struct{}
	keepNulls bool
}

func (d *discovery) excluded(name string) bool {
	_, ok := d.exclude[name]
	return ok
}
