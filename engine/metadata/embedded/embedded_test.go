package embedded_test

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/internal/sqlstore"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
)

func open(t *testing.T, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	metadatatest.Run(t, func(t *testing.T) metadata.Store { return open(t, t.TempDir()) })
}

// TestReopen checks that data survives closing and reopening the store, and
// that reopening does not re-run migrations.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	row, err := s.InsertSupervisor(ctx, "sup", []byte(`{"v":1}`))
	if err != nil {
		t.Fatal(err)
	}
	start, end := metadatatest.Offsets("t", 0, 0), metadatatest.Offsets("t", 0, 10)
	hour := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seg := metadata.NewSegment(metadata.SegmentID{DataSource: "ds", Start: hour, End: hour.Add(time.Hour), Version: "v"})
	if err := s.Publish(ctx, metadata.PublishRequest{
		SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{seg}, Start: &start, End: &end,
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertTask(ctx, metadata.Task{ID: "task", DataSource: "ds", Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, embedded.FileName)); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	hist, err := s.SupervisorHistory(ctx, "sup")
	if err != nil || len(hist) != 1 || hist[0].Version != row.Version {
		t.Fatalf("history after reopen = %+v, %v", hist, err)
	}
	md, err := s.GetDataSourceMetadata(ctx, "sup")
	if err != nil || !md.Equal(end) {
		t.Fatalf("offsets after reopen = %+v, %v", md, err)
	}
	if ok, err := s.SegmentsExist(ctx, []string{seg.ID}); err != nil || !ok {
		t.Fatalf("segment after reopen: %v, %v", ok, err)
	}
	if _, err := s.GetTask(ctx, "task"); err != nil {
		t.Fatal(err)
	}
	// Versions keep increasing across restarts.
	next, err := s.InsertSupervisor(ctx, "sup", []byte(`{"v":2}`))
	if err != nil || next.Version <= row.Version || next.Seq <= row.Seq {
		t.Fatalf("insert after reopen = %+v, %v; previous %+v", next, err, row)
	}
}

func TestOpenBadPath(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.Open(f); err == nil {
		t.Fatal("Open on a regular file succeeded")
	}
}

// TestStoredShape checks the datasource_metadata row is what Druid writes:
// the Kafka JSON payload and the upper-case hex SHA-1 of its bytes, and that
// the migration is recorded once.
func TestStoredShape(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.ResetDataSourceMetadata(ctx, "sup", metadatatest.Offsets("t", 1, 1200, 0, 230985)); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, embedded.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var payload []byte
	var sum string
	if err := db.QueryRowContext(ctx, `SELECT commit_metadata_payload, commit_metadata_sha1 FROM datasource_metadata
		WHERE datasource = ?`, "sup").Scan(&payload, &sum); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"kafka","partitions":{"type":"end","stream":"t","topic":"t",` +
		`"partitionSequenceNumberMap":{"0":230985,"1":1200},"partitionOffsetMap":{"0":230985,"1":1200}}}`
	if string(payload) != want {
		t.Fatalf("payload = %s, want %s", payload, want)
	}
	h := sha1.Sum(payload)
	if wantSum := strings.ToUpper(hex.EncodeToString(h[:])); sum != wantSum {
		t.Fatalf("sha1 = %s, want %s", sum, wantSum)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != sqlstore.SchemaVersion() {
		t.Fatalf("schema_migrations rows = %d, %v, want %d", n, err, sqlstore.SchemaVersion())
	}
}

// TestSecondOpenRefused checks that the store belongs to one process at a time
// (a second open of the same directory fails naming the lock) and that Close
// hands it on.
func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	first, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = embedded.Open(dir)
	if !errors.Is(err, embedded.ErrLocked) || !strings.Contains(err.Error(), filepath.Join(dir, embedded.LockFileName)) {
		t.Fatalf("second open: err %v, want ErrLocked naming %s", err, embedded.LockFileName)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := embedded.Open(dir)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	again.Close()
}
