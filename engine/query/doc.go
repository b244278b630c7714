// Package query serves Apache Druid's native query API over published
// segments, and loads those segments: it is kafka-indexer's Historical (the
// segment loader and its cache) and Broker (the query runner) in one.
//
// # Segment loading
//
// Loader imitates a Historical's SegmentLoadDropHandler fed by the
// Coordinator: it polls the metadata store (druid_segments, used = true),
// pulls every new segment from deep storage into its segment cache
// (druid.segmentCache.locations), opens it, and drops segments that are no
// longer used. Per datasource it keeps a timeline (Druid's
// VersionedIntervalTimeline): where segments of different versions overlap
// only the highest version is visible, and all partitions of one version
// are unioned. Loader.WaitLoaded is what an indexing task waits on to
// complete handoff (Druid's CoordinatorBasedSegmentHandoffNotifier).
//
// # Sources
//
// The Engine reads rows from Sources. A Source lists datasources and returns
// the segments (Queryables) visible in some intervals, already clipped. The
// Loader is the first Source; realtime data held by running tasks can be
// added later with Engine.AddSource, the way a Broker unions Historicals and
// Peons (see Source).
//
// # Queries
//
// Engine.Run decodes a native query (Druid's Query JSON, dispatched on
// queryType) and returns the result in Druid's wire shape:
//
//	timeseries          [{"timestamp","result":{…}}]                TimeseriesQueryQueryToolChest
//	topN                [{"timestamp","result":[{…},…]}]            TopNQueryQueryToolChest
//	groupBy (v2)        [{"version":"v1","timestamp","event":{…}}]  GroupByQueryQueryToolChest
//	scan                [{"segmentId","columns","events"}]          ScanQueryQueryToolChest
//	timeBoundary        [{"timestamp","result":{"minTime","maxTime"}}]
//	segmentMetadata     [{"id","intervals","columns",…}]             SegmentMetadataQueryQueryToolChest
//	dataSourceMetadata  [{"timestamp","result":{"maxIngestedEventTime"}}]
//
// The dataSource may be a table, inline rows, a subquery or a join, and
// queries may declare expression virtual columns; every datasource resolves
// to segments, so the query types above run unchanged over all of them (see
// datasource.go, join.go and virtual.go).
//
// Each segment is processed by one worker (Druid's per-segment QueryRunner);
// partial results are merged (the toolchest's mergeResults) and finalised.
// Filters on string columns resolve to roaring bitmaps through the
// dictionary; numeric columns and expression filters fall back to a row scan
// (see filter.go). Null handling is Druid's SQL-compatible mode.
//
// Errors are *Error, which carries Druid's QueryException JSON and the HTTP
// status to answer with (400 bad query, 404 unknown datasource, 504 timeout).
package query
