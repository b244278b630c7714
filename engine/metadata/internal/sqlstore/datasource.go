package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// metadataLockKey serialises writers of one datasource_metadata row.
func metadataLockKey(id string) string { return "datasource_metadata:" + id }

// storedMetadata is a datasource_metadata row as read for update.
type storedMetadata struct {
	md    metadata.DataSourceMetadata
	sha1  string
	found bool
}

// readMetadata reads the row of id inside tx, locking it where the dialect
// needs that.
func (s *Store) readMetadata(ctx context.Context, tx Tx, id string) (storedMetadata, error) {
	var payload []byte
	var st storedMetadata
	err := tx.QueryRow(ctx, `SELECT commit_metadata_payload, commit_metadata_sha1 FROM datasource_metadata
		WHERE datasource = ?`+s.d.ForUpdate, id).Scan(&payload, &st.sha1)
	if errors.Is(err, ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(payload, &st.md); err != nil {
		return st, fmt.Errorf("decode stored metadata: %w", err)
	}
	st.found = true
	return st, nil
}

// writeMetadata stores md for id: an INSERT when old was not found, else a
// compare-and-swap UPDATE on old's SHA-1. A lost race returns
// metadata.ErrConcurrentUpdate.
func (s *Store) writeMetadata(ctx context.Context, tx Tx, id string, old storedMetadata, md metadata.DataSourceMetadata) error {
	payload, err := json.Marshal(md)
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	sum := sha1Hex(payload)
	var n int64
	if old.found {
		n, err = tx.Exec(ctx, `UPDATE datasource_metadata SET commit_metadata_payload = ?, commit_metadata_sha1 = ?
			WHERE datasource = ? AND commit_metadata_sha1 = ?`, payload, sum, id, old.sha1)
	} else {
		n, err = tx.Exec(ctx, `INSERT INTO datasource_metadata (datasource, created_date, commit_metadata_payload, commit_metadata_sha1)
			VALUES (?, ?, ?, ?) ON CONFLICT (datasource) DO NOTHING`, id, s.nowString(), payload, sum)
	}
	if err != nil {
		return err
	}
	if n != 1 {
		return metadata.ErrConcurrentUpdate
	}
	return nil
}

// GetDataSourceMetadata implements metadata.Store.
func (s *Store) GetDataSourceMetadata(ctx context.Context, id string) (*metadata.DataSourceMetadata, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var st storedMetadata
	err := s.b.Read(ctx, func(tx Tx) error {
		var payload []byte
		err := tx.QueryRow(ctx, `SELECT commit_metadata_payload FROM datasource_metadata WHERE datasource = ?`, id).Scan(&payload)
		if errors.Is(err, ErrNoRows) {
			return metadata.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(payload, &st.md); err != nil {
			return fmt.Errorf("decode stored metadata: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read datasource metadata of %s: %w", id, err)
	}
	return &st.md, nil
}

// DeleteDataSourceMetadata implements metadata.Store.
func (s *Store) DeleteDataSourceMetadata(ctx context.Context, id string) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	var n int64
	err := s.b.Write(ctx, []string{metadataLockKey(id)}, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, `DELETE FROM datasource_metadata WHERE datasource = ?`, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delete datasource metadata of %s: %w", id, err)
	}
	return n > 0, nil
}

// ResetDataSourceMetadata implements metadata.Store.
func (s *Store) ResetDataSourceMetadata(ctx context.Context, id string, md metadata.DataSourceMetadata) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, []string{metadataLockKey(id)}, func(tx Tx) error {
		old, err := s.readMetadata(ctx, tx, id)
		if err != nil {
			return err
		}
		next := md.Clone()
		if old.found {
			next = old.md.Plus(md)
		}
		return s.writeMetadata(ctx, tx, id, old, next)
	})
	if err != nil {
		return fmt.Errorf("reset datasource metadata of %s: %w", id, err)
	}
	return nil
}

// RemovePartitions implements metadata.Store.
func (s *Store) RemovePartitions(ctx context.Context, id string, md metadata.DataSourceMetadata) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, []string{metadataLockKey(id)}, func(tx Tx) error {
		old, err := s.readMetadata(ctx, tx, id)
		if err != nil {
			return err
		}
		if !old.found {
			return metadata.ErrNotFound
		}
		return s.writeMetadata(ctx, tx, id, old, old.md.Minus(md))
	})
	if err != nil {
		return fmt.Errorf("remove partitions from datasource metadata of %s: %w", id, err)
	}
	return nil
}
