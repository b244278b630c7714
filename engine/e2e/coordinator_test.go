package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// TestCoordinatorListings compares the Coordinator's datasource and segment listings with
// Druid's (DataSourcesResource, MetadataResource):
//
//   - GET /druid/coordinator/v1/datasources: 200 ["ds",…]; ?simple: 200
//     [{"name","properties":{"tiers":{…},"segments":{"count","size","minTime","maxTime"}}}];
//     ?full: 200 [ImmutableDruidDataSource], {"name","properties":{"created"},"segments":[DataSegment…]}.
//   - GET /druid/coordinator/v1/metadata/datasources?full: the same ImmutableDruidDataSource list.
//   - GET /druid/coordinator/v1/metadata/segments: 200 [DataSegment…]; ?datasources=ds filters.
//   - GET …/metadata/datasources/{ds}/segments: 404 with an empty body for an unknown
//     datasource (MetadataResource returns Response.Status.NOT_FOUND).
//   - GET …/metadata/datasources/{ds}/segments/{segmentId}: 200 DataSegment, 404 empty when unknown.
//
// Trailing slashes are tolerated, as Jersey does.
func TestCoordinatorListings(t *testing.T) {
	eng := enginetest.Start(t)
	hour := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i, ds := range []string{"alpha", "beta", "beta"} {
		id := metadata.SegmentID{DataSource: ds, Start: hour.Add(time.Duration(i) * time.Hour), End: hour.Add(time.Duration(i+1) * time.Hour), Version: "v1"}
		seg := metadata.NewSegment(id)
		seg.Size, seg.NumRows = 100, 10
		seg.Payload = fmt.Appendf(nil, `{"dataSource":%q,"interval":"%s/%s","version":"v1","identifier":%q,"size":100}`,
			ds, id.Start.Format(time.RFC3339), id.End.Format(time.RFC3339), seg.ID)
		if err := eng.Store.Publish(context.Background(), metadata.PublishRequest{DataSource: ds, Segments: []metadata.Segment{seg}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, seg.ID)
	}
	get := func(path string, wantCode int) string {
		t.Helper()
		code, body := send(t, eng.URL, "GET", path, "")
		if code != wantCode {
			t.Fatalf("GET %s: %d %s, want %d", path, code, body, wantCode)
		}
		return strings.TrimSpace(body)
	}
	for _, p := range []string{"/druid/coordinator/v1/datasources", "/druid/coordinator/v1/datasources/", "/druid/coordinator/v1/metadata/datasources/"} {
		if got := get(p, 200); got != `["alpha","beta"]` {
			t.Errorf("GET %s = %s", p, got)
		}
	}

	var simple []struct {
		Name       string
		Properties struct {
			Tiers    map[string]struct{ Size, SegmentCount int64 }
			Segments struct {
				Count, Size      int64
				MinTime, MaxTime string
			}
		}
	}
	if err := json.Unmarshal([]byte(get("/druid/coordinator/v1/datasources?simple", 200)), &simple); err != nil || len(simple) != 2 {
		t.Fatalf("?simple: %v %+v", err, simple)
	}
	if b := simple[1]; b.Name != "beta" || b.Properties.Segments.Count != 2 || b.Properties.Segments.Size != 200 ||
		b.Properties.Segments.MinTime != "2024-01-01T01:00:00.000Z" || b.Properties.Segments.MaxTime != "2024-01-01T03:00:00.000Z" ||
		b.Properties.Tiers["_default_tier"].SegmentCount != 2 {
		t.Errorf("?simple beta = %+v", b)
	}

	type full []struct {
		Name       string
		Properties map[string]string
		Segments   []struct{ Identifier, DataSource string }
	}
	for _, p := range []string{"/druid/coordinator/v1/datasources?full", "/druid/coordinator/v1/metadata/datasources?full"} {
		var f full
		if err := json.Unmarshal([]byte(get(p, 200)), &f); err != nil || len(f) != 2 {
			t.Fatalf("GET %s: %v %+v", p, err, f)
		}
		if f[0].Name != "alpha" || len(f[0].Segments) != 1 || f[0].Segments[0].Identifier != ids[0] || len(f[1].Segments) != 2 {
			t.Errorf("GET %s = %+v", p, f)
		}
		if _, err := time.Parse(time.RFC3339, f[0].Properties["created"]); err != nil {
			t.Errorf("GET %s: created %q: %v", p, f[0].Properties["created"], err)
		}
	}

	var segs []struct{ Identifier string }
	if err := json.Unmarshal([]byte(get("/druid/coordinator/v1/metadata/segments", 200)), &segs); err != nil || len(segs) != 3 {
		t.Errorf("metadata/segments: %v %+v", err, segs)
	}
	if err := json.Unmarshal([]byte(get("/druid/coordinator/v1/metadata/segments/?datasources=alpha", 200)), &segs); err != nil ||
		len(segs) != 1 || segs[0].Identifier != ids[0] {
		t.Errorf("metadata/segments?datasources=alpha: %v %+v", err, segs)
	}
	if got := get("/druid/coordinator/v1/metadata/segments?datasources=nope", 200); got != `[]` {
		t.Errorf("metadata/segments?datasources=nope = %s", got)
	}

	if got := get("/druid/coordinator/v1/metadata/datasources/nope/segments", 404); got != "" {
		t.Errorf("unknown datasource segments: body %q, want empty", got)
	}
	if got := get("/druid/coordinator/v1/metadata/datasources/beta/segments/", 200); got != fmt.Sprintf(`[%q,%q]`, ids[1], ids[2]) {
		t.Errorf("beta segments/ = %s", got)
	}
	var one struct{ Identifier, DataSource string }
	if err := json.Unmarshal([]byte(get("/druid/coordinator/v1/metadata/datasources/beta/segments/"+url.PathEscape(ids[2]), 200)), &one); err != nil || one.Identifier != ids[2] {
		t.Errorf("segment by id: %v %+v", err, one)
	}
	if err := json.Unmarshal([]byte(get("/druid/coordinator/v1/metadata/datasources/beta/segments/"+url.PathEscape(ids[1])+"/", 200)), &one); err != nil || one.Identifier != ids[1] {
		t.Errorf("segment by id/: %v %+v", err, one)
	}
	if got := get("/druid/coordinator/v1/datasources/beta/", 200); !strings.Contains(got, `"count":2`) {
		t.Errorf("datasources/beta/ = %s", got)
	}
	if got := get("/druid/coordinator/v1/metadata/datasources/beta/segments/"+url.PathEscape(ids[0]), 404); got != "" {
		t.Errorf("segment of another datasource: body %q, want empty", got)
	}
}

// TestQueryUnknownDataSource: a Druid Broker answers a native query on a datasource it has
// no segments of with 200 [] (QueryResource runs it over an empty timeline), and
// ClientInfoResource's GET /druid/v2/datasources/{ds} with 200 {"dimensions":[],"metrics":[]};
// the web console probes with both. A malformed query is still a 400.
func TestQueryUnknownDataSource(t *testing.T) {
	eng := enginetest.Start(t)
	for _, q := range []string{
		`{"queryType":"timeseries","dataSource":"nope","intervals":["2026/2027"],"granularity":"all","aggregations":[{"type":"count","name":"n"}]}`,
		`{"queryType":"topN","dataSource":"nope","intervals":["2026/2027"],"granularity":"all","dimension":"d","metric":"n","threshold":1,"aggregations":[{"type":"count","name":"n"}]}`,
		`{"queryType":"scan","dataSource":"nope","intervals":["2026/2027"]}`,
		`{"queryType":"timeBoundary","dataSource":"nope"}`,
		`{"queryType":"segmentMetadata","dataSource":"nope","intervals":["2026/2027"]}`,
	} {
		for _, p := range []string{"/druid/v2", "/druid/v2/"} {
			if code, body := send(t, eng.URL, "POST", p, q); code != 200 || strings.TrimSpace(body) != "[]" {
				t.Errorf("POST %s %s: %d %s, want 200 []", p, q, code, body)
			}
		}
	}
	for _, p := range []string{"/druid/v2/datasources/nope", "/druid/v2/datasources/nope/"} {
		if code, body := send(t, eng.URL, "GET", p, ""); code != 200 || strings.TrimSpace(body) != `{"dimensions":[],"metrics":[]}` {
			t.Errorf("GET %s: %d %s, want 200 with empty lists", p, code, body)
		}
	}
	if code, body := send(t, eng.URL, "GET", "/druid/v2/datasources/", ""); code != 200 || strings.TrimSpace(body) != `[]` {
		t.Errorf("GET /druid/v2/datasources/: %d %s, want 200 []", code, body)
	}
	if code, body := send(t, eng.URL, "POST", "/druid/v2", `{"queryType":"nope","dataSource":"nope"}`); code != 400 || !strings.Contains(body, `"error":"Json parse failed"`) {
		t.Errorf("bad query: %d %s, want 400", code, body)
	}
}
