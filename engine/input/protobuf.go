package input

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/schemaregistry"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// protobufSource reads the protobuf inputFormat (Druid's ProtobufInputFormat and ProtobufReader):
// the protoBytesDecoder turns the record into a message, the message becomes the JSON object
// Druid's ProtobufConverter builds (see protoJSON), and the json source flattens that with the
// format's flattenSpec, so paths, discovery and nested values behave exactly as for JSON.
type protobufSource struct {
	dec  protoDecoder
	json *jsonSource
	buf  []byte // the current record as JSON; the row's strings point into it until emit returns
}

// protoDecoder is one protoBytesDecoder type. decode returns the message and the converter that
// knows its types; a *ParseError for a bad record, a *schemaregistry.UnavailableError when the
// registry cannot answer (the record is retried, not counted).
type protoDecoder interface {
	decode(b []byte) (protoreflect.Message, *protoJSON, error)
}

// newProtobufSourceEnv builds the source; getenv resolves the schema_registry decoder's password
// providers and druid.dynamic.config.provider, and ctx bounds its registry lookups.
func newProtobufSourceEnv(f *spec.InputFormat, getenv func(string) (string, bool), ctx context.Context) (*protobufSource, error) {
	if f.ProtoBytesDecoder == nil {
		return nil, fmt.Errorf("protoBytesDecoder: required for the protobuf format")
	}
	d := *f.ProtoBytesDecoder
	d.Type = strings.ToLower(d.Type)
	js, err := newJSONSource(&spec.InputFormat{Type: "json", FlattenSpec: f.FlattenSpec})
	if err != nil {
		return nil, err
	}
	s := &protobufSource{json: js}
	switch d.Type {
	case spec.ProtoDecoderFile, spec.ProtoDecoderInline:
		md, err := d.MessageDescriptor()
		if err != nil {
			return nil, fmt.Errorf("protoBytesDecoder.%w", err)
		}
		s.dec = &descriptorDecoder{md: md, conv: &protoJSON{types: typesOf(md.ParentFile())}}
	case spec.ProtoDecoderSchemaRegistry:
		if s.dec, err = newRegistryDecoder(&d, getenv, ctx); err != nil {
			return nil, fmt.Errorf("protoBytesDecoder.%w", err)
		}
	default:
		return nil, fmt.Errorf("protoBytesDecoder.type: unknown protoBytesDecoder type %q (supported: file, inline, schema_registry)", d.Type)
	}
	return s, nil
}

func (s *protobufSource) read(data []byte, r *Row, each func(*ParseError) error) error {
	if len(data) == 0 {
		return nil
	}
	m, conv, err := s.dec.decode(data)
	if err != nil {
		return err
	}
	if s.buf, err = conv.appendMessage(s.buf[:0], m); err != nil {
		return newParseError(data, fmt.Sprintf("convert protobuf message %s: %v", m.Descriptor().FullName(), err))
	}
	return s.json.read(s.buf, r, each)
}

// descriptorDecoder is the file and inline decoders: one message type, no header on the payload.
type descriptorDecoder struct {
	md   protoreflect.MessageDescriptor
	conv *protoJSON
	msg  *dynamicpb.Message // reused: the row's strings point into the JSON, not the message
}

func (d *descriptorDecoder) decode(b []byte) (protoreflect.Message, *protoJSON, error) {
	if d.msg == nil {
		d.msg = dynamicpb.NewMessage(d.md)
	}
	m := d.msg
	m.Reset()
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, nil, newParseError(b, fmt.Sprintf("decode protobuf message %s: %v", d.md.FullName(), err))
	}
	return m, d.conv, nil
}

// typesOf returns the message types of f and everything it imports, for resolving Any.
func typesOf(f protoreflect.FileDescriptor) *dynamicpb.Types {
	files := new(protoregistry.Files)
	seen := map[string]bool{}
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		imps := f.Imports()
		for i := 0; i < imps.Len(); i++ {
			add(imps.Get(i).FileDescriptor)
		}
		_ = files.RegisterFile(f) // a conflict only loses Any resolution for that name
	}
	add(f)
	return dynamicpb.NewTypes(files)
}

// registryDecoder is the schema_registry decoder (Druid's SchemaRegistryBasedProtobufBytesDecoder):
// Confluent framing, the .proto source and its references fetched by schema id and compiled
// here, once per id.
//
// Druid skips a single byte after the schema id and always decodes the schema's first message;
// this decoder reads the whole message-index array and decodes the message it names, so topics
// whose records use another message of the schema (indexes [1], [0,2], …) parse correctly.
type registryDecoder struct {
	reg      *schemaregistry.Registry
	capacity int
	ctx      context.Context // bounds registry lookups (the task's run context)

	mu       sync.Mutex
	compiled map[int]*compiledSchema
	order    []int // ids in insertion order, oldest first; len ≤ capacity
}

