package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
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
