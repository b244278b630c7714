package segment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// stage is the writer's position in the file; every public method and every
// section goes through ensureStage, so sections are written in file order.
type stage uint8

const (
	stageRows       stage = iota // accepting Add
	stageTime                    // header, metadata and __time written
	stageDimensions              // dimension columns written
	stageMetrics                 // metric columns written
	stageFooter                  // TOC and footer written, files synced
	stageDone                    // renamed into place, or aborted
)

func (s stage) String() string {
	switch s {
	case stageRows:
		return "rows"
	case stageTime:
		return "time"
	case stageDimensions:
		return "dimensions"
	case stageMetrics:
		return "metrics"
	case stageFooter:
		return "footer"
	case stageDone:
		return "done"
	}
	return fmt.Sprintf("stage(%d)", uint8(s))
}

// Writer builds one segment directory. Rows are buffered column by column in
// memory and encoded on Close; it is not safe for concurrent use.
type Writer struct {
	dir, tmp string
	meta     Metadata
	spec     IndexSpec
	stage    stage

	numRows  int
	lastTime int64
	times    []int64
	dims     []dimCol
	metrics  []metricCol

	// Encoding state, used from stageTime on.
	f       *os.File
	bw      *bufio.Writer
	off     uint64
	toc     []byte
	tocN    int
	payload []byte
	bmBuf   bytes.Buffer
	dimPW   partWriter
	metPW   partWriter
}

type dimCol struct {
	schema DimensionSchema
	// string columns
	dict   map[string]int32 // value → provisional id; "" (null) is 0
	vals   []string         // provisional id → value
	ids    []int32          // one per value (single-value: one per row)
	counts []int32          // multi-value: values per row
	// numeric columns
	num   numCol
	nulls *roaring.Bitmap
}

type metricCol struct {
	schema MetricSchema
	num    numCol
	blobs  []byte
	offs   []int
}

type numCol struct {
	longs   []int64
	floats  []float32
	doubles []float64
}

func (c *numCol) add(t ColumnType, l int64, d float64) {
	switch t {
	case TypeLong:
		c.longs = append(c.longs, l)
	case TypeFloat:
		c.floats = append(c.floats, float32(d))
	case TypeDouble:
		c.doubles = append(c.doubles, d)
	}
}

