package spec

import (
	"encoding/json"
	"sort"
)

// Echo renders the spec the way Druid's Overlord returns it from GET /supervisor/{id}, suspend
// and resume: every default filled in, periods that Druid stores as Joda Durations as "PT3600S",
// and the three sections both inside "spec" and at the top level, with "suspended" last.
// Consumer properties are echoed as stored: dynamic-provider references, never resolved values.
func (s *Supervisor) Echo() json.RawMessage {
	ds := s.echoDataSchema()
	io := s.echoIOConfig()
	tc := s.echoTuning()
	out := struct {
		Type         string         `json:"type"`
		ID           string         `json:"id,omitempty"`
		Spec         map[string]any `json:"spec"`
		DataSchema   map[string]any `json:"dataSchema"`
		TuningConfig map[string]any `json:"tuningConfig"`
		IOConfig     map[string]any `json:"ioConfig"`
		Context      map[string]any `json:"context"`
		Suspended    bool           `json:"suspended"`
	}{
		Type:         SupervisorType,
		ID:           s.ExplicitID,
		Spec:         map[string]any{"dataSchema": ds, "ioConfig": io, "tuningConfig": tc},
		DataSchema:   ds,
		TuningConfig: tc,
		IOConfig:     io,
		Context:      s.Context,
		Suspended:    s.Suspended,
	}
	b, err := json.Marshal(out)
	if err != nil {
		// Every value above came from JSON; failing to marshal it back is a programming error.
		panic("spec: echo: " + err.Error())
	}
	return b
}

// Raw renders the spec as submitted-equivalent JSON in the wrapper shape, without the
// duplicated sections; it is what the metadata store keeps.
func (s *Supervisor) Raw() json.RawMessage {
	out := map[string]any{
		"type":      SupervisorType,
		"spec":      map[string]any{"dataSchema": s.echoDataSchema(), "ioConfig": s.echoIOConfig(), "tuningConfig": s.echoTuning()},
		"context":   s.Context,
		"suspended": s.Suspended,
	}
	if s.ExplicitID != "" {
		out["id"] = s.ExplicitID
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic("spec: raw: " + err.Error())
	}
	return b
}

func (s *Supervisor) echoDataSchema() map[string]any {
	d := &s.DataSchema
	dims := make([]any, 0, len(d.DimensionsSpec.Dimensions))
	for _, dim := range d.DimensionsSpec.Dimensions {
		mv := dim.MultiValueHandling
		if mv == "" {
			mv = "SORTED_ARRAY"
		}
		bitmap := dim.Type == "string"
		if dim.CreateBitmapIndex != nil {
			bitmap = *dim.CreateBitmapIndex
		}
		dims = append(dims, map[string]any{"type": dim.Type, "name": dim.Name, "multiValueHandling": mv, "createBitmapIndex": bitmap})
	}
	excl := map[string]bool{"__time": true, d.TimestampSpec.Column: true}
	for _, e := range d.DimensionsSpec.DimensionExclusions {
		excl[e] = true
	}
	exclusions := make([]string, 0, len(excl))
	for e := range excl {
		exclusions = append(exclusions, e)
	}
	sort.Strings(exclusions)
	metrics := d.MetricsSpec
	if metrics == nil {
		metrics = []Aggregator{}
	}
	transforms := d.TransformSpec.Transforms
	if transforms == nil {
		transforms = []Transform{}
	}
	intervals := d.GranularitySpec.Intervals
	if intervals == nil {
		intervals = []string{}
	}
	out := map[string]any{
		"dataSource":    d.DataSource,
		"timestampSpec": map[string]any{"column": d.TimestampSpec.Column, "format": d.TimestampSpec.Format, "missingValue": d.TimestampSpec.MissingValue},
		"dimensionsSpec": map[string]any{
			"dimensions":           dims,
			"dimensionExclusions":  exclusions,
			"includeAllDimensions": d.DimensionsSpec.IncludeAllDimensions,
			"useSchemaDiscovery":   d.DimensionsSpec.UseSchemaDiscovery,
		},
		"metricsSpec": metrics,
		"granularitySpec": map[string]any{
			"type":               d.GranularitySpec.Type,
			"segmentGranularity": d.GranularitySpec.SegmentGranularity.Echo(),
			"queryGranularity":   d.GranularitySpec.QueryGranularity.Echo(),
			"rollup":             d.Rollup(),
			"intervals":          intervals,
		},
		"transformSpec": map[string]any{"filter": d.TransformSpec.Filter, "transforms": transforms},
	}
	if d.Parser != nil {
		out["parser"] = d.Parser
	}
	return out
}

