package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

const taskColumns = `id, group_id, datasource, type, created_date, payload, status_payload, active`

func scanTask(r Row) (metadata.Task, error) {
	var t metadata.Task
	err := r.Scan(&t.ID, &t.GroupID, &t.DataSource, &t.Type, &t.CreatedDate, &t.Payload, &t.Status, &t.Active)
	return t, err
}

// InsertTask implements metadata.Store.
func (s *Store) InsertTask(ctx context.Context, t metadata.Task) error {
	if err := s.check(); err != nil {
		return err
	}
	if t.CreatedDate == "" {
		t.CreatedDate = s.nowString()
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			t.ID, t.GroupID, t.DataSource, t.Type, t.CreatedDate, nonNil(t.Payload), nonNil(t.Status), t.Active)
		if err != nil {
			return err
		}
		if n != 1 {
			return metadata.ErrConflict
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert task %s: %w", t.ID, err)
	}
	return nil
}

// GetTask implements metadata.Store.
func (s *Store) GetTask(ctx context.Context, id string) (metadata.Task, error) {
	if err := s.check(); err != nil {
		return metadata.Task{}, err
	}
	var t metadata.Task
	err := s.b.Read(ctx, func(tx Tx) error {
		var err error
		t, err = scanTask(tx.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
		if errors.Is(err, ErrNoRows) {
			return metadata.ErrNotFound
		}
		return err
	})
	if err != nil {
		return metadata.Task{}, fmt.Errorf("read task %s: %w", id, err)
	}
	return t, nil
}

// UpdateTaskStatus implements metadata.Store.
func (s *Store) UpdateTaskStatus(ctx context.Context, id string, status []byte, active bool) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE tasks SET status_payload = ?, active = ? WHERE id = ?`, nonNil(status), active, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return metadata.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update status of task %s: %w", id, err)
	}
	return nil
}

// ListTasks implements metadata.Store.
func (s *Store) ListTasks(ctx context.Context, f metadata.TaskFilter) ([]metadata.Task, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	q := `SELECT ` + taskColumns + ` FROM tasks WHERE 1 = 1`
	var args []any
	if f.Active != nil {
		q += ` AND active = ?`
		args = append(args, *f.Active)
	}
	if f.DataSource != "" {
		q += ` AND datasource = ?`
		args = append(args, f.DataSource)
	}
	q += ` ORDER BY created_date DESC, seq DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, int64(f.Limit))
	}
	out, err := s.queryTasks(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return out, nil
}

// queryTasks runs a read-only query selecting taskColumns and scans its rows.
func (s *Store) queryTasks(ctx context.Context, q string, args ...any) ([]metadata.Task, error) {
	var out []metadata.Task
	err := s.b.Read(ctx, func(tx Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTask(rows)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}
