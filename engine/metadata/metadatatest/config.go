package metadatatest

import (
	"context"
	"errors"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// testConfig stores a config twice and reads it back, each change audited under its name.
func testConfig(t *testing.T, s metadata.Store) {
	cs, ok := s.(metadata.ConfigStore)
	if !ok {
		t.Fatalf("%T does not implement metadata.ConfigStore", s)
	}
	ctx := context.Background()
	if _, err := cs.Config(ctx, "worker.config"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("config of a fresh store: %v, want ErrNotFound", err)
	}
	for _, v := range []string{`{"v":1}`, `{"v":2}`} {
		if err := cs.SetConfig(ctx, "worker.config", []byte(v), metadata.AuditEntry{Author: "ops", Comment: "set " + v}); err != nil {
			t.Fatal(err)
		}
		got, err := cs.Config(ctx, "worker.config")
		if err != nil || string(got) != v {
			t.Fatalf("config after setting %s: %s %v", v, got, err)
		}
	}
	if err := cs.SetConfig(ctx, "other", []byte(`{}`), metadata.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	hist, err := cs.AuditEntries(ctx, "worker.config")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || string(hist[0].Payload) != `{"v":2}` || string(hist[1].Payload) != `{"v":1}` ||
		hist[0].Type != "worker.config" || hist[0].Author != "ops" || hist[0].Comment != `set {"v":2}` || hist[0].CreatedDate == "" {
		t.Fatalf("history of worker.config: %+v", hist)
	}
	if got, err := cs.Config(ctx, "other"); err != nil || string(got) != `{}` {
		t.Fatalf("config other: %s %v", got, err)
	}
}
