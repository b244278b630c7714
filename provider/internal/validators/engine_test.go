package validators

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestEngineRules(t *testing.T) {
	const good = `{"type":"kafka","spec":{"dataSchema":{"dataSource":"d","timestampSpec":{"column":"ts"},
  "dimensionsSpec":{"dimensions":["a"]}},
  "ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"b:9092"}%s},
  "tuningConfig":{"type":"kafka"}}}`
	noServers := `{"type":"kafka","spec":{"dataSchema":{"dataSource":"d","timestampSpec":{"column":"ts"},
  "dimensionsSpec":{"dimensions":["a"]}},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"security.protocol":"SASL_SSL"}},
  "tuningConfig":{"type":"kafka"}}}`
	for _, tc := range []struct {
		name         string
		body         string
		secretsKnown bool
		want         string
	}{
		{"valid", fmt.Sprintf(good, ""), true, ""},
		{"typo", fmt.Sprintf(good, `,"taskCuont":2`), true, "ioConfig.taskCuont: unknown field"},
		{"bound", fmt.Sprintf(good, `,"taskCount":0`), true, "ioConfig.taskCount: must be ≥ 1"},
		{"missing servers", noServers, true, "ioConfig.consumerProperties.bootstrap.servers: missing"},
		{"servers from unknown secrets", noServers, false, ""},
		{"typo with unknown secrets", fmt.Sprintf(good, `,"taskCuont":2`), false, "ioConfig.taskCuont: unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := EngineRules(json.RawMessage(tc.body), tc.secretsKnown)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
