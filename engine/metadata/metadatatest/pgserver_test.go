package metadatatest_test

import (
	"context"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
)

// TestPrivatePostgresStopStart checks the outage helper and the classification it exists for:
// while the private server is stopped, store calls fail with errors metadata.IsTransient
// recognises; after it starts again, the same store (its pool) works without reopening.
func TestPrivatePostgresStopStart(t *testing.T) {
	pg := metadatatest.StartPrivatePostgres(t)
	ctx := context.Background()
	store, err := postgres.Open(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.LatestSupervisors(ctx); err != nil {
		t.Fatal(err)
	}
	pg.Stop(t)
	for i := range 3 { // the pool's old connection, then fresh connection attempts
		_, err := store.LatestSupervisors(ctx)
		if err == nil || !metadata.IsTransient(err) {
			t.Fatalf("call %d while stopped: %v (transient %v), want a transient error", i, err, metadata.IsTransient(err))
		}
	}
	_, err = store.GetDataSourceMetadata(ctx, "x")
	if !metadata.IsTransient(err) {
		t.Fatalf("GetDataSourceMetadata while stopped: %v, want transient", err)
	}
	pg.Start(t)
	if _, err := store.LatestSupervisors(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
