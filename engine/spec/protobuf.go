package spec

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// The well-known types a descriptor set may import without including them, as protoc
	// writes sets without --include_imports (Druid leaves them to the protobuf library).
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

// Protobuf decoder types (Druid's ProtobufExtensionsModule).
const (
	ProtoDecoderFile           = "file"
	ProtoDecoderInline         = "inline"
	ProtoDecoderSchemaRegistry = "schema_registry"
)

// ProtoBytesDecoder is the protobuf inputFormat's (and legacy parser's) protoBytesDecoder: where
// the message descriptor comes from. One struct serves the three types; validation rejects the
// fields of another type.
type ProtoBytesDecoder struct {
	Type string `json:"type"`

	// file (FileBasedProtobufBytesDecoder): a compiled FileDescriptorSet, as a file:// URI or a path.
	Descriptor string `json:"descriptor,omitempty"`
	// inline (InlineDescriptorProtobufBytesDecoder): a FileDescriptorSet in base64.
	DescriptorString string `json:"descriptorString,omitempty"`
	// file and inline: the message type; empty means the first message of the first file that
	// has one (DescriptorBasedProtobufBytesDecoder).
	ProtoMessageType string `json:"protoMessageType,omitempty"`

	// schema_registry (SchemaRegistryBasedProtobufBytesDecoder). url, when set, wins over urls.
	URL      string         `json:"url,omitempty"`
	URLs     []string       `json:"urls,omitempty"`
	Capacity *int           `json:"capacity,omitempty"`
	Config   map[string]any `json:"config,omitempty"`
	Headers  map[string]any `json:"headers,omitempty"`
}

// RegistryURLs returns the registry addresses: url if set (Druid lets it win), else urls.
func (d *ProtoBytesDecoder) RegistryURLs() []string {
	if strings.TrimSpace(d.URL) != "" {
		return []string{d.URL}
	}
	return d.URLs
}

// validateProtoDecoder checks a protoBytesDecoder; for file and inline it loads the descriptor
// set and resolves protoMessageType, so a missing file or an unknown message is a 400 at
// submission rather than a failing task.
func validateProtoDecoder(d *ProtoBytesDecoder, path string) error {
	if d == nil {
		return fieldErr(path, `missing (e.g. {"type":"file","descriptor":"file:///path/to/metrics.desc","protoMessageType":"Metrics"})`)
	}
	d.Type = lower(d.Type)
	reg := d.URL != "" || len(d.URLs) > 0 || d.Capacity != nil || d.Config != nil || d.Headers != nil
	switch d.Type {
	case ProtoDecoderFile, ProtoDecoderInline:
		if reg {
			return fieldErr(path, fmt.Sprintf("url, urls, capacity, config and headers belong to the schema_registry decoder, not %q", d.Type))
		}
		if d.Type == ProtoDecoderFile && d.DescriptorString != "" {
			return fieldErr(path+".descriptorString", `belongs to the inline decoder; the file decoder reads "descriptor"`)
		}
		if d.Type == ProtoDecoderInline && d.Descriptor != "" {
			return fieldErr(path+".descriptor", `belongs to the file decoder; the inline decoder reads "descriptorString"`)
		}
		if _, err := d.MessageDescriptor(); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				return fieldErr(path+"."+fe.Path, fe.Msg)
			}
			return fieldErr(path, err.Error())
		}
	case ProtoDecoderSchemaRegistry:
		if d.Descriptor != "" || d.DescriptorString != "" || d.ProtoMessageType != "" {
			return fieldErr(path, "descriptor, descriptorString and protoMessageType do not apply to the schema_registry decoder: the schema comes from the registry")
		}
		urls := d.RegistryURLs()
		if len(urls) == 0 {
			return fieldErr(path+".urls", `missing (the schema registry, e.g. ["http://localhost:8081"])`)
		}
		for i, u := range urls {
			p := fmt.Sprintf("%s.urls[%d]", path, i)
			if d.URL != "" {
				p = path + ".url"
			}
			pu, err := url.Parse(strings.TrimSpace(u))
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				return fieldErr(p, fmt.Sprintf("%q is not an http(s) URL", u))
			}
		}
		if d.Capacity != nil && *d.Capacity <= 0 {
			return fieldErr(path+".capacity", fmt.Sprintf("must be ≥ 1, got %d", *d.Capacity))
		}
		for _, m := range []struct {
			name  string
			props map[string]any
		}{{"config", d.Config}, {"headers", d.Headers}} {
			if p, ok := m.props[DynamicConfigProviderKey]; ok {
				if err := validateDynamicProvider(p); err != nil {
					var fe *FieldError
					if errors.As(err, &fe) {
						return fieldErr(path+"."+m.name+strings.TrimPrefix(fe.Path, "ioConfig.consumerProperties"), fe.Msg)
					}
					return err
				}
			}
		}
	case "":
		return fieldErr(path+".type", "missing (expected file, inline or schema_registry)")
	default:
		return fieldErr(path+".type", fmt.Sprintf("unknown protoBytesDecoder type %q (expected file, inline or schema_registry)", d.Type))
	}
	return nil
}

