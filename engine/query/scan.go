package query

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

type scanResult struct {
	SegmentID string   `json:"segmentId"`
	Columns   []string `json:"columns"`
	Events    []any    `json:"events"`
}

const defaultBatchSize = 20480

// runScan is Druid's ScanQueryEngine with order "none": segments in time
// order, rows in stored order, offset then limit over the whole result,
// events in batches of batchSize per segment.
func runScan(ctx context.Context, e *Engine, q rawQuery) (any, error) {
	c, err := parseCommon(q, true)
	if err != nil {
		return nil, err
	}
	var columns []string
	var limit, offset int64
	batchSize := defaultBatchSize
	format := "list"
	order := "none"
	legacy := false
	for f, dst := range map[string]any{"columns": &columns, "limit": &limit, "offset": &offset, "batchSize": &batchSize,
		"resultFormat": &format, "order": &order, "legacy": &legacy} {
		if err := q.decode(f, dst); err != nil {
			return nil, err
		}
	}
	switch format {
	case "list", "compactedList":
	default:
		return nil, badQuery("resultFormat", "unsupported result format %q (expected list or compactedList)", format)
	}
	if order != "none" {
		return nil, badQuery("order", "unsupported order %q (only none)", order)
	}
	if legacy {
		return nil, badQuery("legacy", "legacy scan results are not supported")
	}
	if limit < 0 || offset < 0 || batchSize <= 0 {
		return nil, badQuery("limit", "limit and offset must not be negative, batchSize must be positive")
	}
	if limit == 0 {
		limit = math.MaxInt64
	}
	refs, err := e.lookup(ctx, c)
	if err != nil {
		return nil, err
	}
	defer releaseRefs(refs)
	out := []scanResult{}
	skip, left := offset, limit
	for _, ref := range refs {
		if left == 0 {
			break
		}
		sc, err := newSegCtx(ctx, ref, c)
		if err != nil {
			return nil, err
		}
		rows, err := evalFilter(sc, c.filter)
		if err != nil {
			return nil, err
		}
		cols := columns
		if len(cols) == 0 {
			cols = allColumns(sc.cols.Metadata())
		}
		readers := make([]*column, len(cols))
		for i, name := range cols {
			if readers[i], err = sc.column(name); err != nil {
				return nil, err
			}
		}
		n := int64(rows.GetCardinality())
		if skip >= n {
			skip -= n
			continue
		}
		sel := rows
		if skip > 0 {
			first, _ := rows.Select(uint32(skip))
			sel = roaring.AndNot(rows, roaringRange(0, first))
			skip = 0
		}
		batch := scanResult{SegmentID: ref.Segment.ID(), Columns: cols}
		err = forRows(ctx, sel, func(row int) {
			if left == 0 {
				return
			}
			left--
			if format == "list" {
				ev := &resultRow{keys: cols, vals: make([]any, len(cols))}
				for i, col := range readers {
					ev.vals[i] = scanValue(col, row)
				}
				batch.Events = append(batch.Events, ev)
			} else {
				ev := make([]any, len(cols))
				for i, col := range readers {
					ev[i] = scanValue(col, row)
				}
				batch.Events = append(batch.Events, ev)
			}
			if len(batch.Events) == batchSize {
				out = append(out, batch)
				batch = scanResult{SegmentID: ref.Segment.ID(), Columns: cols}
			}
		})
		if err != nil {
			return nil, err
		}
		if len(batch.Events) > 0 {
			out = append(out, batch)
		}
	}
	return out, nil
}

func roaringRange(lo, hi uint32) *roaring.Bitmap {
	bm := roaring.New()
	bm.AddRange(uint64(lo), uint64(hi))
	return bm
}

// allColumns is a segment's columns in Druid's scan order: __time,
// dimensions, metrics.
func allColumns(m segment.Metadata) []string {
	cols := []string{segment.TimeColumn}
	for _, d := range m.Dimensions {
		cols = append(cols, d.Name)
	}
	for _, mt := range m.Metrics {
		cols = append(cols, mt.Name)
	}
	return cols
}

// scanValue renders row i of c as Druid's scan does: __time and longs as
// numbers, multi-value strings as arrays, pairs as {"lhs","rhs"}, sketches
// as base64 bytes.
func scanValue(c *column, i int) any {
	switch c.kind {
	case colString:
		ids := c.rowIDs(i)
		if len(ids) == 1 {
			if ids[0] == 0 {
				return nil
			}
			return c.dict[ids[0]]
		}
		vals := make([]string, len(ids))
		for k, id := range ids {
			vals[k] = c.dict[id]
		}
		return vals
	case colLong:
		if c.isNull(i) {
			return nil
		}
		return c.longs[i]
	case colFloat, colDouble:
		if c.isNull(i) {
			return nil
		}
		return c.doubles[i]
	case colComplex:
		return complexValue(c.complexType, c.blobs[i])
	}
	return nil
}

type pairValue struct {
	LHS int64 `json:"lhs"`
	RHS any   `json:"rhs"`
}

func complexValue(typ string, b []byte) any {
	switch typ {
	case "serializablePairLongLong", "serializablePairLongDouble", "serializablePairLongFloat", "serializablePairLongString":
		if len(b) < 9 {
			return nil
		}
		p := pairValue{LHS: int64(binary.BigEndian.Uint64(b))}
		if b[8] == 1 {
			return p
		}
		v := b[9:]
		switch {
		case typ == "serializablePairLongString":
			p.RHS = string(v)
		case typ == "serializablePairLongLong" && len(v) == 8:
			p.RHS = int64(binary.BigEndian.Uint64(v))
		case typ == "serializablePairLongDouble" && len(v) == 8:
			p.RHS = math.Float64frombits(binary.BigEndian.Uint64(v))
		case typ == "serializablePairLongFloat" && len(v) == 4:
			p.RHS = float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
		}
		return p
	case jsonComplexType: // a complex value of inline rows, as the query wrote it
		if b == nil {
			return nil
		}
		return json.RawMessage(b)
	case "string": // stringAny: null flag then bytes
		if len(b) < 1 || b[0] == 1 {
			return nil
		}
		return string(b[1:])
	}
	return append([]byte(nil), b...)
}
