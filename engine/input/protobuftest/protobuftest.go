// Package protobuftest is the Protobuf fixture of the input-format tests: a .proto pair shaped
// like Druid's own integration-test descriptor, compiled with protocompile (so the tests do not
// share the engine's descriptor-loading path), and a producer-side message builder on dynamicpb.
package protobuftest

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

//go:embed testdata/*.proto
var sources embed.FS

// Source returns the text of a fixture file (common.proto or event.proto), as a schema registry
// would hold it.
func Source(t testing.TB, name string) string {
	t.Helper()
	b, err := sources.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Fixture is the compiled event.proto with its imports.
type Fixture struct {
	// Event is event.proto; Common is common.proto.
	Event, Common protoreflect.FileDescriptor
	// Set is the FileDescriptorSet protoc --include_imports would write for event.proto:
	// every file after the files it imports.
	Set *descriptorpb.FileDescriptorSet
}

// Compile compiles the fixture.
func Compile(t testing.TB) *Fixture {
	t.Helper()
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{
			"common.proto": Source(t, "common.proto"), "event.proto": Source(t, "event.proto"),
		}),
	})}
	files, err := c.Compile(context.Background(), "event.proto")
	if err != nil {
		t.Fatalf("compile fixture: %v", err)
	}
	fx := &Fixture{Event: files[0], Set: &descriptorpb.FileDescriptorSet{}}
	seen := map[string]bool{}
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		for i := 0; i < f.Imports().Len(); i++ {
			add(f.Imports().Get(i).FileDescriptor)
		}
		if f.Path() == "common.proto" {
			fx.Common = f
		}
		fx.Set.File = append(fx.Set.File, protodesc.ToFileDescriptorProto(f))
	}
	add(fx.Event)
	return fx
}

// SetBytes is the serialized descriptor set (the contents of a .desc file).
func (fx *Fixture) SetBytes(t testing.TB) []byte {
	t.Helper()
	b, err := proto.Marshal(fx.Set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WriteDesc writes the descriptor set to a .desc file in a temporary directory.
func (fx *Fixture) WriteDesc(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.desc")
	if err := os.WriteFile(p, fx.SetBytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Message encodes a message of the fixture (by full name, e.g. "kafkaindexer.test.Event")
// from values keyed by proto field name: strings, int64, int32, bool, float64, []string for
// repeated strings, map[string]int32 for maps, an enum value's name, time.Time for a Timestamp,
// a plain value for a wrapper type, and map[string]any for a nested message.
func (fx *Fixture) Message(t testing.TB, name string, values map[string]any) []byte {
	t.Helper()
	d, err := findMessage(fx.Event, protoreflect.FullName(name))
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(d)
	if err := fill(m, values); err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func findMessage(f protoreflect.FileDescriptor, name protoreflect.FullName) (protoreflect.MessageDescriptor, error) {
	var walk func(ms protoreflect.MessageDescriptors) protoreflect.MessageDescriptor
	walk = func(ms protoreflect.MessageDescriptors) protoreflect.MessageDescriptor {
		for i := 0; i < ms.Len(); i++ {
			if ms.Get(i).FullName() == name {
				return ms.Get(i)
			}
			if m := walk(ms.Get(i).Messages()); m != nil {
				return m
			}
		}
		return nil
	}
	if m := walk(f.Messages()); m != nil {
		return m, nil
	}
	return nil, fmt.Errorf("no message %s in %s", name, f.Path())
}

func fill(m protoreflect.Message, values map[string]any) error {
	for k, v := range values {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(k))
		if fd == nil {
			return fmt.Errorf("no field %s in %s", k, m.Descriptor().FullName())
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for mk, mv := range v.(map[string]int32) {
				mp.Set(protoreflect.ValueOfString(mk).MapKey(), protoreflect.ValueOfInt32(mv))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for _, e := range v.([]string) {
				l.Append(protoreflect.ValueOfString(e))
			}
		case fd.Kind() == protoreflect.EnumKind:
			ev := fd.Enum().Values().ByName(protoreflect.Name(v.(string)))
			if ev == nil {
				return fmt.Errorf("no value %v in enum %s", v, fd.Enum().FullName())
			}
			m.Set(fd, protoreflect.ValueOfEnum(ev.Number()))
		case fd.Kind() == protoreflect.MessageKind:
			sub := m.Mutable(fd).Message()
			switch x := v.(type) {
			case time.Time:
				sub.Set(sub.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(x.Unix()))
				sub.Set(sub.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(int32(x.Nanosecond())))
			case map[string]any:
				if err := fill(sub, x); err != nil {
					return err
				}
			default: // a wrapper type
				sub.Set(sub.Descriptor().Fields().ByName("value"), protoreflect.ValueOf(v))
			}
		default:
			m.Set(fd, protoreflect.ValueOf(v))
		}
	}
	return nil
}