// MessageDescriptor loads a file or inline decoder's descriptor set and returns the message
// type it decodes. Errors are *FieldError with a path relative to the decoder (descriptor,
// descriptorString, protoMessageType).
func (d *ProtoBytesDecoder) MessageDescriptor() (protoreflect.MessageDescriptor, error) {
	raw, field, err := d.descriptorBytes()
	if err != nil {
		return nil, err
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(raw, set); err != nil {
		return nil, &FieldError{Path: field, Msg: "not a compiled FileDescriptorSet (make one with protoc --include_imports --descriptor_set_out=…): " + err.Error()}
	}
	files, err := ProtoFiles(set)
	if err != nil {
		return nil, &FieldError{Path: field, Msg: err.Error()}
	}
	md, err := FindProtoMessage(files, d.ProtoMessageType)
	if err != nil {
		if d.ProtoMessageType == "" {
			return nil, &FieldError{Path: field, Msg: err.Error()}
		}
		return nil, &FieldError{Path: "protoMessageType", Msg: err.Error()}
	}
	return md, nil
}

func (d *ProtoBytesDecoder) descriptorBytes() ([]byte, string, error) {
	switch d.Type {
	case ProtoDecoderInline:
		if strings.TrimSpace(d.DescriptorString) == "" {
			return nil, "descriptorString", &FieldError{Path: "descriptorString", Msg: "missing (the base64 of a compiled FileDescriptorSet)"}
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(d.DescriptorString))
		if err != nil {
			return nil, "descriptorString", &FieldError{Path: "descriptorString", Msg: "not valid base64: " + err.Error()}
		}
		return b, "descriptorString", nil
	case ProtoDecoderFile:
		p, err := descriptorPath(d.Descriptor)
		if err != nil {
			return nil, "descriptor", &FieldError{Path: "descriptor", Msg: err.Error()}
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "descriptor", &FieldError{Path: "descriptor", Msg: "cannot read the descriptor file: " + err.Error()}
		}
		return b, "descriptor", nil
	}
	return nil, "type", &FieldError{Path: "type", Msg: fmt.Sprintf("the %q decoder has no descriptor set", d.Type)}
}

// descriptorPath turns the file decoder's descriptor (a file:// URI or a path) into a path.
// Druid also looks on its classpath and accepts http URLs; neither exists here.
func descriptorPath(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("missing (a compiled FileDescriptorSet, e.g. \"file:///etc/schemas/metrics.desc\")")
	}
	if !strings.Contains(s, "://") && !strings.HasPrefix(s, "file:") {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URI: %v", s, err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("%q: only file:// URIs and paths are supported, not %s://", s, u.Scheme)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("%q: a file URI must name a local path (file:///…)", s)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque // file:relative/path
	}
	return filepath.FromSlash(p), nil
}

