package input

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/schemaregistry"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// avroStreamSource reads the avro_stream inputFormat: one Avro datum per Kafka record, its writer
// schema found by the avroBytesDecoder (Druid's AvroStreamInputFormat and AvroStreamReader).
//
// Records are decoded by walking the writer schema with hamba/avro's binary Reader, straight
// into the values Druid's AvroFlattenerMaker would hand on (see avroConv), so union branches,
// logical types and field discovery follow the schema rather than Go types guessed afterwards.
type avroStreamSource struct {
	ctx     context.Context
	schemas avroSchemaFinder
	rows    avroRows
	rd      *avro.Reader
}

// avroSchemaFinder finds the writer schema of a record and returns the datum that follows the
// header. A registry outage comes back as an error for which schemaregistry.IsUnavailable is
// true; every other error means the record is bad.
type avroSchemaFinder interface {
	find(ctx context.Context, b []byte) (*avroSchema, []byte, error)
}

// avroSchema is a parsed writer schema, parsed once per decoder (per id for the registry).
type avroSchema struct {
	root avro.Schema
}

func newAvroStreamSource(f *spec.InputFormat, env sourceEnv) (*avroStreamSource, error) {
	d := f.AvroBytesDecoder
	if d == nil {
		return nil, fmt.Errorf("avroBytesDecoder: required for avro_stream")
	}
	rows, err := newAvroRows(f)
	if err != nil {
		return nil, err
	}
	s := &avroStreamSource{ctx: env.context(), rows: rows, rd: avro.NewReader(nil, 0)}
	switch strings.ToLower(d.Type) {
	case "schema_inline":
		sch, err := spec.ParseAvroSchema(d.Schema)
		if err != nil {
			return nil, fmt.Errorf("avroBytesDecoder.schema: %v", err)
		}
		s.schemas = inlineSchema{&avroSchema{root: sch}}
	case "multiple_schemas_inline":
		m := inlineSchemas{}
		for k, raw := range d.Schemas {
			id, err := strconv.ParseInt(k, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("avroBytesDecoder.schemas.%s: the key must be an integer schema id", k)
			}
			sch, err := spec.ParseAvroSchema(raw)
			if err != nil {
				return nil, fmt.Errorf("avroBytesDecoder.schemas.%s: %v", k, err)
			}
			m[int32(id)] = &avroSchema{root: sch}
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("avroBytesDecoder.schemas: at least one schema is required")
		}
		s.schemas = m
	case "schema_registry":
		rs, err := newRegistrySchemas(d, env)
		if err != nil {
			return nil, fmt.Errorf("avroBytesDecoder.%w", err)
		}
		s.schemas = rs
	default:
		return nil, fmt.Errorf("avroBytesDecoder.type: unknown decoder %q (supported: %s)", d.Type, strings.Join(spec.AvroDecoderTypes, ", "))
	}
	return s, nil
}

func (s *avroStreamSource) read(data []byte, r *Row, each func(*ParseError) error) error {
	if len(data) == 0 {
		return nil
	}
	sch, datum, err := s.schemas.find(s.ctx, data)
	if err != nil {
		if schemaregistry.IsUnavailable(err) {
			return err // the parser hands it up unchanged: the task retries the record
		}
		return newParseError(data, "unable to decode Avro record: "+err.Error())
	}
	s.rd.Reset(datum)
	s.rd.Error = nil
	v := s.rows.conv.decodeDatum(s.rd, sch.root)
	if s.rd.Error != nil {
		return newParseError(data, "unable to decode Avro record: "+s.rd.Error.Error())
	}
	return s.rows.emit(sch.root, v, data, r, each)
}

// inlineSchema is schema_inline: every record is a bare datum of one schema.
type inlineSchema struct{ s *avroSchema }

func (i inlineSchema) find(_ context.Context, b []byte) (*avroSchema, []byte, error) {
	return i.s, b, nil
}

// inlineSchemas is multiple_schemas_inline: byte 0 is the version 0x01, bytes 1–4 the
// big-endian schema id (Druid's InlineSchemasAvroBytesDecoder).
type inlineSchemas map[int32]*avroSchema

const inlineSchemasVersion = 0x01

func (m inlineSchemas) find(_ context.Context, b []byte) (*avroSchema, []byte, error) {
	if len(b) < 5 {
		return nil, nil, fmt.Errorf("record of %d bytes is too short for the 5-byte header (version byte, schema id)", len(b))
	}
	if b[0] != inlineSchemasVersion {
		return nil, nil, fmt.Errorf("version byte is %d, expected %d", b[0], inlineSchemasVersion)
	}
	id := int32(binary.BigEndian.Uint32(b[1:5]))
	s, ok := m[id]
	if !ok {
		return nil, nil, fmt.Errorf("schema id %d is not in avroBytesDecoder.schemas", id)
	}
	return s, b[5:], nil
}

