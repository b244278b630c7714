package input

import (
	"os"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// TestAvroDocExamples decodes every spec example marked <!-- spec-example --> in
// docs/configuration.md and compiles its input format, so the documented specs stay accepted
// and runnable.
func TestAvroDocExamples(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(b), "<!-- spec-example -->\n```json\n")
	if len(parts) < 6 {
		t.Fatalf("found %d marked examples, want at least 5", len(parts)-1)
	}
	for i, p := range parts[1:] {
		end := strings.Index(p, "\n```")
		if end < 0 {
			t.Fatalf("example %d is not closed", i+1)
		}
		s, err := spec.Decode([]byte(p[:end]))
		if err != nil {
			t.Errorf("example %d: %v\n%s", i+1, err, p[:end])
			continue
		}
		getenv := func(string) (string, bool) { return "user:password", true }
		if _, err := NewParser(Config{Format: s.IOConfig.InputFormat, Timestamp: s.DataSchema.TimestampSpec, Getenv: getenv}); err != nil {
			t.Errorf("example %d: compile input format: %v", i+1, err)
		}
	}
}