// ProtoFiles builds the files of a descriptor set, each after the files it imports, in set
// order. An import the set does not hold is looked up among the well-known types.
func ProtoFiles(set *descriptorpb.FileDescriptorSet) ([]protoreflect.FileDescriptor, error) {
	byName := make(map[string]*descriptorpb.FileDescriptorProto, len(set.GetFile()))
	for _, f := range set.GetFile() {
		byName[f.GetName()] = f
	}
	local := new(protoregistry.Files)
	res := fallbackResolver{local}
	built := map[string]protoreflect.FileDescriptor{}
	var build func(f *descriptorpb.FileDescriptorProto, depth int) (protoreflect.FileDescriptor, error)
	build = func(f *descriptorpb.FileDescriptorProto, depth int) (protoreflect.FileDescriptor, error) {
		if fd, ok := built[f.GetName()]; ok {
			return fd, nil
		}
		if depth > 64 {
			return nil, fmt.Errorf("file %s: imports nest too deep (a cycle?)", f.GetName())
		}
		for _, dep := range f.GetDependency() {
			if df, ok := byName[dep]; ok {
				if _, err := build(df, depth+1); err != nil {
					return nil, err
				}
			}
		}
		fd, err := protodesc.NewFile(f, res)
		if err != nil {
			return nil, fmt.Errorf("file %s: %v", f.GetName(), err)
		}
		if err := local.RegisterFile(fd); err != nil {
			return nil, fmt.Errorf("file %s: %v", f.GetName(), err)
		}
		built[f.GetName()] = fd
		return fd, nil
	}
	out := make([]protoreflect.FileDescriptor, 0, len(set.GetFile()))
	for _, f := range set.GetFile() {
		fd, err := build(f, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, fd)
	}
	if len(out) == 0 {
		return nil, errors.New("the descriptor set holds no files")
	}
	return out, nil
}

// fallbackResolver resolves imports from the set's own files, then the well-known types.
type fallbackResolver struct{ local *protoregistry.Files }

func (r fallbackResolver) FindFileByPath(p string) (protoreflect.FileDescriptor, error) {
	if fd, err := r.local.FindFileByPath(p); err == nil {
		return fd, nil
	}
	return protoregistry.GlobalFiles.FindFileByPath(p)
}

func (r fallbackResolver) FindDescriptorByName(n protoreflect.FullName) (protoreflect.Descriptor, error) {
	if d, err := r.local.FindDescriptorByName(n); err == nil {
		return d, nil
	}
	return protoregistry.GlobalFiles.FindDescriptorByName(n)
}

// FindProtoMessage picks the message type by Druid's rules (DescriptorBasedProtobufBytesDecoder):
// no name means the first message of the first file that has one; otherwise the first message,
// searching files in order and nested messages depth first, whose simple name, full name or
// Parent.Nested name is the given one.
func FindProtoMessage(files []protoreflect.FileDescriptor, name string) (protoreflect.MessageDescriptor, error) {
	if name == "" {
		for _, f := range files {
			if f.Messages().Len() > 0 {
				return f.Messages().Get(0), nil
			}
		}
		return nil, errors.New("the descriptor set holds no message types")
	}
	var find func(ms protoreflect.MessageDescriptors, parent protoreflect.MessageDescriptor) protoreflect.MessageDescriptor
	find = func(ms protoreflect.MessageDescriptors, parent protoreflect.MessageDescriptor) protoreflect.MessageDescriptor {
		for i := 0; i < ms.Len(); i++ {
			m := ms.Get(i)
			if string(m.Name()) == name || string(m.FullName()) == name ||
				(parent != nil && string(parent.Name())+"."+string(m.Name()) == name) {
				return m
			}
			if n := find(m.Messages(), m); n != nil {
				return n
			}
		}
		return nil
	}
	var known []string
	for _, f := range files {
		if m := find(f.Messages(), nil); m != nil {
			return m, nil
		}
		for i := 0; i < f.Messages().Len() && len(known) < 20; i++ {
			known = append(known, string(f.Messages().Get(i).FullName()))
		}
	}
	return nil, fmt.Errorf("message type %q is not in the descriptor set (top-level messages: %s)", name, strings.Join(known, ", "))
}

