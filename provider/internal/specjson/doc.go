// Package specjson compares Druid supervisor specs the way an operator reads
// them, so that the kafka_supervisor resource shows a diff only when the
// server really runs something other than what the configuration declares.
//
// Druid does not echo a spec the way it was posted (reference §1.3 of the
// Overlord's SupervisorResource): it adds every default, emits nulls, turns
// PT1H into PT3600S, writes aliases next to each other (topic/stream,
// useEarliestOffset/useEarliestSequenceNumber), expands string dimensions into
// objects, upper-cases segment granularities, turns queryGranularity into an
// object, and duplicates dataSchema/ioConfig/tuningConfig both inside "spec"
// and at the top level. Normalize folds the structural differences (wrapper,
// aliases, nulls, "suspended") into one shape; Contains and Equal then compare
// values with Druid's equivalences (durations, dimension shorthand,
// granularity spelling, numbers); Project shows the server's view through the
// keys a user declared. ConfigForm goes the other way for imports: it writes
// an echo as the spec a user would have written, judging defaults with the
// engine's own spec rules (engine/spec).
package specjson