func durationOrNull(p *Period) any {
	if p == nil {
		return nil
	}
	return p.DurationString()
}

func (s *Supervisor) echoIOConfig() map[string]any {
	io := &s.IOConfig
	var late any
	if io.LateMessageRejectionStartDateTime != nil {
		t, _ := ParseDateTime(*io.LateMessageRejectionStartDateTime)
		late = FormatTime(t)
	}
	var autoscaler any
	if io.AutoScalerConfig != nil {
		autoscaler = io.AutoScalerConfig
	}
	var idle any
	if io.IdleConfig != nil {
		idle = io.IdleConfig
	}
	var overrides any
	if !isNull(io.ConfigOverrides) {
		overrides = io.ConfigOverrides
	}
	inputFormat := echoInputFormat(io.InputFormat)
	if s.DataSchema.Parser != nil {
		// The format came from the legacy parser; Druid echoes inputFormat as null then.
		inputFormat = nil
	}
	out := map[string]any{
		"topic":                             io.Topic,
		"inputFormat":                       inputFormat,
		"replicas":                          io.Replicas,
		"taskCount":                         io.TaskCount,
		"taskDuration":                      io.TaskDuration.DurationString(),
		"consumerProperties":                io.ConsumerProperties,
		"autoScalerConfig":                  autoscaler,
		"pollTimeout":                       io.PollTimeout,
		"startDelay":                        io.StartDelay.DurationString(),
		"period":                            io.Period.DurationString(),
		"useEarliestOffset":                 io.UseEarliestOffset,
		"completionTimeout":                 io.CompletionTimeout.DurationString(),
		"lateMessageRejectionPeriod":        durationOrNull(io.LateMessageRejectionPeriod),
		"earlyMessageRejectionPeriod":       durationOrNull(io.EarlyMessageRejectionPeriod),
		"lateMessageRejectionStartDateTime": late,
		"configOverrides":                   overrides,
		"idleConfig":                        idle,
		"stream":                            io.StreamName(),
		"useEarliestSequenceNumber":         io.UseEarliestOffset,
	}
	if io.TopicPattern != "" {
		out["topicPattern"] = io.TopicPattern
		delete(out, "topic")
	}
	if io.StopTaskCount != nil {
		out["stopTaskCount"] = *io.StopTaskCount
	}
	if io.EmitTimeLagMetrics != nil {
		out["emitTimeLagMetrics"] = *io.EmitTimeLagMetrics
	}
	return addLegacy(out, io.Legacy)
}

func echoInputFormat(f *InputFormat) any {
	if f == nil {
		return nil
	}
	falseIfNil := func(b *bool) bool { return b != nil && *b }
	out := map[string]any{"type": f.Type}
	switch f.Type {
	case "json":
		out["keepNullColumns"] = falseIfNil(f.KeepNullColumns)
		out["assumeNewlineDelimited"] = falseIfNil(f.AssumeNewlineDelimited)
		out["useJsonNodeReader"] = falseIfNil(f.UseJSONNodeReader)
		if f.FlattenSpec != nil {
			out["flattenSpec"] = map[string]any{"useFieldDiscovery": f.FlattenSpec.DiscoverFields(), "fields": f.FlattenSpec.Fields}
		}
		if len(f.FeatureSpec) > 0 {
			out["featureSpec"] = f.FeatureSpec
		}
	case "csv", "tsv", "delimited":
		out["columns"] = f.Columns
		out["listDelimiter"] = f.ListDelimiter
		out["findColumnsFromHeader"] = falseIfNil(f.FindColumnsFromHeader)
		out["skipHeaderRows"] = f.SkipHeaderRows
		if f.Type != "csv" {
			out["delimiter"] = f.DelimiterOrDefault()
		}
	case "avro_stream", "avro_ocf":
		echoAvroFormat(f, out)
	case "protobuf":
		out["protoBytesDecoder"] = f.ProtoBytesDecoder
		if f.FlattenSpec != nil {
			out["flattenSpec"] = map[string]any{"useFieldDiscovery": f.FlattenSpec.DiscoverFields(), "fields": f.FlattenSpec.Fields}
		}
	case "kafka":
		out["valueFormat"] = echoInputFormat(f.ValueFormat)
		out["keyFormat"] = echoInputFormat(f.KeyFormat)
		out["headerFormat"] = f.HeaderFormat
		out["timestampColumnName"] = f.TimestampColumnName
		out["topicColumnName"] = f.TopicColumnName
		out["headerColumnPrefix"] = f.HeaderColumnPrefix
		out["keyColumnName"] = f.KeyColumnName
	}
	return out
}

