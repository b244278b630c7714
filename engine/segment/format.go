package segment

import "fmt"

// Persisted constants. Frozen: the values below are written to disk, so they
// must never change meaning. Add new values, never renumber.

// MagicSegment opens version.bin and index.seg ("KISG").
const MagicSegment uint32 = 0x4B495347

// File names inside a segment directory.
const (
	VersionFile = "version.bin"
	DataFile    = "index.seg"
	MetaFile    = "meta.json"
)

// Directory suffixes used for crash safety, as Prometheus TSDB blocks.
const (
	tmpForCreation = ".tmp-for-creation"
	tmpForDeletion = ".tmp-for-deletion"
)

// metaJSONVersion is the "version" field of meta.json.
const metaJSONVersion = 1

// FormatVersion is the version byte that follows MagicSegment. Versions are
// listed in the order they shipped; the enum value itself is the byte written.
type FormatVersion uint8

const (
	// FormatV1 is the first layout: metadata section, one section per
	// column, block-encoded long/float/double/id/blob parts (raw, constant or
	// frame-of-reference bit-packed longs; none or LZ4 per block), roaring
	// bitmaps and a TOC + fixed footer.
	FormatV1 FormatVersion = 1
	// FormatV2 makes segments smaller: string dictionaries and bitmaps are
	// blocked blob parts (compressed like the column's ids), __time blocks
	// are delta-encoded, dictionary ids are bit-packed to the width the
	// cardinality needs, and blocks may be zstd-compressed.
	FormatV2 FormatVersion = 2
	// FormatV3 stores small bitmaps compactly: every blob of a string
	// column's bitmaps part starts with a tag byte, and a bitmap whose
	// sorted row list is shorter than its roaring form is stored as that
	// list (varint gaps). Dictionary blocks grow to 1 MiB of raw values.
	FormatV3 FormatVersion = 3
	// FormatV4 makes the default (lz4) segment smaller: long blocks may use
	// the varbits encoding (per-value bit lengths), dictionary blocks are
	// front coded, ids blocks may be packed above their minimum, and the
	// largest bitmap of a single-value column may be stored as "the rest".
	FormatV4 FormatVersion = 4
	// FormatV5 stores a one-row bitmap of a single-value column as its tag
	// alone (its row is the one row whose id is the bitmap's, rebuilt from
	// the ids in the pass that rebuilds the rest bitmap), and ids blocks may
	// use the hot encoding (one bit for the block's most frequent id).
	FormatV5 FormatVersion = 5
)

const (
	// MinSupportedFormat is the oldest version Open reads.
	MinSupportedFormat = FormatV1
	// CurrentFormat is the version NewWriter writes.
	CurrentFormat = FormatV5
)

// Supported reports whether this build can read version v.
func (v FormatVersion) Supported() bool { return v >= MinSupportedFormat && v <= CurrentFormat }

// NullBitmaps reports whether numeric dimension columns carry a null bitmap.
func (v FormatVersion) NullBitmaps() bool { return v >= FormatV1 }

// AutoLongEncoding reports whether long blocks may use the constant and
// frame-of-reference encodings (indexSpec longEncoding=auto).
func (v FormatVersion) AutoLongEncoding() bool { return v >= FormatV1 }

// PartsForStrings reports whether string columns store their dictionary and
// bitmaps as blocked blob parts (v2) rather than as plain lists (v1).
func (v FormatVersion) PartsForStrings() bool { return v >= FormatV2 }

// TaggedBitmaps reports whether each blob of a string column's bitmaps part
// starts with a bitmap tag (bitmapTagRoaring or bitmapTagRows), v3.
func (v FormatVersion) TaggedBitmaps() bool { return v >= FormatV3 }

// V4Encodings reports whether blocks may use the v4 encodings (varbits,
// front, packedMin) and bitmaps the rest tag.
func (v FormatVersion) V4Encodings() bool { return v >= FormatV4 }

// V5Encodings reports whether ids blocks may use the hot encoding and a
// single-value column's bitmaps part bitmapTagOne blobs.
func (v FormatVersion) V5Encodings() bool { return v >= FormatV5 }

func (v FormatVersion) String() string {
	switch v {
	case FormatV1:
		return "v1"
	case FormatV2:
		return "v2"
	case FormatV3:
		return "v3"
	case FormatV4:
		return "v4"
	case FormatV5:
		return "v5"
	}
	return fmt.Sprintf("FormatVersion(%d)", uint8(v))
}

// ColumnType is the persisted type code of a column.
type ColumnType uint8

const (
	TypeString  ColumnType = 1 // dictionary-encoded UTF-8 strings
	TypeLong    ColumnType = 2 // int64
	TypeFloat   ColumnType = 3 // float32
	TypeDouble  ColumnType = 4 // float64
	TypeComplex ColumnType = 5 // opaque blobs (hyperUnique, sketches …)
)

// String returns Druid's name for the type ("string", "long", "float",
// "double", "complex").
func (t ColumnType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeLong:
		return "long"
	case TypeFloat:
		return "float"
	case TypeDouble:
		return "double"
	case TypeComplex:
		return "complex"
	}
	return fmt.Sprintf("ColumnType(%d)", uint8(t))
}

