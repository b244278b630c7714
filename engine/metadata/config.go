package metadata

import "context"

// ConfigStore keeps Druid's dynamic configuration: named JSON documents (druid_config rows)
// such as the Overlord's worker behaviour config, each change audited. The embedded and
// PostgreSQL stores implement it.
type ConfigStore interface {
	// Config returns the payload stored under name. ErrNotFound when none is.
	Config(ctx context.Context, name string) ([]byte, error)
	// SetConfig stores payload under name, replacing what was there, and appends audit
	// (its Key and Type default to name, its Payload to payload) in the same transaction.
	SetConfig(ctx context.Context, name string, payload []byte, audit AuditEntry) error
	// AuditEntries returns the audit entries of key, newest first (the history of a
	// config is the entries under its name).
	AuditEntries(ctx context.Context, key string) ([]AuditEntry, error)
}