// registrySchemas is schema_registry: Confluent framing, writer schemas fetched by id and
// parsed once per id (schemaregistry caches the text, this the parsed schema).
type registrySchemas struct {
	reg      *schemaregistry.Registry
	parsed   map[int]*avroSchema
	capacity int
}

func newRegistrySchemas(d *spec.AvroBytesDecoder, env sourceEnv) (*registrySchemas, error) {
	cfg, err := spec.ResolveProperties("config", d.Config, env.lookupEnv())
	if err != nil {
		return nil, err
	}
	hdr, err := spec.ResolveProperties("headers", d.Headers, env.lookupEnv())
	if err != nil {
		return nil, err
	}
	o := schemaregistry.Options{URLs: d.RegistryURLs(), Config: cfg, Headers: hdr}
	if d.Capacity != nil {
		o.Capacity = *d.Capacity
	}
	reg, err := schemaregistry.New(o)
	if err != nil {
		return nil, err
	}
	c := o.Capacity
	if c <= 0 {
		c = schemaregistry.DefaultCapacity
	}
	return &registrySchemas{reg: reg, parsed: map[int]*avroSchema{}, capacity: c}, nil
}

func (rs *registrySchemas) find(ctx context.Context, b []byte) (*avroSchema, []byte, error) {
	id, datum, err := schemaregistry.SplitConfluent(b)
	if err != nil {
		return nil, nil, err
	}
	if s, ok := rs.parsed[id]; ok {
		return s, datum, nil
	}
	got, err := rs.reg.ByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if got.Type != sr.TypeAvro {
		return nil, nil, fmt.Errorf("schema id %d is a %s schema, not Avro", id, got.Type)
	}
	cache := &avro.SchemaCache{}
	for _, ref := range got.References {
		if _, err := spec.ParseAvroSchemaWith([]byte(ref.Text), cache); err != nil {
			return nil, nil, fmt.Errorf("schema id %d: reference %s: %v", id, ref.Name, err)
		}
	}
	sch, err := spec.ParseAvroSchemaWith([]byte(got.Text), cache)
	if err != nil {
		return nil, nil, fmt.Errorf("schema id %d: %v", id, err)
	}
	if len(rs.parsed) >= rs.capacity {
		clear(rs.parsed)
	}
	s := &avroSchema{root: sch}
	rs.parsed[id] = s
	return s, datum, nil
}

// avroRows turns decoded Avro values into rows: field discovery over the root record and the
// flattenSpec fields (Druid's ObjectFlatteners with AvroFlattenerMaker).
type avroRows struct {
	conv     avroConv
	discover bool
	fields   []*flatField
	explicit map[string]struct{}
}

func newAvroRows(f *spec.InputFormat) (avroRows, error) {
	ar := avroRows{
		conv: avroConv{binaryAsString: f.BinaryAsString != nil && *f.BinaryAsString,
			explodeUnions: f.ExtractUnionsByType != nil && *f.ExtractUnionsByType},
		discover: f.FlattenSpec.DiscoverFields(),
	}
	if f.FlattenSpec != nil {
		seen := map[string]bool{}
		for i, ff := range f.FlattenSpec.Fields {
			fl, err := compileFlatField(ff)
			if err != nil {
				return ar, fmt.Errorf("flattenSpec.fields[%d]: %w", i, err)
			}
			if seen[fl.name] {
				return ar, fmt.Errorf("flattenSpec.fields[%d]: duplicate field name %q", i, fl.name)
			}
			seen[fl.name] = true
			ar.fields = append(ar.fields, fl)
		}
		ar.explicit = make(map[string]struct{}, len(ar.fields))
		for _, fl := range ar.fields {
			ar.explicit[fl.name] = struct{}{}
		}
	}
	return ar, nil
}

// emit fills r from one decoded datum and hands it to each. A datum that is not a record
// cannot be a row.
func (ar *avroRows) emit(sch avro.Schema, v any, raw []byte, r *Row, each func(*ParseError) error) error {
	rec, ok := derefSchema(sch).(*avro.RecordSchema)
	m, isMap := v.(map[string]any)
	if !ok || !isMap {
		return each(newParseError(raw, fmt.Sprintf("expected an Avro record but the schema is %s", sch.Type())))
	}
	r.reset()
	r.input = raw
	if ar.discover {
		for _, fd := range rec.Fields() {
			name := fd.Name()
			if _, dup := ar.explicit[name]; dup {
				continue
			}
			val := genericValue(m[name])
			if avroDiscoverable(fd.Type()) {
				r.add(name, val)
			} else {
				// Booleans, records, maps and multi-type unions are not dimensions (Druid does not
				// discover them), but a timestamp or metric that names them still reads them.
				r.fields = append(r.fields, field{name: name, val: val, nested: true})
			}
		}
	}
	for _, fl := range ar.fields {
		r.add(fl.name, evalGenericField(fl, m, r))
	}
	return each(nil)
}

