// Package client is a thin Go client for the supervisor API of Apache Druid's
// Overlord (/druid/indexer/v1/supervisor), as served by kafka-indexer and by
// real Druid.
//
// Like franz-go's kadm, the package is a one-method-per-endpoint wrapper with
// typed results: it adds no caching of supervisor state and no behaviour of its
// own beyond bounded retries of transient failures. Every method takes a
// context first; failures answered by the server come back as *APIError, which
// matches the sentinels ErrBadRequest, ErrNotFound, ErrConflict and
// ErrUnavailable with errors.Is. Do is the escape hatch for endpoints without a
// method.
//
// Retries go through hashicorp/go-retryablehttp: connection errors, 429 and
// 5xx (except 501) are retried with exponential backoff up to WithMaxRetries
// times; 4xx answers are returned at once. Reset and ResetOffsets are never
// retried, because repeating them after a lost response is not harmless.
package client
