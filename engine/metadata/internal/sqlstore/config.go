package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

var _ metadata.ConfigStore = (*Store)(nil)

// Config implements metadata.ConfigStore.
func (s *Store) Config(ctx context.Context, name string) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var payload []byte
	err := s.b.Read(ctx, func(tx Tx) error {
		return tx.QueryRow(ctx, `SELECT payload FROM config WHERE name = ?`, name).Scan(&payload)
	})
	if errors.Is(err, ErrNoRows) {
		return nil, fmt.Errorf("config %s: %w", name, metadata.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	return payload, nil
}

// SetConfig implements metadata.ConfigStore: one upsert and one audit row, in one
// transaction, so the history never misses a change nor names one that did not happen.
func (s *Store) SetConfig(ctx context.Context, name string, payload []byte, audit metadata.AuditEntry) error {
	if err := s.check(); err != nil {
		return err
	}
	audit.Key, audit.Type = cmp.Or(audit.Key, name), cmp.Or(audit.Type, name)
	if audit.Payload == nil {
		audit.Payload = payload
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO config (name, payload) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET payload = excluded.payload`, name, nonNil(payload)); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("set config %s: %w", name, err)
	}
	return nil
}
