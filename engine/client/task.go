package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// taskBase is the base of Druid's OverlordResource task routes.
const taskBase = "/druid/indexer/v1"

// TaskStatus is one task as the Overlord lists it (Druid's TaskStatusPlus): an item of
// GET /tasks and the status of GET /task/{id}/status. Times are ISO-8601 strings as sent;
// Duration is in milliseconds, -1 while the task runs.
type TaskStatus struct {
	ID                 string       `json:"id"`
	GroupID            string       `json:"groupId"`
	Type               string       `json:"type"`
	CreatedTime        string       `json:"createdTime"`
	QueueInsertionTime string       `json:"queueInsertionTime"`
	StatusCode         string       `json:"statusCode"` // RUNNING, SUCCESS or FAILED
	Status             string       `json:"status"`
	RunnerStatusCode   string       `json:"runnerStatusCode"` // WAITING, PENDING, RUNNING or NONE
	Duration           int64        `json:"duration"`
	Location           TaskLocation `json:"location"`
	DataSource         string       `json:"dataSource"`
	ErrorMsg           *string      `json:"errorMsg"`
}

// TaskLocation is where a task's chat API is served (Druid's TaskLocation); Host is null until
// the task has a slot.
type TaskLocation struct {
	Host    *string `json:"host"`
	Port    int     `json:"port"`
	TLSPort int     `json:"tlsPort"`
}

// TaskFilter narrows ListTasks. Zero fields do not filter.
type TaskFilter struct {
	// State is one of Druid's API task states: running, pending, waiting or complete.
	State string
	// DataSource keeps the tasks of one datasource.
	DataSource string
}

// ListTasks returns tasks, newest first (GET /tasks?state=&datasource=). An unknown state
// returns an *APIError matching ErrBadRequest with Druid's "Invalid state" text.
func (c *Client) ListTasks(ctx context.Context, f TaskFilter) ([]TaskStatus, error) {
	q := url.Values{}
	if f.State != "" {
		q.Set("state", f.State)
	}
	if f.DataSource != "" {
		q.Set("datasource", f.DataSource)
	}
	path := taskBase + "/tasks"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []TaskStatus
	err := c.Do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// ErrUnknownTask is returned by TaskStatus for a task the Overlord does not know: Druid answers
// 404 with {"task": id, "status": null}, which carries no error message of its own.
var ErrUnknownTask = errors.New("unknown task")

// TaskStatus returns one task's status (GET /task/{id}/status). An unknown task returns an error
// matching both ErrUnknownTask and ErrNotFound.
func (c *Client) TaskStatus(ctx context.Context, id string) (*TaskStatus, error) {
	var a struct {
		Task   string      `json:"task"`
		Status *TaskStatus `json:"status"`
	}
	path := taskBase + "/task/" + url.PathEscape(id) + "/status"
	err := c.Do(ctx, http.MethodGet, path, nil, &a)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
		return nil, unknownTaskError{ae}
	}
	if err != nil {
		return nil, err
	}
	if a.Status == nil {
		// A null status means unknown however the server answered; Druid's 404 carries one too.
		return nil, unknownTaskError{&APIError{Method: http.MethodGet, Path: path, StatusCode: http.StatusNotFound, Message: "task " + id + " is unknown"}}
	}
	return a.Status, nil
}

// unknownTaskError is a 404 of a task route, which matches ErrUnknownTask as well as the
// APIError's sentinels.
type unknownTaskError struct{ *APIError }

func (e unknownTaskError) Is(target error) bool {
	return target == ErrUnknownTask || e.APIError.Is(target)
}

func (e unknownTaskError) Unwrap() error { return e.APIError }

// TaskReports returns a task's reports as raw JSON (GET /task/{id}/reports): the live report
// while it runs, the completion report after. A task without reports returns an *APIError
// matching ErrNotFound.
func (c *Client) TaskReports(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, taskBase+"/task/"+url.PathEscape(id)+"/reports", nil, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// ShutdownTask kills a task (POST /task/{id}/shutdown). Druid answers 200 for a finished or
// unknown task too, and nothing changes.
func (c *Client) ShutdownTask(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodPost, taskBase+"/task/"+url.PathEscape(id)+"/shutdown", nil, nil)
}
