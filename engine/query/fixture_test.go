package query

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
)

// mrow is one generated row: the naive model queries are checked against.
type mrow struct {
	t       int64
	page    string   // never null
	country string   // "" is null
	tags    []string // nil is null
	user    string
	num     *int64 // long dimension with nulls
	score   *float64
	count   int64
	added   int64
	delta   float64
}

// wikiMeta is the schema of the "wiki" test datasource.
func wikiMeta(ds string, iv segment.Interval, version string, partition int) segment.Metadata {
	agg := func(s string) json.RawMessage { return json.RawMessage(s) }
	return segment.Metadata{
		DataSource: ds, Interval: iv, Version: version, Partition: partition,
		Dimensions: []segment.DimensionSchema{
			{Name: "page", Type: segment.TypeString},
			{Name: "country", Type: segment.TypeString},
			{Name: "tags", Type: segment.TypeString, MultiValue: true},
			{Name: "user", Type: segment.TypeString},
			{Name: "num", Type: segment.TypeLong},
			{Name: "score", Type: segment.TypeDouble},
		},
		Metrics: []segment.MetricSchema{
			{Name: "count", Type: segment.TypeLong, Aggregator: agg(`{"type":"count","name":"count"}`)},
			{Name: "added", Type: segment.TypeLong, Aggregator: agg(`{"type":"longSum","name":"added","fieldName":"added"}`)},
			{Name: "delta", Type: segment.TypeDouble, Aggregator: agg(`{"type":"doubleSum","name":"delta","fieldName":"delta"}`)},
			{Name: "uniq", Type: segment.TypeComplex, ComplexType: "hyperUnique", Aggregator: agg(`{"type":"hyperUnique","name":"uniq","fieldName":"user"}`)},
			{Name: "lastPage", Type: segment.TypeComplex, ComplexType: "serializablePairLongString", Aggregator: agg(`{"type":"stringLast","name":"lastPage","fieldName":"page"}`)},
			{Name: "firstAdded", Type: segment.TypeComplex, ComplexType: "serializablePairLongLong", Aggregator: agg(`{"type":"longFirst","name":"firstAdded","fieldName":"added"}`)},
		},
		QueryGranularity: "NONE",
	}
}

var (
	pages     = []string{"Main", "Apple", "Banana", "Cherry", "Date", "Elder", "Fig", "Grape", "Kiwi", "Lemon", "Mango", "Nut"}
	countries = []string{"", "US", "FR", "DE", "JP", "BR"}
	tagVals   = []string{"a", "b", "c", "d"}
)

// genRows generates n time-sorted rows in [start, start+span).
func genRows(rng *rand.Rand, n int, start, span int64, users int) []mrow {
	rows := make([]mrow, n)
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = start + rng.Int64N(span)
	}
	slices.Sort(ts)
	for i := range rows {
		r := mrow{t: ts[i], page: pages[rng.IntN(len(pages))], country: countries[rng.IntN(len(countries))],
			user: fmt.Sprintf("u%04d", rng.IntN(users)), count: 1, added: rng.Int64N(1000) - 100, delta: rng.Float64()*10 - 2}
		switch k := rng.IntN(4); k {
		case 0: // null
		default:
			for _, v := range rng.Perm(len(tagVals))[:k] {
				r.tags = append(r.tags, tagVals[v])
			}
			slices.Sort(r.tags)
		}
		if rng.IntN(5) != 0 {
			n := rng.Int64N(50)
			r.num = &n
		}
		if rng.IntN(3) != 0 {
			s := float64(rng.IntN(100)) / 4
			r.score = &s
		}
		rows[i] = r
	}
	return rows
}

func hllBytes(values ...string) []byte {
	sk := hyperloglog.New14()
	for _, v := range values {
		sk.Insert([]byte(v))
	}
	b, err := sk.AppendBinary(nil)
	if err != nil {
		panic(err)
	}
	return b
}

func pairString(t int64, s string) []byte {
	return append(append(binary.BigEndian.AppendUint64(nil, uint64(t)), 0), s...)
}