// NewWriter starts a segment that Close will publish at dir. It builds into
// dir + ".tmp-for-creation", removing any leftover of an earlier crash; dir
// itself must not exist.
func NewWriter(dir string, meta Metadata, spec IndexSpec) (*Writer, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if err := meta.validate(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("segment: create %s: already exists", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("segment: create %s: %w", dir, err)
	}
	w := &Writer{dir: filepath.Clean(dir), meta: meta, spec: spec}
	w.tmp = w.dir + tmpForCreation
	if err := os.RemoveAll(w.tmp); err != nil {
		return nil, fmt.Errorf("segment: remove leftover %s: %w", w.tmp, err)
	}
	if err := os.MkdirAll(w.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("segment: create %s: %w", w.tmp, err)
	}
	w.meta.Dimensions = slices.Clone(meta.Dimensions)
	w.meta.Metrics = slices.Clone(meta.Metrics)
	w.dims = make([]dimCol, len(meta.Dimensions))
	for i, d := range meta.Dimensions {
		w.dims[i].schema = d
		if d.Type == TypeString {
			w.dims[i].dict = map[string]int32{"": 0}
			w.dims[i].vals = []string{""}
		} else {
			w.dims[i].nulls = roaring.New()
		}
	}
	w.metrics = make([]metricCol, len(meta.Metrics))
	for i, m := range meta.Metrics {
		w.metrics[i].schema = m
		if m.Type == TypeComplex {
			w.metrics[i].offs = []int{0}
		}
	}
	dc, _ := parseCompression(spec.DimensionCompression)
	mc, _ := parseCompression(spec.MetricCompression)
	w.dimPW = partWriter{comp: dc, auto: spec.LongEncoding == "auto"}
	w.metPW = partWriter{comp: mc, auto: spec.LongEncoding == "auto"}
	return w, nil
}

// ensureStage moves the writer to stage s, refusing to go back or to act
// after it finished.
func (w *Writer) ensureStage(s stage) error {
	if w.stage == stageDone {
		return ErrClosed
	}
	if w.stage > s {
		return fmt.Errorf("segment: writer at stage %v cannot go back to %v", w.stage, s)
	}
	w.stage = s
	return nil
}

// Add appends one row. Rows must be non-decreasing by Time; Dims and Metrics
// must follow the schema order. Add copies what it keeps, so r may be reused.
// Strings are kept by reference (Go strings are immutable).
func (w *Writer) Add(r *Row) error {
	if err := w.ensureStage(stageRows); err != nil {
		return err
	}
	if len(r.Dims) != len(w.dims) || len(r.Metrics) != len(w.metrics) {
		return fmt.Errorf("segment: add row %d: %d dimensions and %d metrics, schema has %d and %d",
			w.numRows, len(r.Dims), len(r.Metrics), len(w.dims), len(w.metrics))
	}
	if w.numRows > 0 && r.Time < w.lastTime {
		return fmt.Errorf("segment: add row %d: time %d (%s) is before previous row's time %d (%s)", w.numRows,
			r.Time, time.UnixMilli(r.Time).UTC().Format(isoMillis), w.lastTime, time.UnixMilli(w.lastTime).UTC().Format(isoMillis))
	}
	if w.numRows == math.MaxInt32 {
		return fmt.Errorf("segment: add row: segment full at %d rows", w.numRows)
	}
	for i := range w.dims {
		c, v := &w.dims[i], &r.Dims[i]
		switch {
		case c.schema.Type != TypeString:
			if v.Null {
				c.nulls.Add(uint32(w.numRows))
				c.num.add(c.schema.Type, 0, 0)
			} else {
				c.num.add(c.schema.Type, v.Long, v.Double)
			}
		case !c.schema.MultiValue:
			if v.Null {
				c.ids = append(c.ids, 0)
			} else {
				c.ids = append(c.ids, c.id(v.Str))
			}
		case v.Null || len(v.Strs) == 0:
			c.ids = append(c.ids, 0)
			c.counts = append(c.counts, 1)
		default:
			for _, s := range v.Strs {
				c.ids = append(c.ids, c.id(s))
			}
			c.counts = append(c.counts, int32(len(v.Strs)))
		}
	}
	for i := range w.metrics {
		c, v := &w.metrics[i], &r.Metrics[i]
		if c.schema.Type == TypeComplex {
			c.blobs = append(c.blobs, v.Bytes...)
			c.offs = append(c.offs, len(c.blobs))
		} else {
			c.num.add(c.schema.Type, v.Long, v.Double)
		}
	}
	w.times = append(w.times, r.Time)
	w.lastTime = r.Time
	w.numRows++
	return nil
}

// id returns the provisional dictionary id of s, adding it if new.
func (c *dimCol) id(s string) int32 {
	if id, ok := c.dict[s]; ok {
		return id
	}
	id := int32(len(c.vals))
	c.dict[s] = id
	c.vals = append(c.vals, s)
	return id
}

// NumRows returns the number of rows added so far.
func (w *Writer) NumRows() int { return w.numRows }

// Close finishes the segment; see Finish. Close after Finish or Abort
// returns nil.
func (w *Writer) Close() error {
	if w.stage == stageDone {
		return nil
	}
	return w.Finish()
}

// Finish encodes every column into <dir>.tmp-for-creation, fsyncs the files
// and the directory, and renames it to dir. On failure the temporary
// directory is removed.
func (w *Writer) Finish() (err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, w.Abort())
		}
	}()
	if err := w.ensureStage(stageTime); err != nil {
		return err
	}
	w.meta.NumRows = int64(w.numRows)
	if err := w.writeHeader(); err != nil {
		return err
	}
	if err := w.writeColumns(); err != nil {
		return err
	}
	size, err := w.writeFooter()
	if err != nil {
		return err
	}
	if err := w.writeSidecars(size); err != nil {
		return err
	}
	if err := syncDir(w.tmp); err != nil {
		return err
	}
	if err := os.Rename(w.tmp, w.dir); err != nil {
		return fmt.Errorf("segment: publish %s: %w", w.dir, err)
	}
	w.stage = stageDone
	return syncDir(filepath.Dir(w.dir))
}

// Abort discards the segment and removes the temporary directory.
func (w *Writer) Abort() error {
	if w.stage == stageDone {
		return nil
	}
	w.stage = stageDone
	if w.f != nil {
		_ = w.f.Close()
		w.f = nil
	}
	w.times, w.dims, w.metrics = nil, nil, nil
	if err := os.RemoveAll(w.tmp); err != nil {
		return fmt.Errorf("segment: abort %s: %w", w.tmp, err)
	}
	return nil
}

// metadataSection is the JSON payload of the metadata section.
type metadataSection struct {
	Metadata  Metadata  `json:"metadata"`
	IndexSpec IndexSpec `json:"indexSpec"`
}

