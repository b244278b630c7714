// Package index is kafka-indexer's in-memory incremental index: the rows a
// streaming task has read but not yet persisted, rolled up as they arrive.
//
// It implements what Apache Druid splits over IncrementalIndex and
// OnheapIncrementalIndex (the row map keyed by truncated time and dimension
// values, with per-dimension dictionaries and aggregators), Sink (one
// index per segment interval, spilled to disk by intermediate persists) and
// IndexMergerV9 (merging the spills into the final segment, re-applying
// rollup across spills).
//
// Files follow the TSDB head:
//
//	index.go      the Index type and its Options (maxRowsInMemory, maxBytesInMemory)
//	schema.go     Schema: dimensions, metrics, query granularity and rollup from a dataSchema
//	dim.go        per-dimension dictionaries and multi-value handling
//	add.go        the parse-to-rollup path: dimension values → dictionary ids → row → aggregators
//	iter.go       sorted iteration producing segment.Rows
//	persist.go    spills (Persist), the final merge (Merge) and segment metadata
//	agg*.go       one file per aggregator family
//
// # Rows and keys
//
// Every dimension value is interned in a per-dimension dictionary (id 0 is
// null; the empty string is folded into null as in the segment format and
// Druid's legacy null handling). A row's key is its truncated time plus one
// int32 id per dimension, trailing nulls trimmed so that rows read before a
// dimension was discovered keep their key. With rollup, each row also has a
// probe record (key length, time, row number, ids) in one flat arena, found
// through an open-addressing table whose entries carry 32 bits of the hash,
// so a lookup touches one table slot and one record. Numeric aggregator
// state is row-major in one slab, so aggregating touches one more cache
// line. Adding a row to an existing group allocates nothing.
//
// Multi-value string dimensions (Druid's multiValueHandling SORTED_ARRAY,
// SORTED_SET or ARRAY) intern the whole value list as a negative id; a
// one-element list is the same as the scalar value and an empty list is null.
//
// # Ordering
//
// Iteration and spills are sorted by time, then by dimension values in
// schema order: null first, strings by UTF-8 bytes, numbers numerically,
// multi-values element by element (a prefix first). This is exactly the
// order segment.Merge expects.
//
// # Complex metric encodings
//
// First/last aggregators keep Druid's (time, value) pair so that merging
// spills stays correct. Their bytes (ComplexType serializablePairLong{Long,
// Double,Float,String}) are:
//
//	time   int64, big-endian, epoch milliseconds of the row the value came from
//	null   1 byte: 0 = value present, 1 = null
//	value  long and double: 8 bytes big-endian (IEEE 754 bits for double);
//	       float: 4 bytes big-endian IEEE 754; string: the UTF-8 bytes to the end
//
// stringAny is stored as ComplexType "string": a null byte (0 present, 1 null)
// then the UTF-8 bytes. hyperUnique and cardinality store the
// github.com/axiomhq/hyperloglog (precision 14) binary form as ComplexType
// "hyperUnique"; the hash differs from Druid's murmur3, so the bytes are not
// readable by Druid, only by this engine.
package index
