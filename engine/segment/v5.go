package segment

import (
	"encoding/binary"

	"github.com/RoaringBitmap/roaring/v2"
)

// Format v5 (docs/segment-format.md, "Bitmaps"): a bitmap of one row in a
// single-value column is stored as bitmapTagOne alone. Its row is where the
// column's ids hold its id, so the stored bitmap repeated what the ids
// already say; on wikiticker most comments, pages and users occur once, and
// their one-row bitmaps took 2.1 of the look-alike's 39.2 B/row in v4
// (about 2.7 bytes each after zstd). The reader already passes over the ids to rebuild the rest
// bitmap (v4), and fills the one-row bitmaps in that same pass.

// oneRowRoaringLen is the length of the portable roaring serialisation of
// a one-row bitmap (cookie, container count, key and cardinality, offset,
// the row's low 16 bits), as appendRowsRoaring writes it.
const oneRowRoaringLen = 18

// appendOneRowRoaring appends the portable roaring serialisation of the
// bitmap {row}: the bytes of appendRowsRoaring(out, []uint32{row}), without
// its per-call slices (a column may have tens of thousands of these).
func appendOneRowRoaring(out []byte, row uint32) []byte {
	out = binary.LittleEndian.AppendUint32(out, 12346) // no-run cookie
	out = binary.LittleEndian.AppendUint32(out, 1)     // one container
	out = binary.LittleEndian.AppendUint16(out, uint16(row>>16))
	out = binary.LittleEndian.AppendUint16(out, 0) // cardinality − 1
	out = binary.LittleEndian.AppendUint32(out, 16)
	return binary.LittleEndian.AppendUint16(out, uint16(row))
}

// derivedBitmaps rebuilds the bitmaps of a single-value column that its
// bitmaps part stores as a tag alone: the rest bitmap (id rest, or -1 for
// none) and the one-row bitmaps (ids whose one[id] is set). In a
// single-value column row r holds exactly one id, ids[r], so one pass over
// the ids finds every such row. A one-row id that no row or two rows hold
// is corruption.
func derivedBitmaps(bms [][]byte, ids []int32, rest int32, one []bool, ones int) error {
	var restRows []uint32
	if rest >= 0 {
		// The rest is the largest bitmap: often most of the rows.
		restRows = make([]uint32, 0, len(ids))
	}
	buf := make([]byte, 0, ones*oneRowRoaringLen)
	seen := 0
	for row, id := range ids {
		switch {
		case id == rest:
			restRows = append(restRows, uint32(row))
		case ones > 0 && int(id) < len(one) && id >= 0 && one[id]:
			if bms[id] != nil {
				return corruptf("one-row bitmap of id %d: rows %d and more", id, row)
			}
			at := len(buf)
			buf = appendOneRowRoaring(buf, uint32(row))
			bms[id] = buf[at:len(buf):len(buf)]
			seen++
		}
	}
	if seen != ones {
		for id, o := range one {
			if o && bms[id] == nil {
				return corruptf("one-row bitmap of id %d: no row holds the id", id)
			}
		}
	}
	if rest >= 0 {
		bm := roaring.New()
		bm.AddMany(restRows)
		bm.RunOptimize()
		out, err := bm.ToBytes()
		if err != nil {
			return corruptf("rest bitmap: %v", err)
		}
		bms[rest] = out
	}
	return nil
}
