package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

var _ metadata.WorkerStore = (*Store)(nil)

// HeartbeatWorker implements metadata.WorkerStore with one upsert, atomic on
// its own, so no advisory lock is taken.
func (s *Store) HeartbeatWorker(ctx context.Context, w metadata.Worker) error {
	if err := s.check(); err != nil {
		return err
	}
	running := w.RunningTasks
	if running == nil {
		running = []string{}
	}
	tasks, err := json.Marshal(running)
	if err != nil {
		return err
	}
	now := s.d.NowMillis
	err = s.b.Write(ctx, nil, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO workers (url, capacity, version, running_tasks, last_heartbeat)
			VALUES (?, ?, ?, ?, `+now+`)
			ON CONFLICT (url) DO UPDATE SET capacity = excluded.capacity, version = excluded.version,
				running_tasks = excluded.running_tasks, last_heartbeat = excluded.last_heartbeat`,
			w.URL, int64(w.Capacity), w.Version, string(tasks))
		return err
	})
	if err != nil {
		return fmt.Errorf("heartbeat worker %s: %w", w.URL, err)
	}
	return nil
}

// RemoveWorker implements metadata.WorkerStore.
func (s *Store) RemoveWorker(ctx context.Context, url string) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM workers WHERE url = ?`, url)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove worker %s: %w", url, err)
	}
	return nil
}

// Workers implements metadata.WorkerStore.
func (s *Store) Workers(ctx context.Context, timeout time.Duration) ([]metadata.Worker, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []metadata.Worker
	err := s.b.Read(ctx, func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT url, capacity, version, running_tasks, last_heartbeat,
			CASE WHEN last_heartbeat > `+s.d.NowMillis+` - ? THEN 1 ELSE 0 END
			FROM workers ORDER BY url`, timeout.Milliseconds())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w metadata.Worker
			var tasks string
			var capacity, last, live int64
			if err := rows.Scan(&w.URL, &capacity, &w.Version, &tasks, &last, &live); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(tasks), &w.RunningTasks); err != nil {
				return fmt.Errorf("running tasks of worker %s: %w", w.URL, err)
			}
			w.Capacity = int(capacity)
			w.LastHeartbeat = time.UnixMilli(last).UTC()
			w.Live = live == 1
			out = append(out, w)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	return out, nil
}

var _ metadata.AssignmentStore = (*Store)(nil)

// AssignTask implements metadata.AssignmentStore.
func (s *Store) AssignTask(ctx context.Context, id, worker string) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO task_assignments (task_id, worker)
			SELECT id, ? FROM tasks WHERE id = ? AND active = ?
			ON CONFLICT (task_id) DO NOTHING`, worker, id, true)
		if err != nil {
			return err
		}
		if n != 1 {
			return metadata.ErrConflict
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("assign task %s to %s: %w", id, worker, err)
	}
	return nil
}

// Assignments implements metadata.AssignmentStore.
func (s *Store) Assignments(ctx context.Context) (map[string]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	out := map[string]string{}
	err := s.b.Read(ctx, func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT a.task_id, a.worker FROM task_assignments a
			JOIN tasks t ON t.id = a.task_id WHERE t.active = ?`, true)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, w string
			if err := rows.Scan(&id, &w); err != nil {
				return err
			}
			out[id] = w
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list task assignments: %w", err)
	}
	return out, nil
}

// AssignedTasks implements metadata.AssignmentStore.
func (s *Store) AssignedTasks(ctx context.Context, worker string) ([]metadata.Task, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	out, err := s.queryTasks(ctx, `SELECT `+prefixed("t.", taskColumns)+` FROM tasks t
		JOIN task_assignments a ON a.task_id = t.id WHERE a.worker = ? AND t.active = ?
		ORDER BY t.created_date, t.seq`, worker, true)
	if err != nil {
		return nil, fmt.Errorf("list tasks of worker %s: %w", worker, err)
	}
	return out, nil
}

// prefixed qualifies each of a comma list of columns with p.
func prefixed(p, columns string) string {
	parts := strings.Split(columns, ", ")
	for i, c := range parts {
		parts[i] = p + c
	}
	return strings.Join(parts, ", ")
}

// UpdateAssignedTaskStatus implements metadata.AssignmentStore: one UPDATE whose condition is
// the assignment, so a task failed by the leader (inactive) is never written again.
func (s *Store) UpdateAssignedTaskStatus(ctx context.Context, a metadata.Assignment, status []byte, active bool) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE tasks SET status_payload = ?, active = ? WHERE id = ? AND active = ?
			AND EXISTS (SELECT 1 FROM task_assignments WHERE task_id = ? AND worker = ?)`,
			nonNil(status), active, a.TaskID, true, a.TaskID, a.Worker)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: task %s is no longer active on worker %s", metadata.ErrFenced, a.TaskID, a.Worker)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update status of task %s: %w", a.TaskID, err)
	}
	return nil
}

// checkAssignment fails the publish with ErrFenced unless the task is active and assigned to
// a.Worker. Both rows are read FOR SHARE: the leader failing the task waits for a publish in
// progress, and a publish that starts after it sees the task inactive.
func (s *Store) checkAssignment(ctx context.Context, tx Tx, a metadata.Assignment) error {
	var worker string
	var active bool
	err := tx.QueryRow(ctx, `SELECT a.worker, t.active FROM task_assignments a JOIN tasks t ON t.id = a.task_id
		WHERE a.task_id = ?`+s.d.ForShare, a.TaskID).Scan(&worker, &active)
	switch {
	case errors.Is(err, ErrNoRows):
		return fmt.Errorf("%w: task %s is assigned to no worker", metadata.ErrFenced, a.TaskID)
	case err != nil:
		return fmt.Errorf("read assignment of task %s: %w", a.TaskID, err)
	case worker != a.Worker || !active:
		return fmt.Errorf("%w: task %s is no longer active on worker %s", metadata.ErrFenced, a.TaskID, a.Worker)
	}
	return nil
}
