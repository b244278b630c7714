package task

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// realtimeRows reads every part of the segments back, keyed "time host metric" →
// count,value_sum (summed across parts).
func realtimeRows(t *testing.T, segs []RealtimeSegment) map[string][2]float64 {
	t.Helper()
	out := map[string][2]float64{}
	for _, s := range segs {
		for _, r := range s.Readers {
			m := r.Metadata()
			it := r.Rows()
			for it.Next() {
				row := it.Row()
				var host, metric string
				for i, d := range m.Dimensions {
					switch d.Name {
					case "host":
						host = row.Dims[i].Str
					case "metric":
						metric = row.Dims[i].Str
					}
				}
				key := fmt.Sprintf("%s %s %s", time.UnixMilli(row.Time).UTC().Format("2006-01-02T15:04:05.000Z"), host, metric)
				prev := out[key]
				out[key] = [2]float64{prev[0] + float64(row.Metrics[0].Long), prev[1] + row.Metrics[1].Double}
			}
			if err := it.Err(); err != nil {
				t.Fatalf("read part %s of %s: %v", r.Dir(), s.ID, err)
			}
		}
	}
	return out
}

func sumCounts(rows map[string][2]float64) float64 {
	var n float64
	for _, v := range rows {
		n += v[0]
	}
	return n
}

