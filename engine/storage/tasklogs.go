package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Task logs in deep storage (Druid's druid.indexer.logs.type=s3 or file): when a task finishes
// on a cluster worker, the worker pushes the task's log and its reports file here, and any node
// answers GET /task/{id}/log and …/reports of a finished task from here, whichever worker ran
// it. The files are kept under the deep storage's own prefix:
//
//	<prefix>/task-logs/<taskId>/log           the task's kept log, text
//	<prefix>/task-logs/<taskId>/report.json   its completion report
//
// for Local under Root, for S3 under the key prefix.

// Task file names (TaskFiles).
const (
	TaskLogFile    = "log"
	TaskReportFile = "report.json"
	taskLogsDir    = "task-logs"
)

// ErrNoTaskFile is returned by GetTaskFile when the file was never pushed (or is gone).
var ErrNoTaskFile = errors.New("storage: no such task file")

// TaskFiles keeps finished tasks' logs and reports (Druid's TaskLogs: TaskLogPusher and
// TaskLogStreamer). Local and S3 implement it.
type TaskFiles interface {
	// PutTaskFile stores data as file name (TaskLogFile or TaskReportFile) of task taskID,
	// replacing what was there.
	PutTaskFile(ctx context.Context, taskID, name string, data []byte) error
	// GetTaskFile returns file name of task taskID, at most maxBytes of it (a larger file is
	// an error, not a truncated answer). ErrNoTaskFile when it is not there.
	GetTaskFile(ctx context.Context, taskID, name string, maxBytes int64) ([]byte, error)
}

var (
	_ TaskFiles = (*Local)(nil)
	_ TaskFiles = (*S3)(nil)
)

// taskFilePath is task-logs/<taskID>/<name>, slash-separated, after checking that taskID is
// one plain path element (ids are validated at the API edge too; this is the second line, so
// no id can name a key or file outside its own directory) and name one of the task files.
func taskFilePath(taskID, name string) (string, error) {
	if name != TaskLogFile && name != TaskReportFile {
		return "", fmt.Errorf("storage: task file %q: not %s or %s", name, TaskLogFile, TaskReportFile)
	}
	if !isPathElement(taskID) || strings.IndexFunc(taskID, func(r rune) bool { return unicode.IsControl(r) }) >= 0 || len(taskID) > 512 {
		return "", fmt.Errorf("storage: task id %q is not usable as a path element", taskID)
	}
	return path.Join(taskLogsDir, taskID, name), nil
}

// PutTaskFile writes <Root>/task-logs/<taskID>/<name> through a temporary file and a rename,
// so a reader never sees a partial file.
func (l *Local) PutTaskFile(ctx context.Context, taskID, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rel, err := taskFilePath(taskID, name)
	if err != nil {
		return err
	}
	dst := filepath.Join(l.Root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("storage: put task file %s: %w", rel, err)
	}
	f, err := os.CreateTemp(filepath.Dir(dst), name+".tmp-*")
	if err != nil {
		return fmt.Errorf("storage: put task file %s: %w", rel, err)
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("storage: put task file %s: %w", rel, err)
	}
	return nil
}

// GetTaskFile reads <Root>/task-logs/<taskID>/<name>.
func (l *Local) GetTaskFile(ctx context.Context, taskID, name string, maxBytes int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rel, err := taskFilePath(taskID, name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(l.Root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoTaskFile, rel)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get task file %s: %w", rel, err)
	}
	defer f.Close()
	return readBounded(f, maxBytes, rel)
}

// readBounded reads r whole, refusing more than maxBytes.
func readBounded(r io.Reader, maxBytes int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("storage: get task file %s: %w", what, err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("storage: get task file %s: larger than %d bytes", what, maxBytes)
	}
	return b, nil
}

// taskFileKey is the S3 key of a task file: <prefix>/task-logs/<taskID>/<name>.
func (s *S3) taskFileKey(taskID, name string) (string, error) {
	rel, err := taskFilePath(taskID, name)
	if err != nil {
		return "", err
	}
	return path.Join(s.opts.Prefix, rel), nil
}

// PutTaskFile uploads the file with one PutObject, retried as every S3 request is.
func (s *S3) PutTaskFile(ctx context.Context, taskID, name string, data []byte) error {
	key, err := s.taskFileKey(taskID, name)
	if err != nil {
		return err
	}
	contentType := "text/plain; charset=utf-8"
	if name == TaskReportFile {
		contentType = "application/json"
	}
	where := "s3://" + s.opts.Bucket + "/" + key
	err = s.retry(ctx, "put "+where, func(ctx context.Context) error {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.opts.Bucket), Key: aws.String(key), Body: bytes.NewReader(data),
			ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String(contentType),
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: put task file: %w", err)
	}
	return nil
}

// GetTaskFile downloads the file; a missing key (NoSuchKey, or 404 to a server that answers
// so) is ErrNoTaskFile, and is not retried.
func (s *S3) GetTaskFile(ctx context.Context, taskID, name string, maxBytes int64) ([]byte, error) {
	key, err := s.taskFileKey(taskID, name)
	if err != nil {
		return nil, err
	}
	where := "s3://" + s.opts.Bucket + "/" + key
	var out []byte
	err = s.retry(ctx, "get "+where, func(ctx context.Context) error {
		resp, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(key)})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.ContentLength != nil && *resp.ContentLength > maxBytes {
			return fmt.Errorf("larger than %d bytes", maxBytes)
		}
		out, err = readBounded(resp.Body, maxBytes, where)
		return err
	})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) || isS3NotFound(err) {
		return nil, fmt.Errorf("%w: %s", ErrNoTaskFile, where)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get task file: %w", err)
	}
	return out, nil
}

// isS3NotFound reports whether err is an S3 answer 404 (a GetObject of a missing key that the
// SDK does not decode as NoSuchKey).
func isS3NotFound(err error) bool {
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == 404
}
