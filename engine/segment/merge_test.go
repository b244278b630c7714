package segment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// sumCombine is a rollup combine: sums count and fsum, keeps the max dsum
// and concatenates the complex blobs.
func sumCombine(dst, src *Row) {
	dst.Metrics[0].Long += src.Metrics[0].Long
	dst.Metrics[1].Double = float64(float32(dst.Metrics[1].Double + src.Metrics[1].Double))
	dst.Metrics[2].Double = math.Max(dst.Metrics[2].Double, src.Metrics[2].Double)
	dst.Metrics[3].Bytes = append(dst.Metrics[3].Bytes, src.Metrics[3].Bytes...)
}

func TestMerge(t *testing.T) {
	in := testMeta()
	out := testMeta()
	out.Dimensions = append(out.Dimensions, DimensionSchema{Name: "extra", Type: TypeString}) // absent from inputs: null
	rng := rand.New(rand.NewPCG(9, 9))
	var readers []*Reader
	var model []Row // normalized, projected to out, in input order
	for s := 0; s < 3; s++ {
		rows := genRows(rng, 500+rng.IntN(500), 3)
		for i := range rows {
			rows[i].Time = t0.UnixMilli() + int64(rng.IntN(20)) // many equal times
			d := rows[i].Dims
			if len(d[1].Strs) > 1 {
				d[1].Strs = d[1].Strs[:1+rng.IntN(2)]
			}
			d[3].Long %= 2
			d[4].Double = float64(rng.IntN(2))
			d[5] = DimValue{Null: rng.IntN(2) == 0}
			rows[i] = normalize(in, rows[i])
		}
		slices.SortStableFunc(rows, func(a, b Row) int { return compareRows(in.Dimensions, &a, &b) })
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("spill%d", s))
		writeSegment(t, dir, in, DefaultIndexSpec(), rows)
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, r)
		for _, row := range rows {
			row.Dims = append(slices.Clone(row.Dims), DimValue{Null: true})
			model = append(model, row)
		}
	}
	slices.SortStableFunc(model, func(a, b Row) int { return compareRows(out.Dimensions, &a, &b) })

	var rolled []Row
	for _, r := range model {
		if n := len(rolled); n > 0 && compareRows(out.Dimensions, &rolled[n-1], &r) == 0 {
			sumCombine(&rolled[n-1], &r)
			continue
		}
		rolled = append(rolled, *r.Clone())
	}
	if len(rolled) == len(model) {
		t.Fatal("test data has nothing to roll up")
	}

	for _, tc := range []struct {
		name    string
		combine func(dst, src *Row)
		want    []Row
	}{
		{name: "keep-all", want: model},
		{name: "rollup", combine: sumCombine, want: rolled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "merged")
			if err := Merge(dst, out, DefaultIndexSpec(), readers, tc.combine); err != nil {
				t.Fatal(err)
			}
			r, err := Open(dst)
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, r)
			if len(got) != len(tc.want) || r.Metadata().NumRows != int64(len(tc.want)) {
				t.Fatalf("got %d rows, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if want := normalize(out, tc.want[i]); !rowsEqual(got[i], want) {
					t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want)
				}
			}
		})
	}

	t.Run("missing-metric", func(t *testing.T) {
		bad := testMeta()
		bad.Metrics = append(bad.Metrics, MetricSchema{Name: "nope", Type: TypeLong})
		dst := filepath.Join(t.TempDir(), "merged")
		if err := Merge(dst, bad, DefaultIndexSpec(), readers, nil); err == nil {
			t.Fatal("merge with a metric missing from inputs succeeded")
		}
		if _, err := Open(dst); err == nil {
			t.Fatal("failed merge left a segment")
		}
	})
}
