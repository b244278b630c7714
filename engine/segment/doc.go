// Package segment implements kafka-indexer's immutable columnar segment, our
// own format (docs/segment-format.md, versioned by FormatVersion). It plays the
// part of Apache Druid's v9 segment but is not that format: Druid and its tools
// (DumpSegment) cannot read it, and this package cannot read Druid's segments.
// The version a published segment's DataSegment carries as binaryVersion is
// CurrentFormat.
//
// A segment directory holds three files:
//
//	version.bin   magic and format version (named after Druid's file, not its content)
//	index.seg     header, one length-prefixed, CRC32C-checked section per column, a TOC and a footer
//	meta.json     a small summary with its own "version" field, written by temp file + fsync + rename
//
// The byte layout is specified in docs/segment-format.md; that document and
// the constants in format.go are frozen: any change to the bytes written needs
// a new FormatVersion (TestGolden in golden_test.go fails otherwise).
//
// The columns borrow their ideas from Druid's IndexMergerV9 layout, in our own bytes:
//
//   - __time: a long column (epoch milliseconds, UTC), non-decreasing.
//   - string dimensions: a sorted UTF-8 dictionary with null at id 0
//     (Druid's SQL-compatible null handling; the empty string is folded into
//     null as in Druid's legacy default-value mode), a fixed-width id column
//     (1–4 bytes per id, the minimum for the largest id, as Druid's
//     CompressedVSizeColumnarInts) and one roaring bitmap per dictionary value
//     (RunOptimize before serialisation, Druid's compressRunOnSerialization).
//     Multi-value rows are stored as per-row value counts plus the flattened
//     ids; every value of a row has that row in its bitmap.
//   - numeric dimensions and metrics: long, float or double columns in blocks
//     of 64 KiB of uncompressed values (Druid's CompressedPools.BUFFER_SIZE),
//     plus a null bitmap for numeric dimensions.
//   - complex metrics (hyperUnique, sketches, serializablePairLongString …):
//     length-prefixed opaque blobs in ~64 KiB blocks.
//
// Usage:
//
//	w, err := segment.NewWriter(dir, meta, segment.DefaultIndexSpec())
//	for _, r := range rows { err = w.Add(&r) } // sorted by time
//	err = w.Close()                            // fsync + rename <dir>.tmp-for-creation → dir
//	r, err := segment.Open(dir)
//	it := r.Rows()
//	for it.Next() { _ = it.Row() }
//
// Memory: neither side grows with the row count. The Writer encodes each
// column block by block as rows arrive and spools the blocks (and the
// provisional ids of string columns) to temporary files in the
// .tmp-for-creation directory; Finish sorts each dictionary, remaps the
// spooled ids in a streaming pass, builds the bitmaps in bounded passes and
// copies the sections into index.seg, computing CRCs as it copies. What stays
// in memory is the dictionaries, the null bitmaps and one block per column.
// Open verifies every CRC by streaming the data file and keeps it open;
// accessors read the sections they need, and Rows reads one block per column
// at a time (large dictionaries are read value by value), so Merge over many
// spills holds none of them decoded.
//
// Order: the writer keeps rows in the order they were added (it only refuses
// decreasing timestamps), and the reader returns them in that stored order.
// Merge produces rows sorted by (time, dimensions in schema order).
package segment
