package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// supervisorPath is the base of Druid's SupervisorResource.
const supervisorPath = "/druid/indexer/v1/supervisor"

func idPath(id, suffix string) string {
	return supervisorPath + "/" + url.PathEscape(id) + suffix
}

type idAnswer struct {
	ID string `json:"id"`
}

// ServerInfo returns GET /status. The first successful answer is cached for
// the life of the client.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	if c.info != nil {
		cp := *c.info
		return &cp, nil
	}
	var info ServerInfo
	if err := c.Do(ctx, http.MethodGet, "/status", nil, &info); err != nil {
		return nil, err
	}
	c.info = &info
	cp := info
	return &cp, nil
}

// CreateOrUpdateSupervisor posts spec (POST /supervisor) and returns the
// supervisor id. Posting over a running supervisor replaces it; a spec
// without "suspended": true resumes a suspended one, as in Druid. An invalid
// spec returns an *APIError matching ErrBadRequest.
func (c *Client) CreateOrUpdateSupervisor(ctx context.Context, spec json.RawMessage) (string, error) {
	var a idAnswer
	if err := c.Do(ctx, http.MethodPost, supervisorPath, spec, &a); err != nil {
		return "", err
	}
	return a.ID, nil
}

// ValidateSupervisor asks kafka-indexer to validate spec without storing it
// (POST /supervisor?validateOnly=true) and returns the id the supervisor
// would get. An invalid spec returns an *APIError matching ErrBadRequest
// whose Message names the JSON path, e.g. "ioConfig.taskCount: must be ≥ 1".
//
// Druid ignores validateOnly and would create the supervisor, so the method
// first checks ServerInfo and returns ErrDryRunUnsupported without sending
// the spec unless the server is kafka-indexer.
func (c *Client) ValidateSupervisor(ctx context.Context, spec json.RawMessage) (string, error) {
	a, err := c.DryRunSupervisor(ctx, spec)
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// DryRunSupervisor is ValidateSupervisor returning the whole answer: for a
// spec whose supervisor exists, Impact says what submitting it would do to
// the running tasks ("none", "keepTasks", "handoff", "resetRequired") and
// ImpactFields which JSON paths cause it. Errors are those of
// ValidateSupervisor.
func (c *Client) DryRunSupervisor(ctx context.Context, spec json.RawMessage) (*druidapi.ValidateAnswer, error) {
	info, err := c.ServerInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("identify server before dry run: %w", err)
	}
	if !info.KafkaIndexer {
		return nil, ErrDryRunUnsupported
	}
	var a druidapi.ValidateAnswer
	if err := c.Do(ctx, http.MethodPost, supervisorPath+"?validateOnly=true", spec, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListSupervisors returns the ids of all supervisors (GET /supervisor), in no
// particular order.
func (c *Client) ListSupervisors(ctx context.Context) ([]string, error) {
	var ids []string
	err := c.Do(ctx, http.MethodGet, supervisorPath, nil, &ids)
	return ids, err
}

// ListSupervisorsFull returns every supervisor with its state and spec
// (GET /supervisor?full).
func (c *Client) ListSupervisorsFull(ctx context.Context) ([]SupervisorStatus, error) {
	var s []SupervisorStatus
	err := c.Do(ctx, http.MethodGet, supervisorPath+"?full", nil, &s)
	return s, err
}

// ListSupervisorStates returns every supervisor's state without specs
// (GET /supervisor?state=true).
func (c *Client) ListSupervisorStates(ctx context.Context) ([]SupervisorStatus, error) {
	var s []SupervisorStatus
	err := c.Do(ctx, http.MethodGet, supervisorPath+"?state=true", nil, &s)
	return s, err
}

// GetSupervisor returns the stored spec as the server echoes it (defaults
// filled in, sections duplicated at top level, "suspended" set). An unknown id
// returns an *APIError matching ErrNotFound.
func (c *Client) GetSupervisor(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, idPath(id, ""), nil, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// SupervisorStatus returns the status report (GET /supervisor/{id}/status).
// An unknown id returns an *APIError matching ErrNotFound.
func (c *Client) SupervisorStatus(ctx context.Context, id string) (*SupervisorReport, error) {
	var r SupervisorReport
	if err := c.Do(ctx, http.MethodGet, idPath(id, "/status"), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// SupervisorHealth reports GET /supervisor/{id}/health. Druid answers an
// unhealthy supervisor with 503 {"healthy":false}; that is returned as false
// and a nil error. An unknown id returns an *APIError matching ErrNotFound.
func (c *Client) SupervisorHealth(ctx context.Context, id string) (bool, error) {
	ctx = context.WithValue(ctx, retryModeKey{}, retryHealth)
	var h druidapi.SupervisorHealth
	err := c.Do(ctx, http.MethodGet, idPath(id, "/health"), nil, &h)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusServiceUnavailable {
		if json.Unmarshal(ae.Body, &h) == nil && !h.Healthy && len(ae.Body) > 0 {
			return false, nil
		}
	}
	if err != nil {
		return false, err
	}
	return h.Healthy, nil
}

// SupervisorStats returns the raw row statistics per task group and task
// (GET /supervisor/{id}/stats).
func (c *Client) SupervisorStats(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, idPath(id, "/stats"), nil, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// SupervisorParseErrors returns the raw list of recent parse exception
// reports (GET /supervisor/{id}/parseErrors).
func (c *Client) SupervisorParseErrors(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, idPath(id, "/parseErrors"), nil, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// Suspend suspends a supervisor (POST /supervisor/{id}/suspend) and returns
// the echoed spec, now with "suspended": true. Suspending a suspended
// supervisor returns an *APIError matching ErrBadRequest
// ("[id] is already suspended").
func (c *Client) Suspend(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodPost, idPath(id, "/suspend"), nil, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// Resume resumes a supervisor (POST /supervisor/{id}/resume) and returns the
// echoed spec, now with "suspended": false. Resuming a running supervisor
// returns an *APIError matching ErrBadRequest ("[id] is already running").
func (c *Client) Resume(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodPost, idPath(id, "/resume"), nil, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// SuspendAll suspends every supervisor (POST /supervisor/suspendAll).
func (c *Client) SuspendAll(ctx context.Context) error {
	return c.Do(ctx, http.MethodPost, supervisorPath+"/suspendAll", nil, nil)
}

// ResumeAll resumes every supervisor (POST /supervisor/resumeAll).
func (c *Client) ResumeAll(ctx context.Context) error {
	return c.Do(ctx, http.MethodPost, supervisorPath+"/resumeAll", nil, nil)
}

// Reset hard-resets a supervisor (POST /supervisor/{id}/reset): stored
// offsets are deleted and reading tasks killed. It is never retried.
func (c *Client) Reset(ctx context.Context, id string) error {
	ctx = context.WithValue(ctx, retryModeKey{}, retryNever)
	return c.Do(ctx, http.MethodPost, idPath(id, "/reset"), nil, nil)
}

// ResetOffsets overrides the stored end offsets of the given partitions of
// stream (POST /supervisor/{id}/resetOffsets with Kafka DataSourceMetadata).
// Partitions of a topicPattern supervisor name their topic ("topic:0" keys).
// Other partitions keep their offsets. It is never retried.
func (c *Client) ResetOffsets(ctx context.Context, id, stream string, offsets map[druidapi.Partition]int64) error {
	m := make(map[string]int64, len(offsets))
	for p, o := range offsets {
		m[p.String()] = o
	}
	body := map[string]any{
		"type": "kafka",
		"partitions": map[string]any{
			"type":               "end",
			"stream":             stream,
			"partitionOffsetMap": m,
		},
	}
	ctx = context.WithValue(ctx, retryModeKey{}, retryNever)
	return c.Do(ctx, http.MethodPost, idPath(id, "/resetOffsets"), body, nil)
}

// Terminate stops a supervisor and removes it (POST /supervisor/{id}/terminate);
// its history remains. An unknown id returns an *APIError matching
// ErrNotFound.
func (c *Client) Terminate(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodPost, idPath(id, "/terminate"), nil, nil)
}

// TerminateAll terminates every supervisor (POST /supervisor/terminateAll).
func (c *Client) TerminateAll(ctx context.Context) error {
	return c.Do(ctx, http.MethodPost, supervisorPath+"/terminateAll", nil, nil)
}

// History returns every supervisor's spec versions, newest first
// (GET /supervisor/history).
func (c *Client) History(ctx context.Context) (map[string][]HistoryEntry, error) {
	var h map[string][]HistoryEntry
	err := c.Do(ctx, http.MethodGet, supervisorPath+"/history", nil, &h)
	return h, err
}

// SupervisorHistory returns one supervisor's spec versions, newest first
// (GET /supervisor/{id}/history). An id without history returns an *APIError
// matching ErrNotFound.
func (c *Client) SupervisorHistory(ctx context.Context, id string) ([]HistoryEntry, error) {
	var h []HistoryEntry
	err := c.Do(ctx, http.MethodGet, idPath(id, "/history"), nil, &h)
	return h, err
}

// ResetOffsetsMetadata is ResetOffsets with the request body given as Druid's
// DataSourceMetadata JSON ({"type":"kafka","partitions":{"type":"end","stream":…,
// "partitionOffsetMap":{…}}}), sent as is. It is never retried.
func (c *Client) ResetOffsetsMetadata(ctx context.Context, id string, metadata json.RawMessage) error {
	ctx = context.WithValue(ctx, retryModeKey{}, retryNever)
	return c.Do(ctx, http.MethodPost, idPath(id, "/resetOffsets"), metadata, nil)
}
