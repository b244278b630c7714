package schemaregistry

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const userAvro = `{"type":"record","name":"User","fields":[{"name":"id","type":"string"}]}`

// counting counts the registry's requests by path and lets a test take the registry down.
type counting struct {
	hits atomic.Int64
	down atomic.Bool
}

func (c *counting) intercept(w http.ResponseWriter, r *http.Request) bool {
	c.hits.Add(1)
	if c.down.Load() {
		http.Error(w, `{"error_code":50001,"message":"down for maintenance"}`, http.StatusServiceUnavailable)
		return true
	}
	return false
}

func TestByIDCachesAndClassifies(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	id, _, err := reg.RegisterSchema("users-value", sr.Schema{Schema: userAvro, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	var c counting
	reg.Intercept(c.intercept)
	r, err := New(Options{URLs: []string{reg.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		s, err := r.ByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Text != userAvro || s.ID != id {
			t.Fatalf("schema = %+v", s)
		}
	}
	if n := c.hits.Load(); n != 1 {
		t.Errorf("registry asked %d times for one id, want 1 (cached)", n)
	}

	if _, err := r.ByID(ctx, 999); !errors.Is(err, ErrNotFound) || IsUnavailable(err) {
		t.Fatalf("unknown id: err = %v, want ErrNotFound", err)
	}
	before := c.hits.Load()
	if _, err := r.ByID(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if c.hits.Load() != before {
		t.Error("a known-unknown id was asked for again within the TTL")
	}

	c.down.Store(true)
	if _, err := r.ByID(ctx, 998); !IsUnavailable(err) || errors.Is(err, ErrNotFound) {
		t.Fatalf("registry down: err = %v, want *UnavailableError", err)
	}
	if s, err := r.ByID(ctx, id); err != nil || s.Text != userAvro {
		t.Fatalf("cached schema during an outage: %v, %v", s, err)
	}
	reg.Close()
	if _, err := r.ByID(ctx, 997); !IsUnavailable(err) {
		t.Fatalf("registry gone: err = %v, want *UnavailableError", err)
	}
}

func TestReferencesResolvedInDependencyOrder(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	must := func(subject string, s sr.Schema) int {
		t.Helper()
		id, _, err := reg.RegisterSchema(subject, s)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	must("common/money.proto", sr.Schema{Type: sr.TypeProtobuf, Schema: `syntax = "proto3"; package common; message Money { int64 units = 1; }`})
	must("common/order_line.proto", sr.Schema{Type: sr.TypeProtobuf,
		Schema:     `syntax = "proto3"; package common; import "common/money.proto"; message Line { common.Money price = 1; }`,
		References: []sr.SchemaReference{{Name: "common/money.proto", Subject: "common/money.proto", Version: 1}}})
	id := must("orders-value", sr.Schema{Type: sr.TypeProtobuf,
		Schema: `syntax = "proto3"; import "common/order_line.proto"; import "common/money.proto"; message Order { repeated common.Line lines = 1; common.Money total = 2; }`,
		References: []sr.SchemaReference{
			{Name: "common/order_line.proto", Subject: "common/order_line.proto", Version: 1},
			{Name: "common/money.proto", Subject: "common/money.proto", Version: 1},
		}})
	r, err := New(Options{URLs: []string{reg.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.ByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ref := range s.References {
		names = append(names, ref.Name)
	}
	if len(names) != 2 || names[0] != "common/money.proto" || names[1] != "common/order_line.proto" {
		t.Fatalf("references = %v, want money before order_line, each once", names)
	}
	if s.Type != sr.TypeProtobuf {
		t.Errorf("type = %v", s.Type)
	}
}

func TestAuthAndHeaders(t *testing.T) {
	reg := srfake.New(srfake.WithAuth("Basic dXNlcjpzZWNyZXQ=")) // user:secret
	defer reg.Close()
	id, _, err := reg.RegisterSchema("s", sr.Schema{Schema: userAvro})
	if err != nil {
		t.Fatal(err)
	}
	var gotHeader atomic.Value
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		gotHeader.Store(r.Header.Get("X-Tenant"))
		return false
	})
	ctx := context.Background()
	anon, err := New(Options{URLs: []string{reg.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.ByID(ctx, id); !IsUnavailable(err) {
		t.Fatalf("without credentials: err = %v, want unavailable (refused credentials are retried and reported)", err)
	}
	r, err := New(Options{URLs: []string{reg.URL()},
		Config:  map[string]string{"basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "user:secret"},
		Headers: map[string]string{"X-Tenant": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ByID(ctx, id); err != nil {
		t.Fatal(err)
	}
	if gotHeader.Load() != "blue" {
		t.Errorf("X-Tenant = %v", gotHeader.Load())
	}
}

func TestCapacityEvictsLeastRecentlyUsed(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	var ids []int
	for _, name := range []string{"A", "B", "C"} {
		id, _, err := reg.RegisterSchema(name, sr.Schema{Schema: `{"type":"record","name":"` + name + `","fields":[]}`})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var c counting
	reg.Intercept(c.intercept)
	r, err := New(Options{URLs: []string{reg.URL()}, Capacity: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []int{ids[0], ids[1], ids[0], ids[2], ids[0]} { // C evicts B, not A
		if _, err := r.ByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.hits.Load(); n != 3 {
		t.Errorf("requests = %d, want 3 (A, B, C once each)", n)
	}
	if len(r.cache) != 2 {
		t.Errorf("cache holds %d schemas, capacity 2", len(r.cache))
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for name, o := range map[string]Options{
		"no url":      {},
		"not http":    {URLs: []string{"ftp://x"}},
		"user info":   {URLs: []string{"http://h"}, Config: map[string]string{"basic.auth.user.info": "nocolon"}},
		"source":      {URLs: []string{"http://h"}, Config: map[string]string{"basic.auth.credentials.source": "SASL_INHERIT"}},
		"truststore":  {URLs: []string{"http://h"}, Config: map[string]string{"schema.registry.ssl.truststore.location": "/nonexistent"}},
		"url no user": {URLs: []string{"http://h"}, Config: map[string]string{"basic.auth.credentials.source": "URL"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSplitConfluent(t *testing.T) {
	id, datum, err := SplitConfluent([]byte{0, 0, 0, 1, 2, 'x'})
	if err != nil || id != 258 || string(datum) != "x" {
		t.Fatalf("got %d %q %v", id, datum, err)
	}
	if _, _, err := SplitConfluent([]byte{0, 0, 1}); err == nil {
		t.Error("short record accepted")
	}
	id, idx, msg, err := SplitConfluentProtobuf([]byte{0, 0, 0, 0, 7, 0, 'm'})
	if err != nil || id != 7 || len(idx) != 1 || idx[0] != 0 || string(msg) != "m" {
		t.Fatalf("got %d %v %q %v", id, idx, msg, err)
	}
	// [1, 2]: count 2, then 1 and 2, all zig-zag varints.
	_, idx, msg, err = SplitConfluentProtobuf([]byte{0, 0, 0, 0, 7, 4, 2, 4, 'm'})
	if err != nil || len(idx) != 2 || idx[0] != 1 || idx[1] != 2 || string(msg) != "m" {
		t.Fatalf("got %v %q %v", idx, msg, err)
	}
}
