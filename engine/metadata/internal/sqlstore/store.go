package sqlstore

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

var _ metadata.Store = (*Store)(nil)

// Store implements metadata.Store over a Backend.
type Store struct {
	b      Backend
	d      Dialect
	now    func() time.Time
	closed atomic.Bool
}

// New returns a Store over b. The schema must already be migrated.
func New(b Backend, d Dialect) *Store {
	return &Store{b: b, d: d, now: time.Now}
}

// Close closes the backend once; later calls return nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.b.Close()
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("metadata: store closed")

func (s *Store) check() error {
	if s.closed.Load() {
		return errClosed
	}
	return nil
}

func (s *Store) nowString() string { return druidapi.FormatTime(s.now()) }

// sha1Hex is Druid's commit_metadata_sha1: upper-case hex SHA-1.
func sha1Hex(parts ...[]byte) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(druidapi.TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// nonNil turns a nil slice into an empty one: payload columns are NOT NULL
// and drivers bind a nil []byte as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// chunk splits ids into slices of at most size, to keep statements under
// the drivers' bind-parameter limits.
func chunk(ids []string, size int) [][]string {
	var out [][]string
	for len(ids) > size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
