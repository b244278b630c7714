// Package spec is the supervisor and task specification model: it decodes every shape of Kafka
// supervisor spec that Druid accepts (the legacy dataSchema.parser.parseSpec form, the flat
// dataSchema/ioConfig/tuningConfig form with ioConfig.inputFormat, and the {"type":"kafka","spec":{…}}
// wrapper) into one canonical Supervisor, fills Druid's documented defaults, validates it with
// errors that name the JSON path (FieldError), and echoes it back the way Druid's Overlord does
// (KafkaSupervisorSpec serialisation: durations as PT…S, sections duplicated next to "spec").
//
// Druid concepts: KafkaSupervisorSpec, KafkaSupervisorIOConfig, KafkaSupervisorTuningConfig,
// DataSchema, IndexSpec, LagBasedAutoScalerConfig, IdleConfig, DynamicConfigProvider,
// ProtobufInputFormat and its ProtobufBytesDecoders (protobuf.go).
//
// The package holds data and rules only; parsing rows, rolling them up and evaluating
// expressions live in the input, index and expr packages.
package spec
