package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

var _ metadata.LeaseStore = (*Store)(nil)

// AcquireLease implements metadata.LeaseStore. One upsert decides: a missing
// row is inserted with term 1; an existing one is taken when it has expired
// (term + 1) or renewed when holder still holds it (same term); a live lease
// of another holder is left as it is. The upsert is atomic on its own, so no
// advisory lock is taken: a stalled process must not hold up the election.
func (s *Store) AcquireLease(ctx context.Context, name, holder, url string, ttl time.Duration) (metadata.Lease, error) {
	if err := s.check(); err != nil {
		return metadata.Lease{}, err
	}
	if ttl <= 0 {
		return metadata.Lease{}, fmt.Errorf("acquire lease %s: ttl must be positive, got %s", name, ttl)
	}
	now := s.d.NowMillis
	var out metadata.Lease
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO leader_leases (name, holder, url, term, expires_at)
			VALUES (?, ?, ?, 1, `+now+` + ?)
			ON CONFLICT (name) DO UPDATE SET
				term = CASE WHEN leader_leases.holder = excluded.holder AND leader_leases.expires_at > `+now+`
					THEN leader_leases.term ELSE leader_leases.term + 1 END,
				holder = excluded.holder, url = excluded.url, expires_at = excluded.expires_at
			WHERE leader_leases.holder = excluded.holder OR leader_leases.expires_at <= `+now,
			name, holder, url, ttl.Milliseconds())
		if err != nil {
			return err
		}
		out, err = s.readLease(ctx, tx, name)
		return err
	})
	if err != nil {
		return metadata.Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return out, nil
}

// ReleaseLease implements metadata.LeaseStore.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := s.check(); err != nil {
		return err
	}
	err := s.b.Write(ctx, nil, func(tx Tx) error {
		_, err := tx.Exec(ctx, `UPDATE leader_leases SET expires_at = `+s.d.NowMillis+` WHERE name = ? AND holder = ? AND expires_at > `+s.d.NowMillis,
			name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// CurrentLease implements metadata.LeaseStore.
func (s *Store) CurrentLease(ctx context.Context, name string) (metadata.Lease, error) {
	if err := s.check(); err != nil {
		return metadata.Lease{}, err
	}
	var out metadata.Lease
	err := s.b.Read(ctx, func(tx Tx) error {
		var err error
		out, err = s.readLease(ctx, tx, name)
		return err
	})
	if err != nil {
		return metadata.Lease{}, fmt.Errorf("read lease %s: %w", name, err)
	}
	return out, nil
}

func (s *Store) readLease(ctx context.Context, tx Tx, name string) (metadata.Lease, error) {
	l := metadata.Lease{Name: name}
	var live int64
	err := tx.QueryRow(ctx, `SELECT holder, url, term, CASE WHEN expires_at > `+s.d.NowMillis+` THEN 1 ELSE 0 END
		FROM leader_leases WHERE name = ?`, name).Scan(&l.Holder, &l.URL, &l.Term, &live)
	if errors.Is(err, ErrNoRows) {
		return l, metadata.ErrNotFound
	}
	l.Live = live == 1
	return l, err
}

// checkFence fails the transaction with ErrFenced unless lease f.Name still
// has f's holder and term. The row is read FOR SHARE: a take-over waits until
// this transaction ends, so a publish that passes the check commits before any
// newer leader exists.
func (s *Store) checkFence(ctx context.Context, tx Tx, f metadata.Fence) error {
	var holder string
	var term int64
	err := tx.QueryRow(ctx, `SELECT holder, term FROM leader_leases WHERE name = ?`+s.d.ForShare, f.Name).Scan(&holder, &term)
	switch {
	case errors.Is(err, ErrNoRows):
		return fmt.Errorf("%w: lease %s was never taken", metadata.ErrFenced, f.Name)
	case err != nil:
		return fmt.Errorf("read lease %s: %w", f.Name, err)
	case holder != f.Holder || term != f.Term:
		return fmt.Errorf("%w: published under %s, the lease is now term %d of %s", metadata.ErrFenced, f, term, holder)
	}
	return nil
}
