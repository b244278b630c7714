// Package api serves the engine's HTTP API, wire-compatible with Druid's Overlord: the
// supervisor resource (/druid/indexer/v1/supervisor/...) and Druid's /status endpoints.
// Handlers are thin: they decode the request, call one method of a service, and encode the
// answer; writeError maps service errors to Druid's status codes and {"error": "..."} bodies.
package api
