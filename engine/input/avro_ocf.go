package input

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/golang/snappy"
	"github.com/hamba/avro/v2"
	"github.com/klauspost/compress/zstd"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// avroOCFSource reads the avro_ocf inputFormat: each Kafka record is a whole Avro Object
// Container File (header with the writer schema, then blocks of data), and every datum in it is
// a row (Druid's AvroOCFInputFormat). With a reader schema, each datum is projected onto it.
//
// The container is read here rather than with hamba/avro's ocf package because the rows are
// decoded by the same schema walk as avro_stream (avroConv), which needs the raw datum bytes.
type avroOCFSource struct {
	rows   avroRows
	reader avro.Schema // nil: rows follow the writer schema
	rd     *avro.Reader
	zstd   *zstd.Decoder
}

// ocfMagic opens every Object Container File: "Obj" and format version 1.
var ocfMagic = []byte{'O', 'b', 'j', 1}

const ocfSyncSize = 16

func newAvroOCFSource(f *spec.InputFormat) (*avroOCFSource, error) {
	rows, err := newAvroRows(f)
	if err != nil {
		return nil, err
	}
	s := &avroOCFSource{rows: rows, rd: avro.NewReader(nil, 0)}
	if len(f.Schema) > 0 && !bytes.Equal(bytes.TrimSpace(f.Schema), []byte("null")) {
		if s.reader, err = spec.ParseAvroSchema(f.Schema); err != nil {
			return nil, fmt.Errorf("schema: %v", err)
		}
	}
	return s, nil
}

func (s *avroOCFSource) read(data []byte, r *Row, each func(*ParseError) error) error {
	if len(data) == 0 {
		return nil
	}
	writer, codec, sync, body, err := s.header(data)
	if err != nil {
		return newParseError(data, "unable to read Avro container file: "+err.Error())
	}
	sch := writer
	if s.reader != nil {
		sch = s.reader
	}
	if _, ok := derefSchema(sch).(*avro.RecordSchema); !ok {
		return newParseError(data, fmt.Sprintf("expected Avro records but the file's schema is %s", sch.Type()))
	}
	total := int64(0) // data in the file, bounded like the entries of one datum
	for len(body) > 0 {
		// Block: zig-zag varint object count and byte size, the data, the sync marker.
		count, w1 := binary.Varint(body)
		if w1 <= 0 {
			return newParseError(data, "unable to read Avro container file: bad block header")
		}
		size, w2 := binary.Varint(body[w1:])
		if w2 <= 0 || count < 0 || size < 0 {
			return newParseError(data, "unable to read Avro container file: bad block header")
		}
		if total += count; total > maxAvroItems {
			return newParseError(data, fmt.Sprintf("unable to read Avro container file: more than %d data", maxAvroItems))
		}
		hdr := w1 + w2
		if int64(len(body)-hdr) < size+ocfSyncSize {
			return newParseError(data, "unable to read Avro container file: block is truncated")
		}
		block := body[hdr : hdr+int(size)]
		if !bytes.Equal(body[hdr+int(size):hdr+int(size)+ocfSyncSize], sync) {
			return newParseError(data, "unable to read Avro container file: sync marker mismatch")
		}
		body = body[hdr+int(size)+ocfSyncSize:]
		plain, err := s.decompress(codec, block)
		if err != nil {
			return newParseError(data, "unable to read Avro container file: "+err.Error())
		}
		if count > int64(len(plain)) && count > 1024 {
			// Only data of an empty record take no bytes; a block claiming more data than it
			// has bytes is corrupt, and decoding it would spin.
			return newParseError(data, fmt.Sprintf("unable to read Avro container file: block claims %d data in %d bytes", count, len(plain)))
		}
		drd := s.rd.Reset(plain)
		drd.Error = nil
		for range count {
			v := s.rows.conv.decodeDatum(drd, writer)
			if drd.Error != nil {
				return newParseError(data, "unable to decode Avro datum: "+drd.Error.Error())
			}
			if s.reader != nil {
				v = s.rows.conv.project(v, writer, s.reader)
			}
			if err := s.rows.emit(sch, v, data, r, each); err != nil {
				return err
			}
		}
	}
	return nil
}