func pairLong(t int64, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(binary.BigEndian.AppendUint64(nil, uint64(t)), 0), uint64(v))
}

// writeSegment writes rows as one segment under dir.
func writeSegment(tb testing.TB, dir string, meta segment.Metadata, rows []mrow) {
	tb.Helper()
	w, err := segment.NewWriter(dir, meta, segment.DefaultIndexSpec())
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range rows {
		r := segment.Row{Time: m.t, Dims: make([]segment.DimValue, 6), Metrics: make([]segment.MetricValue, 6)}
		r.Dims[0] = segment.DimValue{Str: m.page}
		r.Dims[1] = segment.DimValue{Str: m.country, Null: m.country == ""}
		r.Dims[2] = segment.DimValue{Strs: m.tags, Null: m.tags == nil}
		r.Dims[3] = segment.DimValue{Str: m.user}
		if m.num != nil {
			r.Dims[4] = segment.DimValue{Long: *m.num}
		} else {
			r.Dims[4] = segment.DimValue{Null: true}
		}
		if m.score != nil {
			r.Dims[5] = segment.DimValue{Double: *m.score}
		} else {
			r.Dims[5] = segment.DimValue{Null: true}
		}
		r.Metrics[0] = segment.MetricValue{Long: m.count}
		r.Metrics[1] = segment.MetricValue{Long: m.added}
		r.Metrics[2] = segment.MetricValue{Double: m.delta}
		r.Metrics[3] = segment.MetricValue{Bytes: hllBytes(m.user)}
		r.Metrics[4] = segment.MetricValue{Bytes: pairString(m.t, m.page)}
		r.Metrics[5] = segment.MetricValue{Bytes: pairLong(m.t, m.added)}
		if err := w.Add(&r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// cluster is a metadata store, deep storage and a loader over them.
type cluster struct {
	root   string
	store  *embedded.Store
	deep   storage.Deep
	loader *Loader
	engine *Engine
	n      int
}

func newCluster(tb testing.TB, root string) *cluster {
	tb.Helper()
	st, err := embedded.Open(filepath.Join(root, "meta"))
	if err != nil {
		tb.Fatal(err)
	}
	c := &cluster{root: root, store: st, deep: &storage.Local{Root: filepath.Join(root, "deep")}}
	c.loader = NewLoader(st, c.deep, filepath.Join(root, "cache"), LoaderOptions{Poll: 50 * time.Millisecond})
	c.engine = New(c.loader)
	return c
}

func (c *cluster) close() { c.store.Close() }

// publish writes, pushes and publishes one segment and returns its id.
func (c *cluster) publish(tb testing.TB, ds string, start, end time.Time, version string, partition int, rows []mrow) string {
	tb.Helper()
	ctx := context.Background()
	c.n++
	dir := filepath.Join(c.root, "build", fmt.Sprint(c.n))
	iv := segment.Interval{Start: start, End: end}
	writeSegment(tb, dir, wikiMeta(ds, iv, version, partition), rows)
	id := metadata.SegmentID{DataSource: ds, Start: start, End: end, Version: version, Partition: partition}
	ls, size, err := c.deep.Push(ctx, dir, id)
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{
		"dataSource": ds, "interval": iv.String(), "version": version, "loadSpec": ls,
		"dimensions": "page,country,tags,user,num,score", "metrics": "count,added,delta,uniq,lastPage,firstAdded",
		"shardSpec":     map[string]any{"type": "numbered", "partitionNum": partition, "partitions": 0},
		"binaryVersion": int(segment.CurrentFormat), "size": size, "identifier": id.String(), "numRows": len(rows),
	})
	seg := metadata.NewSegment(id)
	seg.Payload, seg.NumRows, seg.Size = payload, int64(len(rows)), size
	if err := c.store.Publish(ctx, metadata.PublishRequest{DataSource: ds, Segments: []metadata.Segment{seg}}); err != nil {
		tb.Fatal(err)
	}
	os.RemoveAll(dir)
	return id.String()
}