// compiledSchema is one registry schema, compiled; err is kept so a schema that does not compile
// is a parse exception per record rather than a compilation per record.
type compiledSchema struct {
	file protoreflect.FileDescriptor
	conv *protoJSON
	err  error
}

func newRegistryDecoder(d *spec.ProtoBytesDecoder, getenv func(string) (string, bool), ctx context.Context) (*registryDecoder, error) {
	config, err := spec.ResolveProperties("config", d.Config, getenv)
	if err != nil {
		return nil, err
	}
	headers, err := spec.ResolveProperties("headers", d.Headers, getenv)
	if err != nil {
		return nil, err
	}
	o := schemaregistry.Options{URLs: d.RegistryURLs(), Config: config, Headers: headers}
	if d.Capacity != nil {
		o.Capacity = *d.Capacity
	}
	reg, err := schemaregistry.New(o)
	if err != nil {
		return nil, err
	}
	capacity := o.Capacity
	if capacity <= 0 {
		capacity = schemaregistry.DefaultCapacity
	}
	return &registryDecoder{reg: reg, capacity: capacity, ctx: ctx, compiled: map[int]*compiledSchema{}}, nil
}

func (d *registryDecoder) decode(b []byte) (protoreflect.Message, *protoJSON, error) {
	id, indexes, payload, err := schemaregistry.SplitConfluentProtobuf(b)
	if err != nil {
		return nil, nil, newParseError(b, "schema registry framing: "+err.Error())
	}
	cs, err := d.schema(id)
	if err != nil {
		if schemaregistry.IsUnavailable(err) {
			return nil, nil, err
		}
		return nil, nil, newParseError(b, err.Error())
	}
	md, err := messageAt(cs.file, indexes)
	if err != nil {
		return nil, nil, newParseError(b, fmt.Sprintf("schema id %d: %v", id, err))
	}
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(payload, m); err != nil {
		return nil, nil, newParseError(b, fmt.Sprintf("decode protobuf message %s (schema id %d): %v", md.FullName(), id, err))
	}
	return m, cs.conv, nil
}

// schema returns the compiled schema of id. Errors are *UnavailableError (retry) or an error
// saying why the record is bad.
func (d *registryDecoder) schema(id int) (*compiledSchema, error) {
	d.mu.Lock()
	cs, ok := d.compiled[id]
	d.mu.Unlock()
	if !ok {
		// Registry.ByID also bounds each request with its own timeout.
		s, err := d.reg.ByID(d.ctx, id)
		if err != nil {
			return nil, err // ErrNotFound (wrapped, naming the id) or *UnavailableError
		}
		cs = compileSchema(s)
		d.mu.Lock()
		if _, ok := d.compiled[id]; !ok {
			if len(d.order) >= d.capacity {
				delete(d.compiled, d.order[0])
				d.order = d.order[1:]
			}
			d.compiled[id] = cs
			d.order = append(d.order, id)
		}
		d.mu.Unlock()
	}
	if cs.err != nil {
		return nil, cs.err
	}
	return cs, nil
}

// compileSchema compiles a registry schema's .proto source with its references (each under the
// import path the schema uses) and the well-known types.
func compileSchema(s *schemaregistry.Schema) *compiledSchema {
	if s.Type != sr.TypeProtobuf {
		return &compiledSchema{err: fmt.Errorf("schema id %d is a %s schema, not PROTOBUF", s.ID, s.Type)}
	}
	name := fmt.Sprintf("schema-registry-id-%d.proto", s.ID)
	srcs := map[string]string{name: s.Text}
	for _, r := range s.References {
		srcs[r.Name] = r.Text
	}
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(srcs)}),
	}
	files, err := c.Compile(context.Background(), name)
	if err != nil {
		return &compiledSchema{err: fmt.Errorf("compile schema id %d: %v", s.ID, err)}
	}
	f := protoreflect.FileDescriptor(files[0])
	return &compiledSchema{file: f, conv: &protoJSON{types: typesOf(f)}}
}

// messageAt follows Confluent's message indexes: the first picks a top-level message of the
// file, each further one a message nested in the previous.
func messageAt(f protoreflect.FileDescriptor, indexes []int) (protoreflect.MessageDescriptor, error) {
	ms := f.Messages()
	var md protoreflect.MessageDescriptor
	for depth, i := range indexes {
		if i < 0 || i >= ms.Len() {
			if depth == 0 {
				return nil, fmt.Errorf("message index %v: the schema has %d top-level messages", indexes, ms.Len())
			}
			return nil, fmt.Errorf("message index %v: %s has %d nested messages", indexes, md.FullName(), ms.Len())
		}
		md = ms.Get(i)
		ms = md.Messages()
	}
	if md == nil {
		return nil, errors.New("empty message index")
	}
	return md, nil
}