func (s *Supervisor) echoTuning() map[string]any {
	t := &s.TuningConfig
	var medium any
	if t.SegmentWriteOutMediumFactory != nil {
		medium = t.SegmentWriteOutMediumFactory
	}
	out := map[string]any{
		"type":                                t.Type,
		"appendableIndexSpec":                 t.AppendableIndexSpec,
		"maxRowsInMemory":                     t.MaxRowsInMemory,
		"maxBytesInMemory":                    t.MaxBytesInMemory,
		"skipBytesInMemoryOverheadCheck":      t.SkipBytesInMemoryOverheadCheck,
		"maxRowsPerSegment":                   t.MaxRowsPerSegment,
		"maxTotalRows":                        t.MaxTotalRows,
		"intermediatePersistPeriod":           t.IntermediatePersistPeriod.String(),
		"maxPendingPersists":                  t.MaxPendingPersists,
		"indexSpec":                           t.IndexSpec,
		"indexSpecForIntermediatePersists":    t.IndexSpecForIntermediatePersists,
		"reportParseExceptions":               t.ReportParseExceptions,
		"handoffConditionTimeout":             t.HandoffConditionTimeout,
		"resetOffsetAutomatically":            t.ResetOffsetAutomatically,
		"segmentWriteOutMediumFactory":        medium,
		"workerThreads":                       t.WorkerThreads,
		"chatThreads":                         t.ChatThreads,
		"chatRetries":                         t.ChatRetries,
		"httpTimeout":                         t.HTTPTimeout.String(),
		"shutdownTimeout":                     t.ShutdownTimeout.String(),
		"offsetFetchPeriod":                   t.OffsetFetchPeriod.String(),
		"intermediateHandoffPeriod":           t.IntermediateHandoffPeriod.String(),
		"logParseExceptions":                  t.LogParseExceptions,
		"maxParseExceptions":                  t.MaxParseExceptions,
		"maxSavedParseExceptions":             t.MaxSavedParseExceptions,
		"skipSequenceNumberAvailabilityCheck": t.SkipSequenceNumberAvailabilityCheck,
		"repartitionTransitionDuration":       t.RepartitionTransitionDuration.String(),
		"numPersistThreads":                   t.NumPersistThreads,
		"chatAsync":                           t.ChatAsync,
	}
	if t.NumParseThreads != 0 {
		// Ours, not Druid's: echoed only when set, so the echo (and the base sequence name
		// hashed from it) of a spec without it is what it was before the field existed.
		out["numParseThreads"] = t.NumParseThreads
	}
	return addLegacy(out, t.Legacy)
}

// TaskSections renders what a supervisor hands to its tasks: the dataSchema, the tuningConfig
// and the inputFormat, each as Druid echoes them (a spec using the legacy parser gives a null
// inputFormat; the parser travels inside the dataSchema). Keys are sorted, so the bytes are
// stable and can be hashed into a task group's base sequence name.
func (s *Supervisor) TaskSections() (dataSchema, tuning, inputFormat json.RawMessage) {
	ds, _ := json.Marshal(s.echoDataSchema())
	tc, _ := json.Marshal(s.echoTuning())
	var f any
	if s.DataSchema.Parser == nil {
		f = echoInputFormat(s.IOConfig.InputFormat)
	}
	in, _ := json.Marshal(f)
	return ds, tc, in
}