// TestQuerySegmentsServesUnpublishedRows runs a task whose end offsets are far ahead, so it keeps
// reading; the rows it read are queryable (spills and the in-memory snapshot) before anything is
// published, with the segment ids the published segments will have.
func TestQuerySegmentsServesUnpublishedRows(t *testing.T) {
	e := newEnv(t)
	broker := startKafka(t, "metrics", 2)
	want := map[string][2]float64{}
	var recs []*kgo.Record
	addRows := func(from, to int) {
		for i := from; i < to; i++ {
			host := fmt.Sprintf("h%d", i%3)
			if i >= 200 {
				host = fmt.Sprintf("n%d", i) // a new row, not rolled up into an old one
			}
			ev := event{Timestamp: at(i % 90), Host: host, Metric: "cpu", Value: float64(i)}
			recs = append(recs, jsonRecord(t, int32(i%2), ev))
			tm, _ := time.Parse(time.RFC3339, ev.Timestamp)
			key := fmt.Sprintf("%s %s cpu", tm.UTC().Format("2006-01-02T15:04:05.000Z"), ev.Host)
			w := want[key]
			want[key] = [2]float64{w[0] + 1, w[1] + ev.Value}
		}
	}
	addRows(0, 200)
	produce(t, broker, "metrics", recs...)

	raw := payload("rt-1", broker, "metrics", map[int32]int64{0: 0, 1: 0}, map[int32]int64{0: 1 << 40, 1: 1 << 40}, func(p map[string]any) {
		p["tuningConfig"] = map[string]any{"type": "kafka", "maxRowsInMemory": 100}
	})
	s, err := DecodePayload(raw)
	if err != nil {
		t.Fatal(err)
	}
	opts := e.options(s.Payload.ID)
	opts.RealtimeRefresh = 50 * time.Millisecond
	tk := New(s, opts)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		<-tk.Done()
	}()
	go tk.Run(ctx)

	waitRows := func(n float64) []RealtimeSegment {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			segs, err := tk.QuerySegments(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := sumCounts(realtimeRows(t, segs)); got == n {
				return segs
			} else if time.Now().After(deadline) {
				t.Fatalf("realtime rows: count %v, want %v", got, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	segs := waitRows(200)
	check := func(segs []RealtimeSegment) {
		t.Helper()
		got := realtimeRows(t, segs)
		if len(got) != len(want) {
			t.Errorf("%d distinct rows, want %d", len(got), len(want))
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("row %s = %v, want %v", k, got[k], w)
			}
		}
	}
	check(segs)
	var spills, mem int
	countParts := func(segs []RealtimeSegment) {
		for _, sg := range segs {
			if sg.DataSource != "metrics" || sg.End-sg.Start != time.Hour.Milliseconds() {
				t.Errorf("segment %s: datasource %q, interval %d–%d", sg.ID, sg.DataSource, sg.Start, sg.End)
			}
			for _, r := range sg.Readers {
				if m := r.Metadata(); m.DataSource != "metrics" || m.Interval.Start.UnixMilli() != sg.Start {
					t.Errorf("part %s metadata %+v", r.Dir(), m)
				}
				if strings.Contains(r.Dir(), string(filepath.Separator)+"realtime"+string(filepath.Separator)) {
					mem++
				} else {
					spills++
				}
			}
		}
	}
	countParts(segs)
	if len(segs) != 2 {
		t.Errorf("%d segments, want 2: %v", len(segs), partDirs(segs))
	}
	if pub, _ := e.store.Segments(context.Background(), "metrics", true); len(pub) != 0 {
		t.Errorf("%d segments published, want none yet", len(pub))
	}

	// More rows (enough for a persist, then a few): served after the snapshot refreshes; an
	// unchanged task reuses its snapshot.
	recs = recs[:0]
	addRows(200, 260)
	produce(t, broker, "metrics", recs...)
	segs = waitRows(260)
	check(segs)
	countParts(segs)
	recs = recs[:0]
	addRows(260, 270)
	produce(t, broker, "metrics", recs...)
	segs = waitRows(270)
	check(segs)
	countParts(segs)
	if spills == 0 || mem == 0 {
		t.Errorf("served %d spill parts and %d in-memory parts, want both", spills, mem)
	}
	again, err := tk.QuerySegments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(partDirs(again)) != fmt.Sprint(partDirs(segs)) {
		t.Errorf("unchanged task rewrote its snapshot: %v then %v", partDirs(segs), partDirs(again))
	}

	// The ids are the ones publishing uses: stop with publish and compare.
	ids := map[string]bool{}
	for _, sg := range segs {
		ids[sg.ID] = true
	}
	if err := tk.Stop(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	<-tk.Done()
	if res := tk.Result(); res == nil || !res.Success {
		t.Fatalf("task result %+v", res)
	}
	pub, _ := e.store.Segments(context.Background(), "metrics", true)
	for _, p := range pub {
		if !ids[p.ID] {
			t.Errorf("published %s, realtime ids %v", p.ID, ids)
		}
	}
	if len(pub) != len(ids) {
		t.Errorf("published %d segments, realtime served %d", len(pub), len(ids))
	}
	if segs, _ := tk.QuerySegments(context.Background()); len(segs) != 0 {
		t.Errorf("finished task serves %d segments", len(segs))
	}
}

func partDirs(segs []RealtimeSegment) []string {
	var out []string
	for _, s := range segs {
		for _, r := range s.Readers {
			out = append(out, r.Dir())
		}
	}
	return out
}

// TestRealtimePartsClosedAfterRelease: a listing keeps its parts readable while the task
// replaces them (a newer snapshot of the in-memory rows deletes the old one's directory), and
// the replaced part's file is closed once every listing holding it is released.
func TestRealtimePartsClosedAfterRelease(t *testing.T) {
	e := newEnv(t)
	broker := startKafka(t, "metrics", 1)
	rows := func(from, to int) {
		var recs []*kgo.Record
		for i := from; i < to; i++ {
			recs = append(recs, jsonRecord(t, 0, event{Timestamp: at(i % 60), Host: fmt.Sprintf("h%d", i), Metric: "cpu", Value: 1}))
		}
		produce(t, broker, "metrics", recs...)
	}
	rows(0, 10)
	s, err := DecodePayload(payload("rt-release", broker, "metrics", map[int32]int64{0: 0}, map[int32]int64{0: 1 << 40}, nil))
	if err != nil {
		t.Fatal(err)
	}
	opts := e.options(s.Payload.ID)
	opts.RealtimeRefresh = 10 * time.Millisecond
	tk := New(s, opts)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		<-tk.Done()
	}()
	go tk.Run(ctx)
	// list waits for a listing with n rows, releasing the others.
	list := func(n float64) []RealtimeSegment {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; {
			segs, err := tk.QuerySegments(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if sumCounts(realtimeRows(t, segs)) == n {
				return segs
			}
			for _, sg := range segs {
				sg.Release()
			}
			if time.Now().After(deadline) {
				t.Fatalf("no listing with %v rows", n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	held := list(10)
	old := partDirs(held)
	if len(old) != 1 || !strings.Contains(old[0], string(filepath.Separator)+"realtime"+string(filepath.Separator)) {
		t.Fatalf("parts %v, want one in-memory snapshot", old)
	}

	rows(10, 20)
	newer := list(20)
	if dirs := partDirs(newer); len(dirs) != 1 || dirs[0] == old[0] {
		t.Fatalf("parts after more rows %v, want a new snapshot replacing %s", dirs, old[0])
	}
	if _, err := os.Stat(old[0]); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("replaced snapshot %s: %v, want its directory deleted by the loop", old[0], err)
	}
	// The held listing still reads the replaced part, from its open file.
	if got := sumCounts(realtimeRows(t, held)); got != 10 {
		t.Errorf("held listing reads %v rows, want 10", got)
	}
	if n := openFiles(t, old[0]); n != 1 {
		t.Errorf("%d open files of the replaced part while it is held, want 1", n)
	}
	for _, sg := range held {
		sg.Release()
		sg.Release() // a second call does nothing
	}
	if n := openFiles(t, old[0]); n != 0 {
		t.Errorf("%d open files of the replaced part after release, want 0", n)
	}
	// The current part is still the task's and open.
	if n := openFiles(t, partDirs(newer)[0]); n != 1 {
		t.Errorf("%d open files of the current part, want 1", n)
	}
	for _, sg := range newer {
		sg.Release()
	}
}

// openFiles counts this process's open files below dir (Linux /proc/self/fd).
func openFiles(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}