func (w *Writer) writeHeader() error {
	f, err := os.Create(filepath.Join(w.tmp, DataFile))
	if err != nil {
		return fmt.Errorf("segment: create data file: %w", err)
	}
	w.f = f
	w.bw = bufio.NewWriterSize(f, 1<<20)
	hdr := appendU32(nil, MagicSegment)
	hdr = append(hdr, byte(CurrentFormat))
	w.bw.Write(hdr)
	w.off = uint64(len(hdr))
	js, err := json.Marshal(metadataSection{Metadata: w.meta, IndexSpec: w.spec})
	if err != nil {
		return fmt.Errorf("segment: encode metadata: %w", err)
	}
	return w.writeSection(sectionMetadata, "", js)
}

// writeSection frames payload as <4b len> payload <4b CRC32C> and records it
// in the TOC.
func (w *Writer) writeSection(kind sectionKind, name string, payload []byte) error {
	if len(payload) > math.MaxUint32 {
		return fmt.Errorf("segment: %v section %q: %d bytes exceed 4 GiB", kind, name, len(payload))
	}
	w.toc = append(w.toc, byte(kind))
	w.toc = appendString(w.toc, name)
	w.toc = appendU64(w.toc, w.off)
	w.tocN++
	return w.writeFramed(kind, name, payload)
}

// writeFramed writes <4b len> payload <4b CRC32C>.
func (w *Writer) writeFramed(kind sectionKind, name string, payload []byte) error {
	var b [4]byte
	w.bw.Write(appendU32(b[:0], uint32(len(payload))))
	w.bw.Write(payload)
	_, err := w.bw.Write(appendU32(b[:0], crc32.Checksum(payload, castagnoli)))
	if err != nil {
		return fmt.Errorf("segment: write %v section %q: %w", kind, name, err)
	}
	w.off += uint64(len(payload)) + 8
	return nil
}

func (w *Writer) writeColumns() error {
	p := append(w.payload[:0], byte(TypeLong), 0)
	p = appendUvarint(p, uint64(w.numRows))
	p = w.metPW.appendLongsPart(p, w.times)
	if err := w.writeSection(sectionColumn, TimeColumn, p); err != nil {
		return err
	}
	w.times = nil
	if err := w.ensureStage(stageDimensions); err != nil {
		return err
	}
	for i := range w.dims {
		c := &w.dims[i]
		var err error
		if c.schema.Type == TypeString {
			p, err = w.appendStringColumn(p[:0], c)
		} else {
			p, err = w.appendNumericColumn(p[:0], &w.dimPW, c.schema.Type, &c.num, c.nulls)
		}
		if err != nil {
			return err
		}
		if err := w.writeSection(sectionColumn, c.schema.Name, p); err != nil {
			return err
		}
		w.dims[i] = dimCol{}
	}
	if err := w.ensureStage(stageMetrics); err != nil {
		return err
	}
	for i := range w.metrics {
		c := &w.metrics[i]
		var err error
		if c.schema.Type == TypeComplex {
			p = append(p[:0], byte(TypeComplex), 0)
			p = appendUvarint(p, uint64(w.numRows))
			p = appendString(p, c.schema.ComplexType)
			p = w.metPW.appendBlobsPart(p, c.blobs, c.offs)
		} else {
			p, err = w.appendNumericColumn(p[:0], &w.metPW, c.schema.Type, &c.num, nil)
		}
		if err != nil {
			return err
		}
		if err := w.writeSection(sectionColumn, c.schema.Name, p); err != nil {
			return err
		}
		w.metrics[i] = metricCol{}
	}
	w.payload = p
	return nil
}

func (w *Writer) appendBitmap(dst []byte, bm *roaring.Bitmap) ([]byte, error) {
	bm.RunOptimize()
	w.bmBuf.Reset()
	if _, err := bm.WriteTo(&w.bmBuf); err != nil {
		return dst, fmt.Errorf("segment: serialize bitmap: %w", err)
	}
	dst = appendUvarint(dst, uint64(w.bmBuf.Len()))
	return append(dst, w.bmBuf.Bytes()...), nil
}

func (w *Writer) appendNumericColumn(dst []byte, pw *partWriter, t ColumnType, c *numCol, nulls *roaring.Bitmap) ([]byte, error) {
	var flags byte
	if nulls != nil {
		flags |= flagNulls
	}
	dst = append(dst, byte(t), flags)
	dst = appendUvarint(dst, uint64(w.numRows))
	if nulls != nil {
		var err error
		if dst, err = w.appendBitmap(dst, nulls); err != nil {
			return dst, err
		}
	}
	switch t {
	case TypeLong:
		dst = pw.appendLongsPart(dst, c.longs)
	case TypeFloat:
		dst = pw.appendFloatsPart(dst, c.floats)
	case TypeDouble:
		dst = pw.appendDoublesPart(dst, c.doubles)
	}
	return dst, nil
}

