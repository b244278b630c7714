package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// maxBind caps the ids bound in one statement.
const maxBind = 500

// Segments implements metadata.Store.
func (s *Store) Segments(ctx context.Context, dataSource string, usedOnly bool) ([]metadata.Segment, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	q := `SELECT id, datasource, "start", "end", version, partition_num, used, payload, num_rows, size, created_date
		FROM segments WHERE datasource = ?`
	args := []any{dataSource}
	if usedOnly {
		q += ` AND used = ?`
		args = append(args, true)
	}
	var out []metadata.Segment
	err := s.b.Read(ctx, func(tx Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seg metadata.Segment
			var start, end string
			var part int64
			if err := rows.Scan(&seg.ID, &seg.DataSource, &start, &end, &seg.Version, &part, &seg.Used, &seg.Payload,
				&seg.NumRows, &seg.Size, &seg.CreatedDate); err != nil {
				return err
			}
			seg.Partition = int(part)
			if seg.Start, err = parseTime(start); err != nil {
				return err
			}
			if seg.End, err = parseTime(end); err != nil {
				return err
			}
			out = append(out, seg)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read segments of %s: %w", dataSource, err)
	}
	// Sorted here rather than in SQL: database collations differ.
	slices.SortFunc(out, func(a, b metadata.Segment) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.Version, b.Version), cmp.Compare(a.Partition, b.Partition),
			strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// SegmentsExist implements metadata.Store.
func (s *Store) SegmentsExist(ctx context.Context, ids []string) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	found := 0
	err := s.b.Read(ctx, func(tx Tx) error {
		for _, part := range chunk(uniq, maxBind) {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM segments WHERE id IN (`+placeholders(len(part))+`)`,
				anys(part)...).Scan(&n); err != nil {
				return err
			}
			found += int(n)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("check %d segments exist: %w", len(uniq), err)
	}
	return found == len(uniq), nil
}

// DataSources implements metadata.Store.
func (s *Store) DataSources(ctx context.Context) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []string
	err := s.b.Read(ctx, func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT datasource FROM segments WHERE used = ?`, true)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ds string
			if err := rows.Scan(&ds); err != nil {
				return err
			}
			out = append(out, ds)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read datasources: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// MarkSegmentsUnused implements metadata.Store.
func (s *Store) MarkSegmentsUnused(ctx context.Context, ids []string) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	now := s.nowString()
	total := 0
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		total = 0
		for _, part := range chunk(uniq, maxBind) {
			args := append([]any{false, now}, anys(part)...)
			args = append(args, true)
			n, err := tx.Exec(ctx, `UPDATE segments SET used = ?, used_status_last_updated = ?
				WHERE id IN (`+placeholders(len(part))+`) AND used = ?`, args...)
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark %d segments unused: %w", len(uniq), err)
	}
	return total, nil
}
