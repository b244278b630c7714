package sqlstore

import (
	"context"
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// InsertAudit implements metadata.Store.
func (s *Store) InsertAudit(ctx context.Context, e metadata.AuditEntry) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error { return s.insertAudit(ctx, tx, e) })
	if err != nil {
		return fmt.Errorf("insert audit entry for %s: %w", e.Key, err)
	}
	return nil
}

// insertAudit writes one audit row in tx, dated now unless e says when.
func (s *Store) insertAudit(ctx context.Context, tx Tx, e metadata.AuditEntry) error {
	if e.CreatedDate == "" {
		e.CreatedDate = s.nowString()
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit (audit_key, type, author, comment, created_date, payload) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Key, e.Type, e.Author, e.Comment, e.CreatedDate, nonNil(e.Payload))
	return err
}

// AuditEntries implements metadata.Store.
func (s *Store) AuditEntries(ctx context.Context, key string) ([]metadata.AuditEntry, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []metadata.AuditEntry
	err := s.b.Read(ctx, func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT audit_key, type, author, comment, created_date, payload FROM audit
			WHERE audit_key = ? ORDER BY seq DESC`, key)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e metadata.AuditEntry
			if err := rows.Scan(&e.Key, &e.Type, &e.Author, &e.Comment, &e.CreatedDate, &e.Payload); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read audit entries for %s: %w", key, err)
	}
	return out, nil
}
