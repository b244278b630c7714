package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// TestValidateOnlyImpact checks the dry run's answer for an existing supervisor: what the
// update would do to its tasks and which fields cause it, for each impact.
func TestValidateOnlyImpact(t *testing.T) {
	h := newHarness(t, embeddedStore(t), Options{})
	base0 := specFile(t, "wrapped.json")
	// A new id: no impact fields, the answer of earlier versions.
	h.expect("POST", base+"?validateOnly=true", base0, 200, `{"id":"wikipedia","valid":true}`)
	h.expect("POST", base, base0, 200, `{"id":"wikipedia"}`)
	if err := h.store.ResetDataSourceMetadata(context.Background(), "wikipedia",
		metadata.DataSourceMetadata{Stream: "wikipedia", Offsets: map[druidapi.Partition]int64{{ID: 0}: 42}}); err != nil {
		t.Fatal(err)
	}

	edit := func(f func(s map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(base0), &m); err != nil {
			t.Fatal(err)
		}
		f(m["spec"].(map[string]any))
		b, _ := json.Marshal(m)
		return string(b)
	}
	section := func(s map[string]any, name string) map[string]any { return s[name].(map[string]any) }
	for _, tc := range []struct {
		name   string
		spec   string
		impact string
		fields []string
		reason bool
	}{
		{"equivalent spelling", edit(func(s map[string]any) {
			section(s, "dataSchema")["granularitySpec"] = map[string]any{"queryGranularity": "NONE", "rollup": false, "segmentGranularity": "DAY"}
			section(s, "ioConfig")["taskDuration"] = "PT1H"
		}), "none", nil, false},
		{"supervisor-only ioConfig", edit(func(s map[string]any) {
			section(s, "ioConfig")["taskDuration"] = "PT2H"
			section(s, "ioConfig")["completionTimeout"] = "PT45M"
		}), "keepTasks", []string{"ioConfig.completionTimeout", "ioConfig.taskDuration"}, false},
		{"dataSchema", edit(func(s map[string]any) {
			section(s, "dataSchema")["granularitySpec"] = map[string]any{"queryGranularity": "none", "rollup": false, "segmentGranularity": "hour"}
			section(s, "ioConfig")["taskDuration"] = "PT2H"
		}), "handoff", []string{"dataSchema.granularitySpec.segmentGranularity", "ioConfig.taskDuration"}, false},
		{"tuningConfig", edit(func(s map[string]any) {
			section(s, "tuningConfig")["maxRowsInMemory"] = 1000
		}), "handoff", []string{"tuningConfig.maxRowsInMemory"}, false},
		{"task-side ioConfig", edit(func(s map[string]any) {
			section(s, "ioConfig")["consumerProperties"] = map[string]any{"bootstrap.servers": "localhost:9093"}
			section(s, "ioConfig")["taskCount"] = 2
		}), "handoff", []string{"ioConfig.consumerProperties.bootstrap.servers", "ioConfig.taskCount"}, false},
		{"suspend by POST", strings.Replace(base0, `"type": "kafka",`, `"type": "kafka", "suspended": true,`, 1),
			"handoff", []string{"suspended"}, false},
		{"topic with stored offsets", edit(func(s map[string]any) {
			section(s, "ioConfig")["topic"] = "wikipedia-v2"
		}), "resetRequired", []string{"ioConfig.topic"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a druidapi.ValidateAnswer
			if err := json.Unmarshal([]byte(h.expect("POST", base+"?validateOnly=true", tc.spec, 200, "")), &a); err != nil {
				t.Fatal(err)
			}
			if a.ID != "wikipedia" || !a.Valid || a.Impact != tc.impact {
				t.Fatalf("answer %+v, want impact %q", a, tc.impact)
			}
			if len(a.ImpactFields) != len(tc.fields) {
				t.Fatalf("impactFields %q, want %q", a.ImpactFields, tc.fields)
			}
			for i := range tc.fields {
				if a.ImpactFields[i] != tc.fields[i] {
					t.Fatalf("impactFields %q, want %q", a.ImpactFields, tc.fields)
				}
			}
			if (a.ImpactReason != "") != tc.reason {
				t.Fatalf("impactReason %q", a.ImpactReason)
			}
		})
	}
	// Nothing was stored by the dry runs.
	h.expect("GET", base+"/wikipedia/history", "", 200, `~"version"`)
	hist := h.expect("GET", base+"/wikipedia/history", "", 200, "")
	var versions []json.RawMessage
	if err := json.Unmarshal([]byte(hist), &versions); err != nil || len(versions) != 1 {
		t.Fatalf("history after dry runs: %d versions, %v", len(versions), err)
	}
}
