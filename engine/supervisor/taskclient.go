package supervisor

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TaskClient is how a supervisor reaches its tasks: Druid's SeekableStreamIndexTaskClient over
// the chat API. The supervisor uses nothing else, so tasks may run in this process today and
// elsewhere tomorrow.
type TaskClient interface {
	Status(ctx context.Context, id string) (task.Status, error)
	StartTime(ctx context.Context, id string) (*time.Time, error)
	CurrentOffsets(ctx context.Context, id string) (task.Offsets, error)
	EndOffsets(ctx context.Context, id string) (task.Offsets, error)
	// Pause pauses the task and returns its current offsets, polling while it answers 202.
	Pause(ctx context.Context, id string) (task.Offsets, error)
	Resume(ctx context.Context, id string) error
	SetEndOffsets(ctx context.Context, id string, end task.Offsets, finish bool) error
	Checkpoints(ctx context.Context, id string) (map[int]task.Offsets, error)
	Stop(ctx context.Context, id string, publish bool) error
	RowStats(ctx context.Context, id string) (json.RawMessage, error)
	UnparseableEvents(ctx context.Context, id string) ([]json.RawMessage, error)
	// StallMessage returns why a running task does not read on ("" when it reads normally):
	// the errorMsg of its live report, set while a record waits for the schema registry.
	StallMessage(ctx context.Context, id string) (string, error)
}

// ChatClient is the HTTP TaskClient. Base is the URL of the process serving the chat API;
// Locate, when set, replaces it with the URL of the worker that runs each task (a cluster's
// tasks run on several nodes), and returns ErrTaskNotRunning for a task on no worker yet.
type ChatClient struct {
	Base               func() string
	Locate             func(ctx context.Context, id string) (string, error)
	Username, Password string
	HTTP               *http.Client
}

// NewChatClient returns a chat client with Druid's per-request timeout (httpTimeout, PT10S).
// TLS certificates are not verified: the client only talks to the daemon's own listener.
func NewChatClient(base func() string, username, password string) *ChatClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback to our own listener
	return &ChatClient{Base: base, Username: username, Password: password, HTTP: &http.Client{Timeout: 10 * time.Second, Transport: tr}}
}

// ErrTaskNotRunning is returned when the chat API answers 404: the task is not running there.
var ErrTaskNotRunning = errors.New("task is not running")