// avroDiscoverable reports whether field discovery makes a root field of this schema a
// dimension: string, bytes, int, long, float, double, enum and fixed, arrays of them, and a
// two-branch union of null with one of them or an array of them (Druid's
// AvroFlattenerMaker.isFieldPrimitive). Booleans are deliberately not discovered, as in Druid.
func avroDiscoverable(s avro.Schema) bool {
	s = derefSchema(s)
	switch t := s.(type) {
	case *avro.ArraySchema:
		// Only arrays of plain primitives: array<[null, string]> is not discovered in Druid.
		return avroPrimitive(t.Items())
	case *avro.UnionSchema:
		return nullableOf(t, func(x avro.Schema) bool {
			if a, ok := derefSchema(x).(*avro.ArraySchema); ok {
				return avroPrimitive(a.Items())
			}
			return avroPrimitive(x)
		})
	}
	return avroPrimitive(s)
}

func avroPrimitive(s avro.Schema) bool {
	switch derefSchema(s).Type() {
	case avro.String, avro.Bytes, avro.Int, avro.Long, avro.Float, avro.Double, avro.Enum, avro.Fixed:
		return true
	}
	return false
}

// nullableOf reports whether s is a two-branch union of null and a schema ok accepts.
func nullableOf(s avro.Schema, ok func(avro.Schema) bool) bool {
	u, isUnion := derefSchema(s).(*avro.UnionSchema)
	if !isUnion || len(u.Types()) != 2 {
		return false
	}
	a, b := u.Types()[0], u.Types()[1]
	switch {
	case a.Type() == avro.Null:
		return ok(b)
	case b.Type() == avro.Null:
		return ok(a)
	}
	return false
}