// protobufFormatFromParser is the inputFormat a legacy protobuf parser stands for: its
// protoBytesDecoder (or a file decoder from the older top-level descriptor and protoMessageType)
// and the parseSpec's flattenSpec.
func protobufFormatFromParser(p *Parser) *InputFormat {
	dec := p.ProtoBytesDecoder
	if dec == nil && p.Descriptor != "" {
		dec = &ProtoBytesDecoder{Type: ProtoDecoderFile, Descriptor: p.Descriptor, ProtoMessageType: p.ProtoMessageType}
	}
	return &InputFormat{Type: "protobuf", ProtoBytesDecoder: dec, FlattenSpec: p.ParseSpec.FlattenSpec}
}

// validateProtobufParser checks the legacy protobuf parser's own fields, with paths under
// dataSchema.parser; nil for other parser types.
func validateProtobufParser(p *Parser) error {
	const path = "dataSchema.parser"
	if lower(p.Type) != "protobuf" {
		if p.ProtoBytesDecoder != nil || p.Descriptor != "" || p.ProtoMessageType != "" {
			return fieldErr(path+".protoBytesDecoder", "only the protobuf parser has protoBytesDecoder, descriptor and protoMessageType")
		}
		return nil
	}
	if p.ParseSpec == nil {
		return fieldErr(path+".parseSpec", "missing")
	}
	switch lower(p.ParseSpec.Format) {
	case "json", "timeanddims":
	default:
		return fieldErr(path+".parseSpec.format", fmt.Sprintf("the protobuf parser reads parseSpec format \"json\" or \"timeAndDims\", not %q", p.ParseSpec.Format))
	}
	if lower(p.ParseSpec.Format) != "json" && p.ParseSpec.FlattenSpec != nil {
		return fieldErr(path+".parseSpec.flattenSpec", "only the json parseSpec has a flattenSpec")
	}
	if len(p.ParseSpec.Columns) > 0 || p.ParseSpec.Delimiter != nil || p.ParseSpec.ListDelimiter != nil || p.ParseSpec.HasHeaderRow || p.ParseSpec.SkipHeaderRows != 0 {
		return fieldErr(path+".parseSpec", "columns, delimiters and header rows belong to csv and tsv parseSpecs")
	}
	if p.ProtoBytesDecoder != nil {
		if p.Descriptor != "" || p.ProtoMessageType != "" {
			return fieldErr(path+".descriptor", "give either protoBytesDecoder or the older descriptor and protoMessageType, not both")
		}
		return validateProtoDecoder(p.ProtoBytesDecoder, path+".protoBytesDecoder")
	}
	if p.Descriptor == "" {
		return fieldErr(path+".protoBytesDecoder", `missing (e.g. {"type":"file","descriptor":"file:///path/to/metrics.desc","protoMessageType":"Metrics"})`)
	}
	return validateProtoDecoder(&ProtoBytesDecoder{Type: ProtoDecoderFile, Descriptor: p.Descriptor, ProtoMessageType: p.ProtoMessageType}, path)
}

// validateProtobufFormat checks the protobuf inputFormat. The legacy parser's decoder is checked
// by validateProtobufParser, under its own path.
func validateProtobufFormat(f *InputFormat, path string, legacy bool) error {
	flattenPath := path + ".flattenSpec"
	if legacy {
		flattenPath = "dataSchema.parser.parseSpec.flattenSpec"
	} else if err := validateProtoDecoder(f.ProtoBytesDecoder, path+".protoBytesDecoder"); err != nil {
		return err
	}
	if err := validateFlatten(f.FlattenSpec, flattenPath); err != nil {
		return err
	}
	if len(f.Columns) > 0 || f.FindColumnsFromHeader != nil || f.Delimiter != nil || f.ListDelimiter != nil || f.SkipHeaderRows != 0 || f.HasHeaderRow != nil {
		return fieldErr(path, "columns, delimiters and header rows belong to the csv and tsv formats")
	}
	if len(f.FeatureSpec) > 0 || f.AssumeNewlineDelimited != nil || f.UseJSONNodeReader != nil {
		return fieldErr(path, "featureSpec, assumeNewlineDelimited and useJsonNodeReader belong to the json format")
	}
	return nil
}
