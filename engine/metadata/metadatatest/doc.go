// Package metadatatest is the conformance suite every metadata.Store
// implementation must pass: Run exercises each method of the Druid Overlord
// metadata storage contract (supervisor history, committed offsets, the
// transactional publish, segments, pending-segment allocation, tasks and
// audit), including racing publishers and allocators.
package metadatatest
