package segment

import (
	"encoding/binary"
	"hash/crc32"
	"math"
)

// castagnoli is the CRC32C table used for every checksum in a segment.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendU32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }
func appendU64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

func appendUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decbuf decodes big-endian fields from a byte slice. Its first failure is
// sticky: later reads return zero values, so a decoder reads many fields and
// checks Err once (as Prometheus' encoding.Decbuf).
type decbuf struct {
	b   []byte
	err error
	// from is the version of the segment the bytes are from, 0 for this
	// build's own: its parts (readPartIndex) take it, see part.from.
	from FormatVersion
}

func (d *decbuf) fail(what string) {
	if d.err == nil {
		d.err = corruptf("truncated %s", what)
	}
	d.b = nil
}

// Err returns the first failure.
func (d *decbuf) Err() error { return d.err }

// Len returns the number of unread bytes.
func (d *decbuf) Len() int { return len(d.b) }

// done reports trailing bytes as corruption and returns the sticky error.
func (d *decbuf) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = corruptf("%d trailing bytes after %s", len(d.b), what)
	}
	return d.err
}

func (d *decbuf) byte1(what string) byte {
	if len(d.b) < 1 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decbuf) be64(what string) uint64 {
	if len(d.b) < 8 {
		d.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decbuf) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a uvarint that must not exceed limit (a bound derived from the
// remaining input, so corrupt counts cannot trigger huge allocations).
func (d *decbuf) count(what string, limit int) int {
	v := d.uvarint(what)
	if d.err == nil && v > uint64(limit) {
		d.err = corruptf("%s %d exceeds limit %d", what, v, limit)
		d.b = nil
		return 0
	}
	return int(v)
}

func (d *decbuf) bytes(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.fail(what)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// uvarintBytes reads a <uvarint length> + bytes field.
func (d *decbuf) uvarintBytes(what string) []byte {
	n := d.count(what+" length", len(d.b))
	return d.bytes(n, what)
}

// appendLongs appends v as 8-byte big-endian values.
func appendLongs(dst []byte, v []int64) []byte {
	for _, x := range v {
		dst = binary.BigEndian.AppendUint64(dst, uint64(x))
	}
	return dst
}

// appendFloats appends v as 4-byte big-endian IEEE-754 values.
func appendFloats(dst []byte, v []float32) []byte {
	for _, x := range v {
		dst = binary.BigEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst
}

// appendDoubles appends v as 8-byte big-endian IEEE-754 values.
func appendDoubles(dst []byte, v []float64) []byte {
	for _, x := range v {
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

// appendInts appends v as width-byte (1–4) big-endian unsigned values.
func appendInts(dst []byte, v []int32, width int) []byte {
	switch width {
	case 1:
		for _, x := range v {
			dst = append(dst, byte(x))
		}
	case 2:
		for _, x := range v {
			dst = append(dst, byte(x>>8), byte(x))
		}
	case 3:
		for _, x := range v {
			dst = append(dst, byte(x>>16), byte(x>>8), byte(x))
		}
	default:
		for _, x := range v {
			dst = binary.BigEndian.AppendUint32(dst, uint32(x))
		}
	}
	return dst
}

// appendBits packs the low w bits (0 < w ≤ 64) of each value, most
// significant bit first, padding the last byte with zero bits.
func appendBits(dst []byte, vals []uint64, w uint) []byte {
	var acc uint64
	var n uint
	for _, v := range vals {
		rem := w
		for rem > 0 {
			c := min(rem, 32)
			rem -= c
			acc = acc<<c | (v>>rem)&(1<<c-1)
			n += c
			for n >= 8 {
				n -= 8
				dst = append(dst, byte(acc>>n))
			}
		}
	}
	if n > 0 {
		dst = append(dst, byte(acc<<(8-n)))
	}
	return dst
}

// readBits is the inverse of appendBits: it fills out with len(out) values of
// w bits each. src must hold at least ceil(len(out)*w/8) bytes.
func readBits(out []uint64, src []byte, w uint) {
	var acc uint64
	var n uint
	pos := 0
	for i := range out {
		var v uint64
		rem := w
		for rem > 0 {
			for n < 32 && pos < len(src) {
				acc = acc<<8 | uint64(src[pos])
				pos++
				n += 8
			}
			c := min(rem, 32)
			n -= c
			v = v<<c | (acc>>n)&(1<<c-1)
			rem -= c
		}
		out[i] = v
	}
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
