package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
)

// dsnEnv names the environment variable holding the test server's DSN.
const dsnEnv = "KAFKA_INDEXER_TEST_POSTGRES"

// testDSN returns the test server's DSN, skipping the test when none is
// configured, or failing it under CI, where PostgreSQL tests must run.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn != "" {
		return dsn
	}
	const how = dsnEnv + " is not set; start a server with tools/start-test-postgres.sh and set " + dsnEnv +
		"=postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable"
	if os.Getenv("CI") == "true" {
		t.Fatal(how)
	}
	t.Skip(how)
	return ""
}

// freshSchema creates a uniquely named schema, dropped at cleanup, and
// returns dsn with its search_path set to it.
func freshSchema(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "metadata_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to test postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connect to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsnEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after freshSchema's cleanup, so it runs first.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	dsn := testDSN(t)
	metadatatest.Run(t, func(t *testing.T) metadata.Store { return open(t, freshSchema(t, dsn)) })
}

// TestReopen checks that a second Open of a migrated schema keeps the data,
// and that two stores on one schema see each other's commits.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t, testDSN(t))
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
	dsn := freshSchema(t, testDSN(t))
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
