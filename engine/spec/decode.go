package spec

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// strictObject marks types that decode themselves (json.Unmarshaler) but whose object form must
// still carry only the keys named by their struct tags, so unknown keys are reported with a path.
type strictObject interface{ strictObject() }

var (
	unmarshalerType   = reflect.TypeFor[json.Unmarshaler]()
	strictObjectType  = reflect.TypeFor[strictObject]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	emptyInterfaceTyp = reflect.TypeFor[any]()
)

// decodeStrict decodes raw into v after checking, field by field, that every key is known and
// every value has the right shape; the first problem comes back as a FieldError naming its JSON
// path (ioConfig.taskDuration: "PTX" is not an ISO-8601 period). encoding/json alone would
// either ignore unknown keys or report them without a path.
func (c *checker) decodeStrict(raw []byte, v any, path string) error {
	c.at, c.dropped = nil, nil
	if err := c.check(reflect.TypeOf(v).Elem(), raw, path); err != nil {
		return err
	}
	if len(c.dropped) > 0 {
		// encoding/json matches keys case-insensitively, so a dropped "TaskCount" would still
		// set taskCount: remove the dropped keys before decoding.
		raw = prune(raw, c.dropped)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fieldErr(path, err.Error())
	}
	return nil
}

// checker walks a spec for decodeStrict under the caller's DecodeOptions, collecting the
// warnings accepted-but-ineffective and (in warn mode) unknown fields give.
type checker struct {
	opts     DecodeOptions
	warnings []string
	at       []any   // where check is, relative to decodeStrict's raw: keys and indexes
	dropped  [][]any // unknown keys skipped under UnknownFieldsWarn or UnknownFieldsIgnore
}

// prune removes the keys at paths from the JSON document raw.
func prune(raw []byte, paths [][]any) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return raw
	}
	for _, p := range paths {
		cur := doc
	walk:
		for i, seg := range p {
			last := i == len(p)-1
			switch seg := seg.(type) {
			case string:
				m, ok := cur.(map[string]any)
				if !ok {
					break walk
				}
				if last {
					delete(m, seg)
				}
				cur = m[seg]
			case int:
				a, ok := cur.([]any)
				if !ok || seg >= len(a) {
					break walk
				}
				cur = a[seg]
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw
	}
	return out
}

func (c *checker) check(t reflect.Type, raw []byte, path string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if t == rawMessageType || t == emptyInterfaceTyp {
		return nil
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	if custom {
		v := reflect.New(t)
		if err := v.Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			var fe *FieldError
			if asFieldError(err, &fe) {
				return fieldErr(join(path, fe.Path), fe.Msg)
			}
			return fieldErr(path, err.Error())
		}
		if !reflect.PointerTo(t).Implements(strictObjectType) || raw[0] != '{' {
			return nil
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return c.check(t.Elem(), raw, path)
	case reflect.Struct:
		if raw[0] != '{' {
			if custom {
				return nil
			}
			return fieldErr(path, "must be a JSON object")
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fieldErr(path, "must be a JSON object")
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f, ok := fields[k]
			if !ok {
				if why, legacy := legacyFields[t][k]; legacy {
					c.warnings = append(c.warnings, join(path, k)+": accepted for Druid compatibility, no effect ("+why+")")
					continue
				}
				fe := fieldErr(join(path, k), "unknown field")
				fe.Suggestion = suggest(k, slices.Collect(maps.Keys(fields)))
				switch c.opts.UnknownFields {
				case UnknownFieldsWarn:
					c.warnings = append(c.warnings, fe.Error()+"; ignored")
					c.dropped = append(c.dropped, append(slices.Clone(c.at), k))
					continue
				case UnknownFieldsIgnore:
					c.dropped = append(c.dropped, append(slices.Clone(c.at), k))
					continue
				}
				return fe
			}
			c.at = append(c.at, k)
			err := c.check(f.Type, obj[k], join(path, k))
			c.at = c.at[:len(c.at)-1]
			if err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			break
		}
		if raw[0] != '[' {
			return fieldErr(path, "must be a JSON array")
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fieldErr(path, "must be a JSON array")
		}
		for i, it := range items {
			c.at = append(c.at, i)
			err := c.check(t.Elem(), it, path+"["+strconv.Itoa(i)+"]")
			c.at = c.at[:len(c.at)-1]
			if err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if raw[0] != '{' {
			return fieldErr(path, "must be a JSON object")
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fieldErr(path, "must be a JSON object")
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			c.at = append(c.at, k)
			err := c.check(t.Elem(), obj[k], join(path, k))
			c.at = c.at[:len(c.at)-1]
			if err != nil {
				return err
			}
		}
		return nil
	}
	if custom {
		return nil
	}
	// A leaf: try it, and name the expected shape on failure.
	if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
		return fieldErr(path, "must be "+kindName(t))
	}
	return nil
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// jsonFields maps JSON keys to struct fields, following embedded structs.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range jsonFields(ft) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f
	}
	return out
}

func asFieldError(err error, target **FieldError) bool {
	fe, ok := err.(*FieldError)
	if ok {
		*target = fe
	}
	return ok
}

// describe renders a JSON value briefly for messages.
func describe(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