// appendStringColumn sorts the dictionary, rewrites ids to sorted order and
// appends dictionary, ids and one bitmap per id.
func (w *Writer) appendStringColumn(dst []byte, c *dimCol) ([]byte, error) {
	// Sorted ids: null stays 0, the rest sort by UTF-8 bytes.
	order := make([]int32, len(c.vals)-1)
	for i := range order {
		order[i] = int32(i + 1)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c.vals[a] < c.vals[b] {
			return -1
		}
		return 1
	})
	remap := make([]int32, len(c.vals))
	for newID, old := range order {
		remap[old] = int32(newID + 1)
	}
	for i, id := range c.ids {
		c.ids[i] = remap[id]
	}

	var flags byte
	if c.schema.MultiValue {
		flags |= flagMultiValue
	}
	dst = append(dst, byte(TypeString), flags)
	dst = appendUvarint(dst, uint64(w.numRows))
	dst = append(dst, bitmapRoaring)
	dst = appendUvarint(dst, uint64(len(order)))
	for _, old := range order {
		dst = appendString(dst, c.vals[old])
	}
	if c.schema.MultiValue {
		dst = w.dimPW.appendIntsPart(dst, c.counts)
	}
	dst = w.dimPW.appendIntsPart(dst, c.ids)

	// Bitmaps: counting sort of row numbers by id, then one AddMany per id.
	start := make([]int, len(c.vals)+1)
	for _, id := range c.ids {
		start[id+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	rows := make([]uint32, len(c.ids))
	pos := slices.Clone(start[:len(c.vals)])
	row, left := -1, int32(0)
	for i, id := range c.ids {
		if c.schema.MultiValue {
			if left == 0 {
				row++
				left = c.counts[row]
			}
			left--
		} else {
			row = i
		}
		rows[pos[id]] = uint32(row)
		pos[id]++
	}
	var err error
	bm := roaring.New()
	for id := range c.vals {
		bm.Clear()
		bm.AddMany(rows[start[id]:start[id+1]])
		if dst, err = w.appendBitmap(dst, bm); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (w *Writer) writeFooter() (int64, error) {
	if err := w.ensureStage(stageFooter); err != nil {
		return 0, err
	}
	toc := appendUvarint(nil, uint64(w.tocN))
	toc = append(toc, w.toc...)
	tocOff := w.off
	if err := w.writeFramed(0, "toc", toc); err != nil {
		return 0, err
	}
	ft := appendU64(nil, tocOff)
	ft = appendU32(ft, crc32.Checksum(ft, castagnoli))
	ft = appendU32(ft, MagicSegment)
	w.bw.Write(ft)
	w.off += uint64(len(ft))
	if err := w.bw.Flush(); err != nil {
		return 0, fmt.Errorf("segment: write data file: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return 0, fmt.Errorf("segment: sync data file: %w", err)
	}
	if err := w.f.Close(); err != nil {
		return 0, fmt.Errorf("segment: close data file: %w", err)
	}
	w.f = nil
	return int64(w.off), nil
}

// metaJSON is the content of meta.json: a summary for tools and a cross
// check of the data file. Version is metaJSONVersion.
type metaJSON struct {
	Version        int           `json:"version"`
	FormatVersion  FormatVersion `json:"formatVersion"`
	DataSource     string        `json:"dataSource"`
	Interval       Interval      `json:"interval"`
	SegmentVersion string        `json:"segmentVersion"`
	Partition      int           `json:"partition"`
	NumRows        int64         `json:"numRows"`
	DataFileSize   int64         `json:"dataFileSize"`
}

func (w *Writer) writeSidecars(size int64) error {
	vb := appendU32(nil, MagicSegment)
	vb = append(vb, byte(CurrentFormat))
	if err := writeFileSync(filepath.Join(w.tmp, VersionFile), vb); err != nil {
		return err
	}
	js, err := json.MarshalIndent(metaJSON{
		Version: metaJSONVersion, FormatVersion: CurrentFormat, DataSource: w.meta.DataSource,
		Interval: w.meta.Interval, SegmentVersion: w.meta.Version, Partition: w.meta.Partition,
		NumRows: w.meta.NumRows, DataFileSize: size,
	}, "", "\t")
	if err != nil {
		return fmt.Errorf("segment: encode meta.json: %w", err)
	}
	return writeFileAtomic(filepath.Join(w.tmp, MetaFile), append(js, '\n'))
}
