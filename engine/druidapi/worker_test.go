package druidapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestParseWorkerBehaviorConfig reads Druid's shapes and defaults and refuses, naming the
// field, what the leader would not apply.
func TestParseWorkerBehaviorConfig(t *testing.T) {
	for body, want := range map[string]string{
		`{"type":"default","selectStrategy":{"type":"fillCapacity"},"autoScaler":null}`: FillCapacity,
		`{"selectStrategy":{"type":"equalDistribution","affinityConfig":null}}`:         EqualDistribution,
		`{}`:                      EqualDistribution,
		`{"selectStrategy":null}`: EqualDistribution,
	} {
		cfg, err := ParseWorkerBehaviorConfig([]byte(body))
		if err != nil || cfg.SelectStrategy.Type != want || cfg.Type != "default" {
			t.Errorf("%s: %+v %v, want %s", body, cfg, err, want)
		}
		b, _ := json.Marshal(cfg)
		if want := `{"type":"default","selectStrategy":{"type":"` + want + `"},"autoScaler":null}`; string(b) != want {
			t.Errorf("%s encodes as %s, want %s", body, b, want)
		}
	}
	for body, field := range map[string]string{
		``:           "body: must be a JSON object",
		`{} {}`:      "body: unexpected data",
		`{"type":1}`: "type: must be a string",
		`{"selectStrategy":{"type":"javascript","function":"x"}}`: `selectStrategy.type: "javascript" is not supported`,
		`{"selectStrategy":{"type":"fillCapacity","x":1}}`:        "selectStrategy.x: unknown field",
		`{"autoScaler":{}}`: "autoScaler: not supported",
	} {
		if _, err := ParseWorkerBehaviorConfig([]byte(body)); err == nil || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%q: %v, want an error starting %q", body, err, field)
		}
	}
}