func derefSchema(s avro.Schema) avro.Schema {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

// evalGenericField evaluates a flattenSpec field on plain Go values (map[string]any, []any,
// string, int64, float64, bool, nil).
func evalGenericField(fl *flatField, root any, r *Row) expr.Value {
	if fl.ojg != nil {
		return genericResult(fl, fl.ojg.Get(root))
	}
	var res []any
	collectGeneric(root, fl.steps, &res)
	if !fl.wild && fl.fn == "" {
		if len(res) == 0 {
			return expr.Value{}
		}
		return genericValue(res[0])
	}
	return genericResult(fl, res)
}

func collectGeneric(v any, steps []pathStep, out *[]any) {
	for i, st := range steps {
		switch st.kind {
		case stepWild:
			switch x := v.(type) {
			case []any:
				for _, e := range x {
					collectGeneric(e, steps[i+1:], out)
				}
			case map[string]any:
				for _, e := range x {
					collectGeneric(e, steps[i+1:], out)
				}
			}
			return
		case stepKey:
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			if v, ok = m[st.key]; !ok {
				return
			}
		case stepIndex:
			a, ok := v.([]any)
			if !ok {
				return
			}
			j := st.index
			if j < 0 {
				j += len(a)
			}
			if j < 0 || j >= len(a) {
				return
			}
			v = a[j]
		}
	}
	*out = append(*out, v)
}

// avroConv decodes Avro binary data along a schema into the values Druid's Avro flattener
// yields (reference §6.4): strings and enums as strings; bytes and fixed as base64 text (how
// Druid renders a byte[] dimension) or, with binaryAsString, as UTF-8 text; arrays without their
// null elements; maps and records as map[string]any; int and long as int64; float and double as
// float64; decimal as a double; date as epoch milliseconds of the UTC day; other logical types
// as their underlying value. With explodeUnions, a union with more than one non-null branch
// becomes a one-entry map from the branch's type name (a named type's simple name) to its value.
type avroConv struct {
	binaryAsString bool
	explodeUnions  bool
	items          int // array and map entries decoded in the current datum
}

// maxAvroItems bounds the array and map entries of one datum, so a corrupt count cannot
// allocate or spin without limit (entries of an empty schema take no bytes at all).
const maxAvroItems = 1 << 22

// decodeDatum decodes one datum; errors are left in r.Error.
func (c *avroConv) decodeDatum(r *avro.Reader, s avro.Schema) any {
	c.items = 0
	return c.decode(r, s)
}

// take counts n more entries, reporting an error on r past maxAvroItems.
func (c *avroConv) take(r *avro.Reader, n int64, what string) bool {
	if n > maxAvroItems || c.items+int(n) > maxAvroItems {
		r.ReportError(what, fmt.Sprintf("more than %d entries in one datum", maxAvroItems))
		return false
	}
	c.items += int(n)
	return true
}

func (c *avroConv) decode(r *avro.Reader, s avro.Schema) any {
	if r.Error != nil {
		return nil
	}
	s = derefSchema(s)
	switch t := s.(type) {
	case *avro.NullSchema:
		return nil
	case *avro.PrimitiveSchema:
		return c.primitive(r, t)
	case *avro.RecordSchema:
		m := make(map[string]any, len(t.Fields()))
		for _, f := range t.Fields() {
			m[f.Name()] = c.decode(r, f.Type())
			if r.Error != nil {
				return nil
			}
		}
		return m
	case *avro.EnumSchema:
		i := r.ReadInt()
		sym, ok := t.Symbol(int(i))
		if !ok && r.Error == nil {
			r.ReportError("enum", fmt.Sprintf("symbol index %d out of range for %s", i, t.Name()))
		}
		return sym
	case *avro.FixedSchema:
		n := t.Size()
		b := make([]byte, n)
		r.Read(b)
		if ls, ok := t.Logical().(*avro.DecimalLogicalSchema); ok {
			return decimalDouble(b, ls.Scale())
		}
		return c.bytesValue(b)
	case *avro.ArraySchema:
		out := []any{}
		for {
			n, _ := r.ReadBlockHeader()
			if r.Error != nil || n == 0 {
				break
			}
			if !c.take(r, n, "array") {
				return nil
			}
			for range n {
				e := c.decode(r, t.Items())
				if r.Error != nil {
					return nil
				}
				if e != nil {
					out = append(out, e)
				}
			}
		}
		return out
	case *avro.MapSchema:
		out := map[string]any{}
		for {
			n, _ := r.ReadBlockHeader()
			if r.Error != nil || n == 0 {
				break
			}
			if !c.take(r, n, "map") {
				return nil
			}
			for range n {
				k := r.ReadString() // freshly allocated by the Reader, never overwritten
				out[k] = c.decode(r, t.Values())
				if r.Error != nil {
					return nil
				}
			}
		}
		return out
	case *avro.UnionSchema:
		i := r.ReadLong()
		types := t.Types()
		if r.Error != nil {
			return nil
		}
		if i < 0 || int(i) >= len(types) {
			r.ReportError("union", fmt.Sprintf("branch %d out of range (%d branches)", i, len(types)))
			return nil
		}
		branch := types[i]
		v := c.decode(r, branch)
		if branch.Type() == avro.Null || !c.explodeUnions || nonNullBranches(t) < 2 {
			return v
		}
		return map[string]any{unionTypeName(branch): v}
	}
	r.ReportError("schema", "unsupported schema type "+string(s.Type()))
	return nil
}

func (c *avroConv) primitive(r *avro.Reader, t *avro.PrimitiveSchema) any {
	var ls avro.LogicalType
	if l := t.Logical(); l != nil {
		ls = l.Type()
	}
	switch t.Type() {
	case avro.Null:
		return nil
	case avro.Boolean:
		return r.ReadBool()
	case avro.Int:
		v := int64(r.ReadInt())
		if ls == avro.Date {
			return v * 86_400_000
		}
		return v
	case avro.Long:
		return r.ReadLong()
	case avro.Float:
		// Through its shortest decimal form, so 1.1f reads 1.1 as Java's Float.toString does,
		// not 1.100000023841858.
		f := r.ReadFloat()
		d, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
		return d
	case avro.Double:
		return r.ReadDouble()
	case avro.String:
		return r.ReadString() // freshly allocated by the Reader, never overwritten
	case avro.Bytes:
		b := r.ReadBytes()
		if dl, ok := t.Logical().(*avro.DecimalLogicalSchema); ok {
			return decimalDouble(b, dl.Scale())
		}
		return c.bytesValue(b)
	}
	r.ReportError("schema", "unsupported primitive type "+string(t.Type()))
	return nil
}

func (c *avroConv) bytesValue(b []byte) string {
	if c.binaryAsString {
		return string(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// decimalDouble reads an Avro decimal (big-endian two's-complement unscaled value) as a double,
// as Druid's AvroLogicalTypeConverter does.
func decimalDouble(b []byte, scale int) float64 {
	if len(b) == 0 {
		return 0
	}
	n := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	f, _ := new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).Float64()
	return f
}

func nonNullBranches(u *avro.UnionSchema) int {
	n := 0
	for _, t := range u.Types() {
		if t.Type() != avro.Null {
			n++
		}
	}
	return n
}

// unionTypeName is the key of an exploded union branch: a named type's simple name, otherwise
// the Avro type name (int, long, float, double, boolean, string, bytes, map, array).
func unionTypeName(s avro.Schema) string {
	s = derefSchema(s)
	if n, ok := s.(avro.NamedSchema); ok {
		return n.Name()
	}
	return string(s.Type())
}
