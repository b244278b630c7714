package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// Publish implements metadata.Store. It follows Druid's
// IndexerSQLMetadataStorageCoordinator.commitMetadataAndSegments: read the
// stored offsets, check the start offsets against them, compare-and-swap the
// new offsets, insert the segments, all in one transaction.
func (s *Store) Publish(ctx context.Context, req metadata.PublishRequest) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.publish(ctx, req); err != nil {
		return fmt.Errorf("publish %d segments of supervisor %s: %w", len(req.Segments), req.SupervisorID, err)
	}
	return nil
}

func (s *Store) publish(ctx context.Context, req metadata.PublishRequest) error {
	segs, err := normaliseSegments(req.DataSource, req.Segments)
	if err != nil {
		return err
	}
	var locks []string
	if req.Start != nil {
		if req.End == nil {
			return errors.New("start metadata given without end metadata")
		}
		if req.SupervisorID == "" {
			return errors.New("start metadata given without a supervisor id")
		}
		for _, p := range req.Inherited {
			if _, ok := req.Start.Offsets[p]; !ok {
				return fmt.Errorf("inherited partition %s has no start offset", p)
			}
		}
		locks = append(locks, metadataLockKey(req.SupervisorID))
	}
	now := s.nowString()
	return s.b.Write(ctx, locks, func(tx Tx) error {
		if req.Fence != nil {
			if err := s.checkFence(ctx, tx, *req.Fence); err != nil {
				return err
			}
		}
		if req.Assignment != nil {
			if err := s.checkAssignment(ctx, tx, *req.Assignment); err != nil {
				return err
			}
		}
		if req.Start != nil {
			old, err := s.readMetadata(ctx, tx, req.SupervisorID)
			if err != nil {
				return err
			}
			next := req.End.Clone()
			stored := metadata.DataSourceMetadata{Stream: req.Start.Stream}
			if old.found {
				stored = old.md
			}
			// Partitions handed over by an earlier group must be stored already, even
			// with no row at all: Druid's "no row accepts any start" and the Matches
			// leniency would let this group commit before the earlier one (see
			// DataSourceMetadata.Uncommitted).
			uncommitted := stored.Uncommitted(*req.Start, req.Inherited)
			matches := !old.found || old.md.Matches(*req.Start)
			if !matches || len(uncommitted) > 0 {
				mm := &metadata.OffsetMismatchError{
					SupervisorID: req.SupervisorID,
					Expected:     req.Start.Clone(),
					// Waiting helps when the earlier group has yet to commit: a start ahead
					// of what is stored, or inherited partitions not stored while the
					// others match.
					Retryable:   startAhead(stored, *req.Start) || (matches && len(uncommitted) > 0),
					Uncommitted: uncommitted,
				}
				if old.found {
					mm.Actual = old.md
				}
				return mm
			}
			if old.found {
				next = old.md.Plus(*req.End)
			}
			if err := s.writeMetadata(ctx, tx, req.SupervisorID, old, next); err != nil {
				return err
			}
		}
		return insertSegments(ctx, tx, segs, now)
	})
}

// startAhead reports whether some partition shared by stored and start has a
// start offset beyond the stored one: the previous publish of these
// partitions has probably not committed yet, so a retry may succeed.
func startAhead(stored, start metadata.DataSourceMetadata) bool {
	if stored.Stream != start.Stream {
		return false
	}
	for p, off := range start.Offsets {
		if cur, ok := stored.Offsets[p]; ok && off > cur {
			return true
		}
	}
	return false
}

// normaliseSegments fills in the datasource and refuses duplicates within
// the request.
func normaliseSegments(dataSource string, in []metadata.Segment) ([]metadata.Segment, error) {
	out := make([]metadata.Segment, len(in))
	seen := make(map[string]bool, len(in))
	for i, seg := range in {
		if seg.ID == "" {
			return nil, fmt.Errorf("segment %d: empty id", i)
		}
		if seen[seg.ID] {
			return nil, fmt.Errorf("segment %s listed twice: %w", seg.ID, metadata.ErrConflict)
		}
		seen[seg.ID] = true
		switch {
		case seg.DataSource == "":
			seg.DataSource = dataSource
		case dataSource != "" && seg.DataSource != dataSource:
			return nil, fmt.Errorf("segment %s: datasource %q differs from the publish's %q", seg.ID, seg.DataSource, dataSource)
		}
		if seg.DataSource == "" {
			return nil, fmt.Errorf("segment %s: empty datasource", seg.ID)
		}
		out[i] = seg
	}
	return out, nil
}

// insertSegments inserts used segments; an existing id is ErrConflict.
func insertSegments(ctx context.Context, tx Tx, segs []metadata.Segment, now string) error {
	for _, seg := range segs {
		n, err := tx.Exec(ctx, `INSERT INTO segments (id, datasource, created_date, "start", "end", partitioned, version,
				partition_num, used, payload, num_rows, size, used_status_last_updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			seg.ID, seg.DataSource, now, druidapi.FormatTime(seg.Start), druidapi.FormatTime(seg.End), true, seg.Version,
			int64(seg.Partition), true, nonNil(seg.Payload), seg.NumRows, seg.Size, now)
		if err != nil {
			return fmt.Errorf("insert segment %s: %w", seg.ID, err)
		}
		if n != 1 {
			return fmt.Errorf("segment %s already exists: %w", seg.ID, metadata.ErrConflict)
		}
	}
	return nil
}
