package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// TestCoordinatorLoadStatus compares GET /druid/coordinator/v1/loadstatus with Druid's
// CoordinatorResource.getLoadStatus for published segments the loader cannot serve (their
// files are not in deep storage): the percent loaded is 0, ?simple counts every used segment
// as left to load, ?full does so under the default tier. With no datasource each answer is {}.
// TestQueriesOverIngestedData/loadstatus covers segments that are served.
func TestCoordinatorLoadStatus(t *testing.T) {
	eng := enginetest.Start(t)
	get := func(path string) string {
		t.Helper()
		code, body := send(t, eng.URL, "GET", path, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		return strings.TrimSpace(body)
	}
	for _, p := range []string{"/druid/coordinator/v1/loadstatus", "/druid/coordinator/v1/loadstatus?simple", "/druid/coordinator/v1/loadstatus?full"} {
		if got := get(p); got != `{}` {
			t.Errorf("GET %s with no segments = %s, want {}", p, got)
		}
	}
	hour := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, ds := range []string{"alpha", "beta", "beta"} {
		id := metadata.SegmentID{DataSource: ds, Start: hour.Add(time.Duration(i) * time.Hour), End: hour.Add(time.Duration(i+1) * time.Hour), Version: "v1"}
		seg := metadata.NewSegment(id)
		seg.Payload = fmt.Appendf(nil, `{"dataSource":%q,"interval":"%s/%s","version":"v1","identifier":%q,"size":0}`,
			ds, id.Start.Format(time.RFC3339), id.End.Format(time.RFC3339), seg.ID)
		if err := eng.Store.Publish(context.Background(), metadata.PublishRequest{DataSource: ds, Segments: []metadata.Segment{seg}}); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		"/druid/coordinator/v1/loadstatus":             `{"alpha":0,"beta":0}`,
		"/druid/coordinator/v1/loadstatus/":            `{"alpha":0,"beta":0}`,
		"/druid/coordinator/v1/loadstatus?simple":      `{"alpha":1,"beta":2}`,
		"/druid/coordinator/v1/loadstatus?full":        `{"_default_tier":{"alpha":1,"beta":2}}`,
		"/druid/coordinator/v1/loadstatus?full=":       `{"_default_tier":{"alpha":1,"beta":2}}`,
		"/druid/coordinator/v1/loadstatus?simple&full": `{"alpha":1,"beta":2}`,
	} {
		if got := get(path); got != want {
			t.Errorf("GET %s = %s, want %s", path, got, want)
		}
	}
}
