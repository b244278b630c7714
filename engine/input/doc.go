// Package input turns Kafka records into rows: Druid's InputFormat / InputEntityReader (and the
// legacy InputRowParser with its parseSpec) together with TimestampSpec and the schemaless
// dimension rules of DimensionsSpec.
//
// A Parser is built once per reading goroutine from the spec (NewParser) and is not safe for
// concurrent use. Parser.Parse turns one Record into 0..n rows, calling emit for each; the Row
// and every string it holds are reused after emit returns (Row.Clone keeps one).
//
// # Rows per record
//
//   - json: every top-level JSON value in the record is a row (Druid's JsonReader over a
//     MappingIterator). By default one malformed value makes the whole record unparseable and
//     no row of it is emitted. With assumeNewlineDelimited (or useJsonNodeReader) each line is
//     parsed on its own and only the bad line is unparseable. A top-level value that is not
//     an object is unparseable; a record that is empty, whitespace or JSON null gives no rows
//     (the caller counts it as thrownAway).
//   - csv, tsv, delimited: every non-blank line is a row. Each Kafka record is its own input
//     entity, exactly as in Druid's streaming reader (SettableByteEntityReader makes a new
//     TextReader per record): skipHeaderRows lines are skipped at the start of EVERY record and,
//     with findColumnsFromHeader, the next line of every record is that record's header. This
//     is what Druid does; streams that send a header only once must list columns instead.
//     Extra values beyond the columns are ignored and missing ones are absent (Druid's
//     zipMapPartial). Empty fields stay "" (SQL-compatible null handling).
//   - protobuf: one message per record (Druid's ProtobufReader), decoded by the
//     protoBytesDecoder (file or inline descriptor set, or Confluent framing with schemas from a
//     registry), rendered as the JSON Druid's ProtobufConverter builds and then read as json. An
//     empty record gives no rows; bytes that do not decode are unparseable. A registry that
//     cannot answer is not a parse error: Parse returns the *schemaregistry.UnavailableError.
//   - kafka: rows of valueFormat, each extended with the record timestamp, topic, headers and
//     key. A tombstone (empty value) yields one row holding only those columns, as Druid's
//     KafkaInputReader does.
//
// # Errors
//
// Parse returns *ParseError (or ParseErrors when several rows of one record failed) for rows
// that are unparseable: malformed input, or a missing or bad timestamp without missingValue.
// Such rows are not emitted. "processedWithError" (a row that is ingested although a column
// failed to convert, e.g. "abc" in a long dimension or a longSum input) cannot be decided here
// because transforms run between parsing and indexing and may rewrite the column; the indexer
// calls Parser.CheckTypes after transformSpec and counts the Partial error it returns.
package input
