package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// unknownFieldsServer is the API over a real (embedded) store with the manager's
// UnknownSpecFields set as --unknown-spec-fields would.
func unknownFieldsServer(t *testing.T, mode spec.UnknownFields) *httptest.Server {
	t.Helper()
	store := embeddedStore(t)()
	opts := supervisor.DefaultOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.UnknownSpecFields = mode
	mgr := supervisor.NewManager(store, opts)
	if err := mgr.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	runner := task.NewRunner(task.RunnerOptions{WorkDir: t.TempDir(), Store: store, Storage: &storage.Local{Root: t.TempDir()}, Logger: opts.Logger})
	srv := httptest.NewServer(New(Services{Supervisors: mgr, Tasks: runner, Segments: metadata.NewCatalog(store)}, Options{Logger: opts.Logger}))
	t.Cleanup(func() { srv.Close(); runner.Close(); store.Close() })
	return srv
}

func post(t *testing.T, srv *httptest.Server, path, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, strings.TrimSpace(string(b))
}

const legacySpec = `{"type":"kafka","suspended":true,"dataSchema":{"dataSource":"legacy"},
  "ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"},"skipOffsetGaps":true},
  "tuningConfig":{"type":"kafka","buildV9Directly":true,"maxColumnsToMerge":-1,"partitionsSpec":{"type":"dynamic"}}}`

func TestLegacyDruidFieldsOverHTTP(t *testing.T) {
	srv := unknownFieldsServer(t, spec.UnknownFieldsReject)
	resp, body := post(t, srv, base, legacySpec)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	// Druid's client reads this answer as Map<String,String>: the body stays {"id":…}.
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil || len(m) != 1 || m["id"] != "legacy" {
		t.Fatalf("body %s is not {\"id\":\"legacy\"} (%v)", body, err)
	}
	warns := resp.Header.Values("Warning")
	want := []string{"ioConfig.skipOffsetGaps", "tuningConfig.buildV9Directly", "tuningConfig.maxColumnsToMerge", "tuningConfig.partitionsSpec"}
	if len(warns) != len(want) {
		t.Fatalf("Warning headers %q, want %d", warns, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(warns[i], `299 kafka-indexer "`+w+`: accepted for Druid compatibility, no effect (`) {
			t.Errorf("Warning %d = %q, want it about %s", i, warns[i], w)
		}
	}
	// Stored and echoed exactly as submitted.
	r, err := http.Get(srv.URL + base + "/legacy")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, frag := range []string{`"buildV9Directly":true`, `"maxColumnsToMerge":-1`, `"partitionsSpec":{"type":"dynamic"}`, `"skipOffsetGaps":true`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("GET spec lacks %s: %s", frag, b)
		}
	}
	// Posting the echo back is accepted (Druid's clients do).
	if resp, body := post(t, srv, base, string(b)); resp.StatusCode != 200 {
		t.Errorf("echo refused: %d %s", resp.StatusCode, body)
	}
	// validateOnly (kafka-indexer's own) carries the warnings in its body.
	resp, body = post(t, srv, base+"?validateOnly=true", legacySpec)
	if resp.StatusCode != 200 || !strings.Contains(body, `"warnings":["ioConfig.skipOffsetGaps: accepted`) {
		t.Errorf("validateOnly: %d %s", resp.StatusCode, body)
	}
	// No warnings, no header and no key.
	plain := `{"type":"kafka","suspended":true,"dataSchema":{"dataSource":"plain"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`
	resp, body = post(t, srv, base, plain)
	if resp.StatusCode != 200 || body != `{"id":"plain"}` || resp.Header.Get("Warning") != "" {
		t.Errorf("plain spec: %d %s %q", resp.StatusCode, body, resp.Header.Values("Warning"))
	}
	resp, body = post(t, srv, base+"?validateOnly=true", strings.Replace(plain, `"plain"`, `"plain2"`, 1))
	if resp.StatusCode != 200 || body != `{"id":"plain2","valid":true}` {
		t.Errorf("plain validateOnly: %d %s", resp.StatusCode, body)
	}
}

func TestUnknownSpecFieldsModesOverHTTP(t *testing.T) {
	typo := `{"type":"kafka","suspended":true,"dataSchema":{"dataSource":"typo"},"ioConfig":{"topic":"t","taskCuont":2,"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`
	t.Run("reject", func(t *testing.T) {
		srv := unknownFieldsServer(t, spec.UnknownFieldsReject)
		resp, body := post(t, srv, base, typo)
		if resp.StatusCode != 400 || body != `{"error":"ioConfig.taskCuont: unknown field (did you mean taskCount?)"}` {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("warn", func(t *testing.T) {
		srv := unknownFieldsServer(t, spec.UnknownFieldsWarn)
		resp, body := post(t, srv, base, typo)
		if resp.StatusCode != 200 || body != `{"id":"typo"}` {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if got := resp.Header.Values("Warning"); len(got) != 1 || got[0] != `299 kafka-indexer "ioConfig.taskCuont: unknown field (did you mean taskCount?); ignored"` {
			t.Errorf("Warning headers %q", got)
		}
		r, err := http.Get(srv.URL + base + "/typo")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if strings.Contains(string(b), "taskCuont") || !strings.Contains(string(b), `"taskCount":1`) {
			t.Errorf("unknown field stored: %s", b)
		}
	})
	t.Run("ignore", func(t *testing.T) {
		srv := unknownFieldsServer(t, spec.UnknownFieldsIgnore)
		resp, body := post(t, srv, base, typo)
		if resp.StatusCode != 200 || body != `{"id":"typo"}` || resp.Header.Get("Warning") != "" {
			t.Errorf("%d %s %q", resp.StatusCode, body, resp.Header.Values("Warning"))
		}
	})
}
