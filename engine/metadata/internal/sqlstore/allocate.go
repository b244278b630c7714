package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// allocateLockKey serialises allocations in one datasource.
func allocateLockKey(dataSource string) string { return "pending_segments:" + dataSource }

// pendingPayload is the JSON stored in pending_segments.payload, after
// Druid's SegmentIdWithShardSpec.
type pendingPayload struct {
	DataSource string `json:"dataSource"`
	Interval   string `json:"interval"`
	Version    string `json:"version"`
	ShardSpec  struct {
		Type         string `json:"type"`
		PartitionNum int    `json:"partitionNum"`
	} `json:"shardSpec"`
}

// AllocateSegment implements metadata.Store, after Druid's
// IndexerSQLMetadataStorageCoordinator.allocatePendingSegment with lineage
// skipped, as streaming tasks ask for.
//
// The partition number is one more than the largest among the interval and
// version's pending segments and segments, used or not: counting unused
// segments as well keeps a new id from colliding with a dropped one.
func (s *Store) AllocateSegment(ctx context.Context, req metadata.AllocateRequest) (metadata.SegmentID, error) {
	if err := s.check(); err != nil {
		return metadata.SegmentID{}, err
	}
	id, err := s.allocate(ctx, req)
	if err != nil {
		return metadata.SegmentID{}, fmt.Errorf("allocate segment for sequence %s of %s: %w", req.SequenceName, req.DataSource, err)
	}
	return id, nil
}

func (s *Store) allocate(ctx context.Context, req metadata.AllocateRequest) (metadata.SegmentID, error) {
	if req.DataSource == "" || req.SequenceName == "" {
		return metadata.SegmentID{}, errors.New("datasource and sequence name are required")
	}
	if !req.End.After(req.Start) {
		return metadata.SegmentID{}, fmt.Errorf("empty interval %s/%s", druidapi.FormatTime(req.Start), druidapi.FormatTime(req.End))
	}
	start, end := druidapi.FormatTime(req.Start), druidapi.FormatTime(req.End)
	const prevID = "" // lineage is skipped for streaming
	key := sha1Hex([]byte(req.DataSource), []byte{0}, []byte(req.SequenceName), []byte{0}, []byte(prevID), []byte{0},
		[]byte(start), []byte{0}, []byte(end))
	id := metadata.SegmentID{DataSource: req.DataSource, Start: req.Start.UTC(), End: req.End.UTC()}
	err := s.b.Write(ctx, []string{allocateLockKey(req.DataSource)}, func(tx Tx) error {
		var part int64
		err := tx.QueryRow(ctx, `SELECT version, partition_num FROM pending_segments WHERE sequence_name_prev_id_sha1 = ?`,
			key).Scan(&id.Version, &part)
		if err == nil {
			id.Partition = int(part)
			return nil
		}
		if !errors.Is(err, ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), '') FROM segments
			WHERE datasource = ? AND "start" = ? AND "end" = ? AND used = ?`, req.DataSource, start, end, true).Scan(&id.Version); err != nil {
			return err
		}
		if id.Version == "" {
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), '') FROM pending_segments
				WHERE datasource = ? AND "start" = ? AND "end" = ?`, req.DataSource, start, end).Scan(&id.Version); err != nil {
				return err
			}
		}
		if id.Version == "" {
			if req.Version == "" {
				return errors.New("no version given for a new interval")
			}
			id.Version = req.Version
		}
		var maxSeg, maxPending int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(partition_num), -1) FROM segments
			WHERE datasource = ? AND "start" = ? AND "end" = ? AND version = ?`, req.DataSource, start, end, id.Version).Scan(&maxSeg); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(partition_num), -1) FROM pending_segments
			WHERE datasource = ? AND "start" = ? AND "end" = ? AND version = ?`, req.DataSource, start, end, id.Version).Scan(&maxPending); err != nil {
			return err
		}
		id.Partition = int(max(maxSeg, maxPending) + 1)
		var p pendingPayload
		p.DataSource, p.Interval, p.Version = id.DataSource, start+"/"+end, id.Version
		p.ShardSpec.Type, p.ShardSpec.PartitionNum = "numbered", id.Partition
		payload, err := json.Marshal(p)
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `INSERT INTO pending_segments (id, datasource, created_date, "start", "end", sequence_name,
				sequence_prev_id, sequence_name_prev_id_sha1, version, partition_num, payload)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			id.String(), req.DataSource, s.nowString(), start, end, req.SequenceName, prevID, key, id.Version, int64(id.Partition), payload)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("pending segment %s: %w", id, metadata.ErrConflict)
		}
		return nil
	})
	return id, err
}

// DeletePendingSegments implements metadata.Store.
func (s *Store) DeletePendingSegments(ctx context.Context, dataSource, sequencePrefix string) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var n int64
	err := s.b.Write(ctx, []string{allocateLockKey(dataSource)}, func(tx Tx) error {
		var err error
		// substr rather than LIKE: the prefix may hold LIKE wildcards.
		n, err = tx.Exec(ctx, `DELETE FROM pending_segments WHERE datasource = ? AND substr(sequence_name, 1, ?) = ?`,
			dataSource, int64(utf8.RuneCountInString(sequencePrefix)), sequencePrefix)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete pending segments of %s with prefix %q: %w", dataSource, sequencePrefix, err)
	}
	return int(n), nil
}
