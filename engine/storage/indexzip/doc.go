// Package indexzip reads and writes index.zip, the archive in which Druid's
// deep storage keeps one segment (CompressionUtils.zip and unzip as
// LocalDataSegmentPusher and LocalDataSegmentPuller use them): a flat zip,
// one Deflate entry per file of the segment directory.
//
// It lives under storage because packaging is a deep-storage concern, and it
// imports nothing else from the engine, so both storage (which pushes and
// pulls archives) and segment (whose Dump reads an index.zip directly) can
// use it without storage depending on the segment format.
package indexzip
