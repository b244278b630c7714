package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
)

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after FreshPostgresSchema's cleanup, so it runs first.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	metadatatest.PostgresDSN(t)
	metadatatest.Run(t, func(t *testing.T) metadata.Store { return open(t, metadatatest.FreshPostgresSchema(t)) })
}

// TestReopen checks that a second Open of a migrated schema keeps the data,
// and that two stores on one schema see each other's commits.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dsn := metadatatest.FreshPostgresSchema(t)
	a := open(t, dsn)
	end := metadatatest.Offsets("t", 0, 10)
	if err := a.ResetDataSourceMetadata(ctx, "sup", end); err != nil {
		t.Fatal(err)
	}
	b := open(t, dsn)
	md, err := b.GetDataSourceMetadata(ctx, "sup")
	if err != nil || !md.Equal(end) {
		t.Fatalf("offsets seen by second store = %+v, %v", md, err)
	}
	// The compare-and-swap holds across stores: a stale start loses.
	start, next := metadatatest.Offsets("t", 0, 10), metadatatest.Offsets("t", 0, 20)
	if err := a.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", Start: &start, End: &next}); err != nil {
		t.Fatal(err)
	}
	err = b.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", Start: &start, End: &next})
	if _, ok := errors.AsType[*metadata.OffsetMismatchError](err); !ok {
		t.Fatalf("stale publish through second store error = %v, want *OffsetMismatchError", err)
	}
}

// TestConcurrentOpen has several processes' worth of stores migrate one
// fresh schema at once; the advisory lock must make that safe.
func TestConcurrentOpen(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := postgres.Open(context.Background(), dsn)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
