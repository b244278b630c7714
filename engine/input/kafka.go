package input

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Defaults of the kafka inputFormat (Druid's KafkaInputFormat).
const (
	DefaultKafkaTimestampColumn = "kafka.timestamp"
	DefaultKafkaTopicColumn     = "kafka.topic"
	DefaultKafkaHeaderPrefix    = "kafka.header."
	DefaultKafkaKeyColumn       = "kafka.key"
)

// kafkaColumns adds the record metadata columns of the kafka inputFormat (Druid's
// KafkaInputReader). Payload fields win on name conflicts.
type kafkaColumns struct {
	tsCol, topicCol, headerPrefix, keyCol string
	headers                               bool
	encoding                              string // normalised: UTF-8, ISO-8859-1, US-ASCII, UTF-16, UTF-16BE, UTF-16LE
	key                                   source // nil without keyFormat
	keyRow                                Row
	keyVal                                expr.Value
	keyEach                               func(*ParseError) error
	hdrNames                              []string // cached prefix+key names
	hdrKeys                               []string
}

func newKafkaColumns(f *spec.InputFormat, env sourceEnv) (*kafkaColumns, error) {
	k := &kafkaColumns{
		tsCol: or(f.TimestampColumnName, DefaultKafkaTimestampColumn), topicCol: or(f.TopicColumnName, DefaultKafkaTopicColumn),
		headerPrefix: or(f.HeaderColumnPrefix, DefaultKafkaHeaderPrefix), keyCol: or(f.KeyColumnName, DefaultKafkaKeyColumn),
	}
	if hf := f.HeaderFormat; hf != nil {
		if hf.Type != "" && hf.Type != "string" {
			return nil, fmt.Errorf("headerFormat.type: unknown header format %q (want string)", hf.Type)
		}
		enc, err := normaliseEncoding(hf.Encoding)
		if err != nil {
			return nil, fmt.Errorf("headerFormat.encoding: %w", err)
		}
		k.headers, k.encoding = true, enc
	}
	if f.KeyFormat != nil {
		if f.KeyFormat.Type == "kafka" {
			return nil, fmt.Errorf("keyFormat: kafka cannot be nested")
		}
		src, err := newSource(f.KeyFormat, env)
		if err != nil {
			return nil, fmt.Errorf("keyFormat.%w", err)
		}
		k.key = src
		k.keyEach = k.takeKey
	}
	return k, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func normaliseEncoding(e string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(e, "_", "-")) {
	case "", "UTF-8", "UTF8":
		return "UTF-8", nil
	case "ISO-8859-1", "LATIN1":
		return "ISO-8859-1", nil
	case "US-ASCII", "ASCII":
		return "US-ASCII", nil
	case "UTF-16":
		return "UTF-16", nil
	case "UTF-16BE":
		return "UTF-16BE", nil
	case "UTF-16LE":
		return "UTF-16LE", nil
	}
	return "", fmt.Errorf("unsupported encoding %q (supported: UTF-8, ISO-8859-1, US-ASCII, UTF-16, UTF-16BE, UTF-16LE)", e)
}

// takeKey keeps the first column of the first key row; nested JSON is not a column here, as
// Druid takes the key from the row's discovered dimensions.
func (k *kafkaColumns) takeKey(perr *ParseError) error {
	if perr != nil || !k.keyVal.IsNull() {
		return nil
	}
	for i := range k.keyRow.fields {
		if !k.keyRow.fields[i].nested {
			_, k.keyVal = k.keyRow.Field(i)
			return nil
		}
	}
	return nil
}

// prepare parses the record key; it runs once per record before the value rows.
func (k *kafkaColumns) prepare(rec *Record) error {
	k.keyVal = expr.Value{}
	if k.key == nil || len(rec.Key) == 0 {
		return nil
	}
	if err := k.key.read(rec.Key, &k.keyRow, k.keyEach); err != nil {
		pe, ok := err.(*ParseError)
		if ok {
			pe.Details = append([]string{"unable to parse record key"}, pe.Details...)
		}
		return err
	}
	return nil
}

// add appends the metadata columns that the payload did not set.
func (k *kafkaColumns) add(rec *Record, r *Row) {
	if !r.has(k.tsCol) {
		r.add(k.tsCol, expr.Long(rec.Timestamp))
	}
	if !r.has(k.topicCol) && rec.Topic != "" {
		r.add(k.topicCol, expr.String(rec.Topic))
	}
	if k.key != nil && !k.keyVal.IsNull() && !r.has(k.keyCol) {
		r.add(k.keyCol, k.keyVal)
	}
	if !k.headers {
		return
	}
	// Later headers with the same key replace earlier ones (Druid builds a map).
	for i := len(rec.Headers) - 1; i >= 0; i-- {
		h := &rec.Headers[i]
		name := k.headerName(h.Key)
		if r.has(name) {
			continue
		}
		r.add(name, expr.String(k.decode(r, h.Value)))
	}
}

// headerName returns prefix+key, caching the concatenation for recurring header keys.
func (k *kafkaColumns) headerName(key string) string {
	for i, hk := range k.hdrKeys {
		if hk == key {
			return k.hdrNames[i]
		}
	}
	name := k.headerPrefix + key
	if len(k.hdrKeys) < 64 {
		k.hdrKeys = append(k.hdrKeys, strings.Clone(key))
		k.hdrNames = append(k.hdrNames, name)
	}
	return name
}

func (k *kafkaColumns) decode(r *Row, b []byte) string {
	switch k.encoding {
	case "UTF-8":
		return b2s(b)
	case "ISO-8859-1", "US-ASCII":
		st := len(r.buf)
		for _, c := range b {
			if c >= 0x80 && k.encoding == "US-ASCII" {
				r.buf = utf8.AppendRune(r.buf, utf8.RuneError)
				continue
			}
			r.buf = utf8.AppendRune(r.buf, rune(c))
		}
		return r.arenaString(st)
	}
	big := k.encoding != "UTF-16LE"
	if k.encoding == "UTF-16" && len(b) >= 2 {
		switch {
		case b[0] == 0xFE && b[1] == 0xFF:
			b = b[2:]
		case b[0] == 0xFF && b[1] == 0xFE:
			b, big = b[2:], false
		}
	}
	st := len(r.buf)
	for i := 0; i+1 < len(b); i += 2 {
		u := uint16(b[i])<<8 | uint16(b[i+1])
		if !big {
			u = uint16(b[i+1])<<8 | uint16(b[i])
		}
		if utf16.IsSurrogate(rune(u)) && i+3 < len(b) {
			u2 := uint16(b[i+2])<<8 | uint16(b[i+3])
			if !big {
				u2 = uint16(b[i+3])<<8 | uint16(b[i+2])
			}
			r.buf = utf8.AppendRune(r.buf, utf16.DecodeRune(rune(u), rune(u2)))
			i += 2
			continue
		}
		r.buf = utf8.AppendRune(r.buf, rune(u))
	}
	return r.arenaString(st)
}
