package metadatatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the environment variable holding the test server's DSN.
const PostgresEnv = "KAFKA_INDEXER_TEST_POSTGRES"

// PostgresDSN returns the test server's DSN. With none configured the test is skipped, except
// under CI (CI=true), where PostgreSQL tests must run and so fail instead.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv(PostgresEnv); dsn != "" {
		return dsn
	}
	const how = PostgresEnv + " is not set; start a server with tools/start-test-postgres.sh and set " + PostgresEnv +
		"=postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable"
	if os.Getenv("CI") == "true" {
		t.Fatal(how)
	}
	t.Skip(how)
	return ""
}

// FreshPostgresSchema creates a uniquely named schema on the test server, dropped at cleanup,
// and returns a DSN whose search_path points at it, so tests never see each other's tables.
func FreshPostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
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
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