// header reads the container header: magic, metadata map (avro.schema, avro.codec), sync marker.
func (s *avroOCFSource) header(data []byte) (avro.Schema, string, []byte, []byte, error) {
	if len(data) < len(ocfMagic) || !bytes.Equal(data[:len(ocfMagic)], ocfMagic) {
		return nil, "", nil, nil, fmt.Errorf("not an Object Container File (no \"Obj\\x01\" magic)")
	}
	rest := data[len(ocfMagic):]
	meta := map[string][]byte{}
	for {
		n, w := binary.Varint(rest)
		if w <= 0 {
			return nil, "", nil, nil, fmt.Errorf("bad metadata block")
		}
		rest = rest[w:]
		if n == 0 {
			break
		}
		if n < 0 {
			// A negative count is followed by the block's byte size.
			n = -n
			_, w := binary.Varint(rest)
			if w <= 0 {
				return nil, "", nil, nil, fmt.Errorf("bad metadata block")
			}
			rest = rest[w:]
		}
		for range n {
			k, r1, ok := ocfBytes(rest)
			if !ok {
				return nil, "", nil, nil, fmt.Errorf("bad metadata key")
			}
			v, r2, ok := ocfBytes(r1)
			if !ok {
				return nil, "", nil, nil, fmt.Errorf("bad metadata value")
			}
			meta[string(k)] = v
			rest = r2
		}
	}
	if len(rest) < ocfSyncSize {
		return nil, "", nil, nil, fmt.Errorf("header is truncated")
	}
	sync, body := rest[:ocfSyncSize], rest[ocfSyncSize:]
	raw, ok := meta["avro.schema"]
	if !ok {
		return nil, "", nil, nil, fmt.Errorf("header has no avro.schema")
	}
	writer, err := spec.ParseAvroSchema(raw)
	if err != nil {
		return nil, "", nil, nil, fmt.Errorf("writer schema: %v", err)
	}
	codec := string(meta["avro.codec"])
	if codec == "" {
		codec = "null"
	}
	return writer, codec, sync, body, nil
}

// ocfBytes reads one Avro bytes value (zig-zag varint length, then the bytes).
func ocfBytes(b []byte) (v, rest []byte, ok bool) {
	n, w := binary.Varint(b)
	if w <= 0 || n < 0 || int64(len(b)-w) < n {
		return nil, nil, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}

func (s *avroOCFSource) decompress(codec string, block []byte) ([]byte, error) {
	switch codec {
	case "null":
		return block, nil
	case "deflate":
		return io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(block)), 256<<20))
	case "snappy":
		// Snappy blocks end with the big-endian CRC-32 of the uncompressed data.
		if len(block) < 4 {
			return nil, fmt.Errorf("snappy block is truncated")
		}
		out, err := snappy.Decode(nil, block[:len(block)-4])
		if err != nil {
			return nil, fmt.Errorf("snappy: %v", err)
		}
		if crc32.ChecksumIEEE(out) != binary.BigEndian.Uint32(block[len(block)-4:]) {
			return nil, fmt.Errorf("snappy block checksum mismatch")
		}
		return out, nil
	case "zstandard":
		if s.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, err
			}
			s.zstd = d
		}
		return s.zstd.DecodeAll(block, nil)
	}
	return nil, fmt.Errorf("codec %q is not supported (null, deflate, snappy, zstandard)", codec)
}

// project maps a datum decoded with the writer schema onto the reader schema, the part of Avro
// schema resolution rows depend on: record fields are matched by name or by the reader field's
// aliases, fields only the writer has are dropped, and fields only the reader has take their
// default. Values otherwise keep their decoded form (numeric promotions change nothing here:
// every integer is an int64 and every floating-point value a float64).
func (c *avroConv) project(v any, writer, reader avro.Schema) any {
	wr, wok := derefSchema(nonNullBranch(writer)).(*avro.RecordSchema)
	rr, rok := derefSchema(nonNullBranch(reader)).(*avro.RecordSchema)
	m, isMap := v.(map[string]any)
	if !wok || !rok || !isMap {
		return v
	}
	wfields := map[string]*avro.Field{}
	for _, f := range wr.Fields() {
		wfields[f.Name()] = f
	}
	out := make(map[string]any, len(rr.Fields()))
	for _, f := range rr.Fields() {
		wf, ok := wfields[f.Name()]
		for _, a := range f.Aliases() {
			if ok {
				break
			}
			wf, ok = wfields[a]
		}
		if !ok {
			if f.HasDefault() {
				out[f.Name()] = c.defaultValue(f.Default())
			} else {
				out[f.Name()] = nil
			}
			continue
		}
		out[f.Name()] = c.project(m[wf.Name()], wf.Type(), f.Type())
	}
	return out
}

// nonNullBranch returns the non-null branch of a [null, X] union, else s.
func nonNullBranch(s avro.Schema) avro.Schema {
	u, ok := derefSchema(s).(*avro.UnionSchema)
	if !ok || len(u.Types()) != 2 {
		return s
	}
	if u.Types()[0].Type() == avro.Null {
		return u.Types()[1]
	}
	if u.Types()[1].Type() == avro.Null {
		return u.Types()[0]
	}
	return s
}

// defaultValue converts a field default as hamba/avro parsed it into the decoder's value forms.
func (c *avroConv) defaultValue(d any) any {
	switch x := d.(type) {
	case nil:
		return nil
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case float32:
		return float64(x)
	case float64:
		return x
	case []byte:
		return c.bytesValue(x)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e != nil {
				out = append(out, c.defaultValue(e))
			}
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = c.defaultValue(e)
		}
		return out
	}
	return d
}