func (c *ChatClient) do(ctx context.Context, method, id, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	base := ""
	if c.Locate != nil {
		var err error
		if base, err = c.Locate(ctx, id); err != nil {
			return 0, err
		}
	} else {
		base = c.Base()
	}
	u := base + "/druid/worker/v1/chat/" + url.PathEscape(id) + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Username != "" {
		req.SetBasicAuth(c.Username, c.Password)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("chat %s %s of task %s: %w", method, path, id, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return resp.StatusCode, fmt.Errorf("%w: %s", ErrTaskNotRunning, id)
	case resp.StatusCode >= 300:
		return resp.StatusCode, fmt.Errorf("chat %s %s of task %s: %d %s", method, path, id, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil && len(b) > 0 && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("chat %s %s of task %s: %w", method, path, id, err)
		}
	}
	return resp.StatusCode, nil
}

// Status returns the task's runner status.
func (c *ChatClient) Status(ctx context.Context, id string) (task.Status, error) {
	var s task.Status
	_, err := c.do(ctx, "GET", id, "/status", nil, &s)
	return s, err
}

// StartTime returns when the task started reading, nil before.
func (c *ChatClient) StartTime(ctx context.Context, id string) (*time.Time, error) {
	var s *string
	if _, err := c.do(ctx, "GET", id, "/time/start", nil, &s); err != nil || s == nil {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// CurrentOffsets returns the next offsets the task will read.
func (c *ChatClient) CurrentOffsets(ctx context.Context, id string) (task.Offsets, error) {
	var o task.Offsets
	_, err := c.do(ctx, "GET", id, "/offsets/current", nil, &o)
	return o, err
}

// EndOffsets returns the task's end offsets.
func (c *ChatClient) EndOffsets(ctx context.Context, id string) (task.Offsets, error) {
	var o task.Offsets
	_, err := c.do(ctx, "GET", id, "/offsets/end", nil, &o)
	return o, err
}

// pausePollTimeout bounds how long Pause polls a task that answered 202 (Druid gives up after
// its chat retries, about as long, and kills the task): a task that never pauses must not hold
// the supervisor's loop, and with it every checkpoint of every group, forever.
const pausePollTimeout = 2 * time.Minute

// Pause pauses the task; on 202 it polls /status until PAUSED, then reads /offsets/current.
func (c *ChatClient) Pause(ctx context.Context, id string) (task.Offsets, error) {
	var o task.Offsets
	code, err := c.do(ctx, "POST", id, "/pause", nil, &o)
	if err != nil {
		return nil, err
	}
	if code == http.StatusOK {
		return o, nil
	}
	deadline := time.Now().Add(pausePollTimeout)
	for {
		st, err := c.Status(ctx, id)
		if err != nil {
			return nil, err
		}
		if st == task.StatusPaused {
			return c.CurrentOffsets(ctx, id)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("task %s did not pause within %v (status %s)", id, pausePollTimeout, st)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Resume resumes a paused task.
func (c *ChatClient) Resume(ctx context.Context, id string) error {
	_, err := c.do(ctx, "POST", id, "/resume", nil, nil)
	return err
}

// SetEndOffsets sets end offsets (finish) or a checkpoint (!finish).
func (c *ChatClient) SetEndOffsets(ctx context.Context, id string, end task.Offsets, finish bool) error {
	_, err := c.do(ctx, "POST", id, "/offsets/end?finish="+strconv.FormatBool(finish), end, nil)
	return err
}

// Checkpoints returns the start offsets of the task's unpublished sequences.
func (c *ChatClient) Checkpoints(ctx context.Context, id string) (map[int]task.Offsets, error) {
	var raw map[string]task.Offsets
	if _, err := c.do(ctx, "GET", id, "/checkpoints", nil, &raw); err != nil {
		return nil, err
	}
	out := make(map[int]task.Offsets, len(raw))
	for k, v := range raw {
		n, err := strconv.Atoi(k)
		if err != nil {
			return nil, fmt.Errorf("checkpoint id %q of task %s", k, id)
		}
		out[n] = v
	}
	return out, nil
}

// Stop stops the task, publishing what it read when publish is true.
func (c *ChatClient) Stop(ctx context.Context, id string, publish bool) error {
	path := "/stop"
	if publish {
		path += "?publish=true"
	}
	_, err := c.do(ctx, "POST", id, path, nil, nil)
	return err
}

// RowStats returns the task's /rowStats.
func (c *ChatClient) RowStats(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	_, err := c.do(ctx, "GET", id, "/rowStats", nil, &raw)
	return raw, err
}

// UnparseableEvents returns the task's saved parse exceptions: a bare list, as Druid's
// SeekableStreamIndexTaskRunner answers them.
func (c *ChatClient) UnparseableEvents(ctx context.Context, id string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	_, err := c.do(ctx, "GET", id, "/unparseableEvents", nil, &out)
	return out, err
}

// StallMessage reads the errorMsg of the task's /liveReports (ingestionStatsAndErrors).
func (c *ChatClient) StallMessage(ctx context.Context, id string) (string, error) {
	var rep struct {
		IngestionStatsAndErrors struct {
			Payload struct {
				ErrorMsg string `json:"errorMsg"`
			} `json:"payload"`
		} `json:"ingestionStatsAndErrors"`
	}
	_, err := c.do(ctx, "GET", id, "/liveReports", nil, &rep)
	return rep.IngestionStatsAndErrors.Payload.ErrorMsg, err
}