// MarshalText writes the Druid name of the type.
func (t ColumnType) MarshalText() ([]byte, error) {
	if t < TypeString || t > TypeComplex {
		return nil, fmt.Errorf("segment: unknown column type %d", uint8(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText parses a Druid type name.
func (t *ColumnType) UnmarshalText(b []byte) error {
	for c := TypeString; c <= TypeComplex; c++ {
		if c.String() == string(b) {
			*t = c
			return nil
		}
	}
	return fmt.Errorf("segment: unknown column type %q", b)
}

// sectionKind is the persisted kind of a TOC entry.
type sectionKind uint8

const (
	sectionMetadata sectionKind = 1 // JSON Metadata + IndexSpec
	sectionColumn   sectionKind = 2 // one column
)

func (k sectionKind) String() string {
	switch k {
	case sectionMetadata:
		return "metadata"
	case sectionColumn:
		return "column"
	}
	return fmt.Sprintf("sectionKind(%d)", uint8(k))
}

// compression is the persisted per-block compression code.
type compression uint8

const (
	compNone compression = 0 // stored as encoded
	compLZ4  compression = 1 // <uvarint raw length> + LZ4 block
	compZstd compression = 2 // <uvarint raw length> + one zstd frame (v2)
)

func (c compression) String() string {
	switch c {
	case compNone:
		return "none"
	case compLZ4:
		return "lz4"
	case compZstd:
		return "zstd"
	}
	return fmt.Sprintf("compression(%d)", uint8(c))
}

// encoding is the persisted per-block value encoding code.
type encoding uint8

const (
	encRaw       encoding = 0 // fixed-width big-endian values, or uvarint-length blobs
	encConstant  encoding = 1 // longs: one <8b> value repeated for the block
	encFOR       encoding = 2 // longs: <8b> minimum, <1b> bit width, big-endian bit-packed offsets
	encDelta     encoding = 3 // longs (v2): <8b> first, <8b> minimum delta, <1b> bit width, bit-packed delta offsets
	encPacked    encoding = 4 // ids (v2): <1b> bit width, bit-packed ids
	encVarbits   encoding = 5 // longs (v4): per-value bit length + bits below the leading one
	encFront     encoding = 6 // blobs (v4, dictionaries): prefix lengths, suffix lengths, suffix bytes
	encPackedMin encoding = 7 // ids (v4): <uvarint> minimum, <1b> bit width (0–32), bit-packed id − minimum
	encHot       encoding = 8 // ids (v5): <uvarint> hot id, <uvarint> minimum, <1b> width; per id a flag bit, then width bits of id − minimum unless hot
)

func (e encoding) String() string {
	switch e {
	case encRaw:
		return "raw"
	case encConstant:
		return "constant"
	case encFOR:
		return "for"
	case encDelta:
		return "delta"
	case encPacked:
		return "packed"
	case encVarbits:
		return "varbits"
	case encFront:
		return "front"
	case encPackedMin:
		return "packedMin"
	case encHot:
		return "hot"
	}
	return fmt.Sprintf("encoding(%d)", uint8(e))
}

// partKind is the persisted kind of a blocked part, fixing the width of a
// raw value.
type partKind uint8

const (
	partLongs   partKind = 1 // <8b> values
	partFloats  partKind = 2 // <4b> IEEE-754 values
	partDoubles partKind = 3 // <8b> IEEE-754 values
	partInts1   partKind = 4 // <1b> ids
	partInts2   partKind = 5 // <2b> ids
	partInts3   partKind = 6 // <3b> ids
	partInts4   partKind = 7 // <4b> ids
	partBlobs   partKind = 8 // <uvarint len> + bytes
)

func (p partKind) String() string {
	switch p {
	case partLongs:
		return "longs"
	case partFloats:
		return "floats"
	case partDoubles:
		return "doubles"
	case partInts1, partInts2, partInts3, partInts4:
		return fmt.Sprintf("ints%d", p.width())
	case partBlobs:
		return "blobs"
	}
	return fmt.Sprintf("partKind(%d)", uint8(p))
}

// width is the raw byte width of one value (0 for blobs).
func (p partKind) width() int {
	switch p {
	case partLongs, partDoubles:
		return 8
	case partFloats, partInts4:
		return 4
	case partInts1:
		return 1
	case partInts2:
		return 2
	case partInts3:
		return 3
	}
	return 0
}

// Block sizing, after Druid's CompressedPools.BUFFER_SIZE = 0x10000.
const (
	blockBytes     = 1 << 16
	blobBlockBytes = 1 << 16 // a blob block is closed once it holds ≥ this many raw bytes
	// dictBlockBytes closes a v3 dictionary block: dictionaries are decoded
	// whole when a column loads, so bigger blocks cost nothing there and let
	// zstd reuse words across more values (−16 % on comment-like text); 4 MiB stays under the 8 MiB zstd window readers accept.
	dictBlockBytes = 4 << 20
)

// valuesPerBlock is the number of values per block of a fixed-width part:
// 8192 longs/doubles, 16384 floats, and Druid's maxIntsInBufferForBytes for
// ids (65536, 32768, 16384, 16384).
func (p partKind) valuesPerBlock() int {
	switch p {
	case partInts3:
		return 1 << 14 // Druid pads 3-byte ids; 16384 per block
	case partBlobs:
		return 0
	}
	return blockBytes / p.width()
}

// column flags.
const (
	flagMultiValue = 1 << 0 // string column stores per-row counts
	flagNulls      = 1 << 1 // numeric column carries a null bitmap
)

// bitmapRoaring is the persisted bitmap type code (indexSpec bitmap=roaring).
const bitmapRoaring = 1

// v3 bitmap blob tags: the first byte of each blob of a bitmaps part.
const (
	bitmapTagRoaring = 0 // the rest is the portable roaring serialisation
	bitmapTagRows    = 1 // the rest is <uvarint n> then n <uvarint gap>s
	// bitmapTagRest (v4, single-value columns, at most one per column, no
	// bytes after the tag): every row not in another bitmap of the column.
	bitmapTagRest = 2
	// bitmapTagOne (v5, single-value columns, no bytes after the tag): a
	// bitmap of exactly one row, the row whose id is this bitmap's.
	bitmapTagOne = 3
)
