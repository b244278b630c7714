package input

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// protoJSON renders a decoded message as the JSON object Druid's ProtobufConverter builds, so the
// json source and its flattenSpec can take over from there:
//
//   - keys are the fields' JSON names (lowerCamelCase, FieldDescriptor.getJsonName), and only
//     populated fields appear (Message.getAllFields);
//   - integers, including 64-bit ones, are JSON numbers (Druid passes the Java Long through;
//     protobuf's canonical JSON would quote them), floats and doubles are numbers, NaN and
//     infinities the strings "NaN", "Infinity", "-Infinity";
//   - enums are their value names (a number when the value is unknown); google.protobuf.NullValue
//     is null;
//   - bytes are base64 text (Druid keeps a byte[], which Jackson also writes as base64);
//   - repeated fields are arrays and maps are objects with stringified keys;
//   - wrapper types become their value; Timestamp and Duration become their canonical strings
//     ("2026-12-02T00:00:00Z", "1.5s"); FieldMask its comma-separated paths; Struct, Value and
//     ListValue the JSON they stand for; Any the canonical JSON of its content, as one string.
//
// Druid applies the well-known-type conversions to singular fields only (a repeated Timestamp
// comes out as {"seconds":…,"nanos":…}); here they apply everywhere, as protobuf's canonical JSON
// mapping does.
type protoJSON struct {
	types *dynamicpb.Types // resolves the content of google.protobuf.Any
}

// appendMessage appends m as a JSON object.
func (c *protoJSON) appendMessage(dst []byte, m protoreflect.Message) ([]byte, error) {
	fields := m.Descriptor().Fields()
	dst = append(dst, '{')
	first := true
	var err error
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, fd.JSONName())
		dst = append(dst, ':')
		if dst, err = c.appendField(dst, fd, m.Get(fd)); err != nil {
			return nil, fmt.Errorf("field %s: %w", fd.Name(), err)
		}
	}
	return append(dst, '}'), nil
}

func (c *protoJSON) appendField(dst []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) ([]byte, error) {
	var err error
	switch {
	case fd.IsMap():
		type entry struct {
			key string
			val protoreflect.Value
		}
		var entries []entry
		v.Map().Range(func(k protoreflect.MapKey, val protoreflect.Value) bool {
			entries = append(entries, entry{mapKeyString(k), val})
			return true
		})
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
		dst = append(dst, '{')
		for i, e := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, e.key)
			dst = append(dst, ':')
			if dst, err = c.appendSingle(dst, fd.MapValue(), e.val); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case fd.IsList():
		l := v.List()
		dst = append(dst, '[')
		for i := 0; i < l.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = c.appendSingle(dst, fd, l.Get(i)); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	return c.appendSingle(dst, fd, v)
}

func mapKeyString(k protoreflect.MapKey) string {
	switch v := k.Interface().(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint32:
		return strconv.FormatUint(uint64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	}
	return k.String()
}

// appendSingle appends one value of fd's kind (an element, for repeated fields).
func (c *protoJSON) appendSingle(dst []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) ([]byte, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(dst, v.Bool()), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(dst, v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.AppendUint(dst, v.Uint(), 10), nil
	case protoreflect.FloatKind:
		return appendJSONNumber(dst, v.Float(), 32), nil
	case protoreflect.DoubleKind:
		return appendJSONNumber(dst, v.Float(), 64), nil
	case protoreflect.StringKind:
		return appendJSONString(dst, v.String()), nil
	case protoreflect.BytesKind:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes())
		return append(dst, '"'), nil
	case protoreflect.EnumKind:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			return append(dst, "null"...), nil
		}
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return appendJSONString(dst, string(ev.Name())), nil
		}
		return strconv.AppendInt(dst, int64(v.Enum()), 10), nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return c.appendMessageValue(dst, v.Message())
	}
	return nil, fmt.Errorf("unsupported field kind %s", fd.Kind())
}

// appendMessageValue appends a message-typed value, converting the well-known types.
func (c *protoJSON) appendMessageValue(dst []byte, m protoreflect.Message) ([]byte, error) {
	md := m.Descriptor()
	switch md.FullName() {
	case "google.protobuf.BoolValue", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.StringValue",
		"google.protobuf.BytesValue", "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
		fd := md.Fields().ByName("value")
		if fd == nil {
			return nil, fmt.Errorf("%s has no value field", md.FullName())
		}
		return c.appendSingle(dst, fd, m.Get(fd))
	case "google.protobuf.Value":
		if od := md.Oneofs().ByName("kind"); od != nil && m.WhichOneof(od) == nil {
			return append(dst, "null"...), nil // Druid: a Value with nothing set is null
		}
		return c.canonical(dst, m)
	case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
		"google.protobuf.Struct", "google.protobuf.ListValue":
		return c.canonical(dst, m)
	case "google.protobuf.Any":
		o := protojson.MarshalOptions{}
		if c.types != nil {
			o.Resolver = c.types
		}
		b, err := o.Marshal(m.Interface())
		if err != nil {
			return nil, err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return nil, err
		}
		return appendJSONString(dst, compact.String()), nil
	}
	return c.appendMessage(dst, m)
}

// canonical appends protobuf's canonical JSON of a well-known type, which for these types is
// what Druid's converter produces too. protojson varies its whitespace on purpose; compacting
// keeps the record's JSON (and so unparseableEvents) stable.
func (c *protoJSON) canonical(dst []byte, m protoreflect.Message) ([]byte, error) {
	b, err := protojson.Marshal(m.Interface())
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(dst)
	if err := json.Compact(buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func appendJSONNumber(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// appendJSONString appends s as a JSON string literal. Invalid UTF-8 (a proto2 string field
// may hold any bytes) becomes U+FFFD, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\':
				dst = append(dst, '\\', b)
			case b >= 0x20:
				dst = append(dst, b)
			case b == '\n':
				dst = append(dst, '\\', 'n')
			case b == '\r':
				dst = append(dst, '\\', 'r')
			case b == '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
