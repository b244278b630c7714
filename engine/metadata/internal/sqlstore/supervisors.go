package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// supervisorsLockKey serialises supervisor inserts so created_date stays
// strictly increasing.
const supervisorsLockKey = "supervisors"

// InsertSupervisor implements metadata.Store.
func (s *Store) InsertSupervisor(ctx context.Context, id string, payload []byte) (metadata.SupervisorRow, error) {
	if err := s.check(); err != nil {
		return metadata.SupervisorRow{}, err
	}
	row := metadata.SupervisorRow{ID: id, Payload: payload}
	err := s.b.Write(ctx, []string{supervisorsLockKey}, func(tx Tx) error {
		now := s.now().UTC().Truncate(time.Millisecond)
		var last string
		err := tx.QueryRow(ctx, `SELECT created_date FROM supervisors ORDER BY seq DESC LIMIT 1`).Scan(&last)
		switch {
		case errors.Is(err, ErrNoRows):
		case err != nil:
			return err
		default:
			lt, err := parseTime(last)
			if err != nil {
				return err
			}
			if !now.After(lt) {
				now = lt.Add(time.Millisecond)
			}
		}
		row.Version = druidapi.FormatTime(now)
		return tx.QueryRow(ctx, `INSERT INTO supervisors (spec_id, created_date, payload) VALUES (?, ?, ?) RETURNING seq`,
			id, row.Version, nonNil(payload)).Scan(&row.Seq)
	})
	if err != nil {
		return metadata.SupervisorRow{}, fmt.Errorf("insert supervisor %s: %w", id, err)
	}
	return row, nil
}

func scanSupervisors(ctx context.Context, tx Tx, query string, args ...any) ([]metadata.SupervisorRow, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metadata.SupervisorRow
	for rows.Next() {
		var r metadata.SupervisorRow
		if err := rows.Scan(&r.Seq, &r.ID, &r.Version, &r.Payload); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestSupervisors implements metadata.Store.
func (s *Store) LatestSupervisors(ctx context.Context) ([]metadata.SupervisorRow, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []metadata.SupervisorRow
	err := s.b.Read(ctx, func(tx Tx) error {
		var err error
		out, err = scanSupervisors(ctx, tx, `SELECT seq, spec_id, created_date, payload FROM supervisors
			WHERE seq IN (SELECT MAX(seq) FROM supervisors GROUP BY spec_id)`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read latest supervisors: %w", err)
	}
	// Sorted here rather than in SQL: database collations differ.
	slices.SortFunc(out, func(a, b metadata.SupervisorRow) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// SupervisorHistory implements metadata.Store.
func (s *Store) SupervisorHistory(ctx context.Context, id string) ([]metadata.SupervisorRow, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []metadata.SupervisorRow
	err := s.b.Read(ctx, func(tx Tx) error {
		var err error
		out, err = scanSupervisors(ctx, tx, `SELECT seq, spec_id, created_date, payload FROM supervisors
			WHERE spec_id = ? ORDER BY seq DESC`, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read history of supervisor %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read history of supervisor %s: %w", id, metadata.ErrNotFound)
	}
	return out, nil
}

// AllSupervisorHistory implements metadata.Store.
func (s *Store) AllSupervisorHistory(ctx context.Context) (map[string][]metadata.SupervisorRow, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var all []metadata.SupervisorRow
	err := s.b.Read(ctx, func(tx Tx) error {
		var err error
		all, err = scanSupervisors(ctx, tx, `SELECT seq, spec_id, created_date, payload FROM supervisors ORDER BY seq DESC`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read supervisor history: %w", err)
	}
	out := make(map[string][]metadata.SupervisorRow)
	for _, r := range all {
		out[r.ID] = append(out[r.ID], r)
	}
	return out, nil
}
