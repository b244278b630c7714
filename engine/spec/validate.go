package spec

import (
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// rule is one bound checked on a decoded spec. The table form keeps every limit message alike
// ("ioConfig.taskCount: must be ≥ 1, got 0"), the way franz-go validates its config.
type rule struct {
	path string
	get  func(s *Supervisor) (int64, bool) // value, and whether the rule applies
	min  int64
}

func always(f func(s *Supervisor) int64) func(s *Supervisor) (int64, bool) {
	return func(s *Supervisor) (int64, bool) { return f(s), true }
}

func autoscaler(f func(a *AutoScalerConfig) int64) func(s *Supervisor) (int64, bool) {
	return func(s *Supervisor) (int64, bool) {
		a := s.IOConfig.AutoScalerConfig
		if a == nil || !a.EnableTaskAutoScaler {
			return 0, false
		}
		return f(a), true
	}
}

var rules = []rule{
	{"ioConfig.taskCount", always(func(s *Supervisor) int64 { return int64(s.IOConfig.TaskCount) }), 1},
	{"ioConfig.replicas", always(func(s *Supervisor) int64 { return int64(s.IOConfig.Replicas) }), 1},
	{"ioConfig.pollTimeout", always(func(s *Supervisor) int64 { return s.IOConfig.PollTimeout }), 1},
	{"ioConfig.stopTaskCount", func(s *Supervisor) (int64, bool) {
		if s.IOConfig.StopTaskCount == nil {
			return 0, false
		}
		return int64(*s.IOConfig.StopTaskCount), true
	}, 1},
	{"ioConfig.autoScalerConfig.taskCountMin", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.TaskCountMin) }), 1},
	{"ioConfig.autoScalerConfig.taskCountMax", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.TaskCountMax) }), 1},
	{"ioConfig.autoScalerConfig.minTriggerScaleActionFrequencyMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.MinTriggerScaleActionFrequencyMillis }), 0},
	{"ioConfig.autoScalerConfig.lagCollectionIntervalMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.LagCollectionIntervalMillis }), 1},
	{"ioConfig.autoScalerConfig.lagCollectionRangeMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.LagCollectionRangeMillis }), 1},
	{"ioConfig.autoScalerConfig.scaleActionStartDelayMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.ScaleActionStartDelayMillis }), 0},
	{"ioConfig.autoScalerConfig.scaleActionPeriodMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.ScaleActionPeriodMillis }), 1},
	{"ioConfig.autoScalerConfig.scaleOutThreshold", autoscaler(func(a *AutoScalerConfig) int64 { return a.ScaleOutThreshold }), 0},
	{"ioConfig.autoScalerConfig.scaleInThreshold", autoscaler(func(a *AutoScalerConfig) int64 { return a.ScaleInThreshold }), 0},
	{"ioConfig.autoScalerConfig.scaleInStep", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.ScaleInStep) }), 1},
	{"ioConfig.autoScalerConfig.scaleOutStep", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.ScaleOutStep) }), 1},
	{"ioConfig.idleConfig.inactiveAfterMillis", func(s *Supervisor) (int64, bool) {
		if c := s.IOConfig.IdleConfig; c != nil && c.InactiveAfterMillis != nil {
			return *c.InactiveAfterMillis, true
		}
		return 0, false
	}, 1},
	{"tuningConfig.maxRowsInMemory", always(func(s *Supervisor) int64 { return s.TuningConfig.MaxRowsInMemory }), 1},
	{"tuningConfig.maxBytesInMemory", always(func(s *Supervisor) int64 { return s.TuningConfig.MaxBytesInMemory }), -1},
	{"tuningConfig.maxRowsPerSegment", always(func(s *Supervisor) int64 { return s.TuningConfig.MaxRowsPerSegment }), 1},
	{"tuningConfig.maxTotalRows", func(s *Supervisor) (int64, bool) {
		if s.TuningConfig.MaxTotalRows == nil {
			return 0, false
		}
		return *s.TuningConfig.MaxTotalRows, true
	}, 1},
	{"tuningConfig.maxPendingPersists", always(func(s *Supervisor) int64 { return int64(s.TuningConfig.MaxPendingPersists) }), 0},
	{"tuningConfig.handoffConditionTimeout", always(func(s *Supervisor) int64 { return s.TuningConfig.HandoffConditionTimeout }), 0},
	{"tuningConfig.chatRetries", always(func(s *Supervisor) int64 { return s.TuningConfig.ChatRetries }), 0},
	{"tuningConfig.maxParseExceptions", always(func(s *Supervisor) int64 { return s.TuningConfig.MaxParseExceptions }), 0},
	{"tuningConfig.maxSavedParseExceptions", always(func(s *Supervisor) int64 { return s.TuningConfig.MaxSavedParseExceptions }), 0},
	{"tuningConfig.numPersistThreads", always(func(s *Supervisor) int64 { return int64(s.TuningConfig.NumPersistThreads) }), 1},
	{"tuningConfig.numParseThreads", always(func(s *Supervisor) int64 { return int64(s.TuningConfig.NumParseThreads) }), 0},
	{"tuningConfig.workerThreads", func(s *Supervisor) (int64, bool) {
		if s.TuningConfig.WorkerThreads == nil {
			return 0, false
		}
		return int64(*s.TuningConfig.WorkerThreads), true
	}, 1},
}

// positivePeriods must be longer than zero.
var positivePeriods = []struct {
	path string
	get  func(s *Supervisor) *Period
}{
	{"ioConfig.taskDuration", func(s *Supervisor) *Period { return &s.IOConfig.TaskDuration }},
	{"ioConfig.period", func(s *Supervisor) *Period { return &s.IOConfig.Period }},
	{"ioConfig.completionTimeout", func(s *Supervisor) *Period { return &s.IOConfig.CompletionTimeout }},
	{"tuningConfig.intermediatePersistPeriod", func(s *Supervisor) *Period { return &s.TuningConfig.IntermediatePersistPeriod }},
	{"tuningConfig.httpTimeout", func(s *Supervisor) *Period { return &s.TuningConfig.HTTPTimeout }},
	{"tuningConfig.shutdownTimeout", func(s *Supervisor) *Period { return &s.TuningConfig.ShutdownTimeout }},
	{"tuningConfig.offsetFetchPeriod", func(s *Supervisor) *Period { return &s.TuningConfig.OffsetFetchPeriod }},
	{"tuningConfig.intermediateHandoffPeriod", func(s *Supervisor) *Period { return &s.TuningConfig.IntermediateHandoffPeriod }},
	{"tuningConfig.repartitionTransitionDuration", func(s *Supervisor) *Period { return &s.TuningConfig.RepartitionTransitionDuration }},
}

// durationPeriods are stored by Druid as Joda Durations, which have no months or years.
var durationPeriods = []struct {
	path string
	get  func(s *Supervisor) *Period
}{
	{"ioConfig.taskDuration", func(s *Supervisor) *Period { return &s.IOConfig.TaskDuration }},
	{"ioConfig.startDelay", func(s *Supervisor) *Period { return &s.IOConfig.StartDelay }},
	{"ioConfig.period", func(s *Supervisor) *Period { return &s.IOConfig.Period }},
	{"ioConfig.completionTimeout", func(s *Supervisor) *Period { return &s.IOConfig.CompletionTimeout }},
	{"ioConfig.lateMessageRejectionPeriod", func(s *Supervisor) *Period { return s.IOConfig.LateMessageRejectionPeriod }},
	{"ioConfig.earlyMessageRejectionPeriod", func(s *Supervisor) *Period { return s.IOConfig.EarlyMessageRejectionPeriod }},
}

// Validate checks a decoded spec. Decode calls it; callers that build a Supervisor in code (the
// autoscaler, tests) call it again after changing fields.
func (s *Supervisor) Validate() error {
	for _, r := range rules {
		if v, ok := r.get(s); ok && v < r.min {
			return fieldErr(r.path, fmt.Sprintf("must be ≥ %d, got %d", r.min, v))
		}
	}
	for _, p := range durationPeriods {
		if v := p.get(s); v != nil && v.HasCalendarFields() {
			return fieldErr(p.path, fmt.Sprintf("%s has years or months; use days, hours, minutes or seconds", v))
		}
	}
	for _, p := range positivePeriods {
		if v := p.get(s); v.IsZero() {
			return fieldErr(p.path, "must be longer than zero")
		}
	}
	if err := s.validateBounds(); err != nil {
		return err
	}
	if err := s.validateIOConfig(); err != nil {
		return err
	}
	if err := s.validateDataSchema(); err != nil {
		return err
	}
	return s.validateTuning()
}

func (s *Supervisor) validateIOConfig() error {
	io := &s.IOConfig
	if io.Topic == "" && io.TopicPattern == "" {
		return fieldErr("ioConfig.topic", "missing (name the Kafka topic to read, or set ioConfig.topicPattern to read every topic it matches)")
	}
	if io.Topic != "" && io.TopicPattern != "" {
		return fieldErr("ioConfig.topicPattern", "cannot be combined with topic; use one of them")
	}
	if io.TopicPattern != "" {
		if _, err := CompileTopicPattern(io.TopicPattern); err != nil {
			return fieldErr("ioConfig.topicPattern", err.Error())
		}
	}
	if err := validateConsumerProperties(io.ConsumerProperties); err != nil {
		return err
	}
	if io.LateMessageRejectionPeriod != nil && io.LateMessageRejectionStartDateTime != nil {
		return fieldErr("ioConfig.lateMessageRejectionStartDateTime", "cannot be combined with lateMessageRejectionPeriod; set only one of them")
	}
	if v := io.LateMessageRejectionStartDateTime; v != nil {
		if _, err := ParseDateTime(*v); err != nil {
			return fieldErr("ioConfig.lateMessageRejectionStartDateTime", err.Error())
		}
	}
	if a := io.AutoScalerConfig; a != nil && a.EnableTaskAutoScaler {
		if a.TaskCountMin > a.TaskCountMax {
			return fieldErr("ioConfig.autoScalerConfig.taskCountMin", fmt.Sprintf("must be ≤ taskCountMax (%d), got %d", a.TaskCountMax, a.TaskCountMin))
		}
		if a.AutoScalerStrategy != "lagBased" {
			return fieldErr("ioConfig.autoScalerConfig.autoScalerStrategy", fmt.Sprintf("unknown strategy %q (expected \"lagBased\")", a.AutoScalerStrategy))
		}
		if a.TaskCountStart != nil && (*a.TaskCountStart < a.TaskCountMin || *a.TaskCountStart > a.TaskCountMax) {
			return fieldErr("ioConfig.autoScalerConfig.taskCountStart", fmt.Sprintf("must be between taskCountMin (%d) and taskCountMax (%d)", a.TaskCountMin, a.TaskCountMax))
		}
		for _, f := range []struct {
			path string
			v    float64
		}{{"triggerScaleOutFractionThreshold", a.TriggerScaleOutFractionThreshold}, {"triggerScaleInFractionThreshold", a.TriggerScaleInFractionThreshold}} {
			if f.v < 0 || f.v > 1 {
				return fieldErr("ioConfig.autoScalerConfig."+f.path, fmt.Sprintf("must be between 0 and 1, got %v", f.v))
			}
		}
	}
	if io.InputFormat == nil {
		return fieldErr("ioConfig.inputFormat", "missing (e.g. {\"type\":\"json\"}; or use the legacy dataSchema.parser)")
	}
	return validateInputFormat(io.InputFormat, "ioConfig.inputFormat", s.DataSchema.Parser != nil)
}

func validateConsumerProperties(props map[string]any) error {
	const path = "ioConfig.consumerProperties"
	if props == nil {
		return fieldErr(path, "missing (must contain bootstrap.servers)")
	}
	_, dynamic := props[DynamicConfigProviderKey]
	if v, ok := props["bootstrap.servers"]; ok {
		str, isStr := v.(string)
		if !isStr || strings.TrimSpace(str) == "" {
			return fieldErr(path+".bootstrap.servers", "must be a non-empty string such as \"localhost:9092\"")
		}
	} else if !dynamic || !dynamicProvides(props, "bootstrap.servers") {
		return fieldErr(path+".bootstrap.servers", "missing (list the Kafka brokers, e.g. \"localhost:9092\")")
	}
	if dynamic {
		if err := validateDynamicProvider(props[DynamicConfigProviderKey]); err != nil {
			return err
		}
	}
	if v, ok := props["isolation.level"]; ok {
		if s, _ := v.(string); s != "read_committed" && s != "read_uncommitted" {
			return fieldErr(path+".isolation.level", fmt.Sprintf("must be \"read_committed\" or \"read_uncommitted\", got %s", describe(v)))
		}
	}
	return validateSecurityProperties(props)
}

func validateInputFormat(f *InputFormat, path string, legacy bool) error {
	typePath := path + ".type"
	if legacy {
		typePath = "dataSchema.parser.parseSpec.format"
	}
	switch f.Type {
	case "":
		return fieldErr(typePath, fmt.Sprintf("missing (expected one of %s)", strings.Join(InputFormatTypes, ", ")))
	case "json":
		if err := validateFlatten(f.FlattenSpec, path+".flattenSpec"); err != nil {
			return err
		}
		for k, on := range f.FeatureSpec {
			if on {
				return fieldErr(path+".featureSpec."+k, "Jackson parser features are not supported")
			}
		}
	case "csv", "tsv", "delimited":
		header := f.FindColumnsFromHeader != nil && *f.FindColumnsFromHeader
		if len(f.Columns) == 0 && !header {
			return fieldErr(path+".columns", "missing (list the columns, or set findColumnsFromHeader to true)")
		}
		if len(f.Columns) > 0 && header {
			return fieldErr(path+".findColumnsFromHeader", "cannot be combined with columns; use one of them")
		}
		if err := uniqueNames(f.Columns, path+".columns"); err != nil {
			return err
		}
		if f.SkipHeaderRows < 0 {
			return fieldErr(path+".skipHeaderRows", fmt.Sprintf("must be ≥ 0, got %d", f.SkipHeaderRows))
		}
		if f.Type == "csv" && f.Delimiter != nil {
			return fieldErr(path+".delimiter", "csv always uses a comma; use type \"tsv\" or \"delimited\" for another delimiter")
		}
		if f.Delimiter != nil && *f.Delimiter == "" {
			return fieldErr(path+".delimiter", "must not be empty")
		}
		if f.FlattenSpec != nil {
			return fieldErr(path+".flattenSpec", "only the json input format supports flattenSpec")
		}
	case "protobuf":
		if err := validateProtobufFormat(f, path, legacy); err != nil {
			return err
		}
	case "kafka":
		if f.ValueFormat == nil {
			return fieldErr(path+".valueFormat", "missing (the format of the record value, e.g. {\"type\":\"json\"})")
		}
		if f.ValueFormat.Type == "kafka" {
			return fieldErr(path+".valueFormat.type", "cannot itself be kafka")
		}
		if err := validateInputFormat(f.ValueFormat, path+".valueFormat", false); err != nil {
			return err
		}
		if f.KeyFormat != nil {
			if f.KeyFormat.Type == "kafka" {
				return fieldErr(path+".keyFormat.type", "cannot itself be kafka")
			}
			if err := validateInputFormat(f.KeyFormat, path+".keyFormat", false); err != nil {
				return err
			}
		}
		if h := f.HeaderFormat; h != nil {
			if lower(h.Type) != "string" {
				return fieldErr(path+".headerFormat.type", fmt.Sprintf("unknown header format %q (expected \"string\")", h.Type))
			}
			if h.Encoding != "" && !slices.Contains(headerEncodings, strings.ToUpper(h.Encoding)) {
				return fieldErr(path+".headerFormat.encoding", fmt.Sprintf("unknown encoding %q (expected one of %s)", h.Encoding, strings.Join(headerEncodings, ", ")))
			}
		}
	case "avro_stream", "avro_ocf":
		decoderPath := path + ".avroBytesDecoder"
		if legacy {
			decoderPath = "dataSchema.parser.avroBytesDecoder"
		}
		if err := validateAvroFormat(f, path, decoderPath); err != nil {
			return err
		}
	default:
		return fieldErr(typePath, fmt.Sprintf("unknown input format %q (expected one of %s)", f.Type, strings.Join(InputFormatTypes, ", ")))
	}
	if !isAvroFormat(f.Type) && (f.AvroBytesDecoder != nil || f.BinaryAsString != nil || f.ExtractUnionsByType != nil || len(f.Schema) > 0) {
		return fieldErr(path+".avroBytesDecoder", "only the avro_stream and avro_ocf input formats have avroBytesDecoder, binaryAsString, extractUnionsByType and schema")
	}
	if f.Type != "protobuf" && f.ProtoBytesDecoder != nil {
		return fieldErr(path+".protoBytesDecoder", "only the protobuf input format has a protoBytesDecoder")
	}
	if f.Type != "kafka" && (f.ValueFormat != nil || f.KeyFormat != nil || f.HeaderFormat != nil) {
		return fieldErr(path+".valueFormat", "only the kafka input format has valueFormat, keyFormat and headerFormat")
	}
	return nil
}

var headerEncodings = []string{"UTF-8", "ISO-8859-1", "US-ASCII", "UTF-16", "UTF-16BE", "UTF-16LE"}

func validateFlatten(f *FlattenSpec, path string) error {
	if f == nil {
		return nil
	}
	seen := map[string]int{}
	for i, fl := range f.Fields {
		p := path + ".fields[" + strconv.Itoa(i) + "]"
		if fl.Name == "" {
			return fieldErr(p+".name", "missing")
		}
		if j, dup := seen[fl.Name]; dup {
			return fieldErr(p+".name", fmt.Sprintf("duplicate field name %q (also fields[%d])", fl.Name, j))
		}
		seen[fl.Name] = i
		switch fl.Type {
		case "root":
		case "path", "jq":
			if fl.Expr == "" {
				return fieldErr(p+".expr", "missing (required by "+fl.Type+" fields)")
			}
		case "tree":
			if len(fl.Nodes) == 0 {
				return fieldErr(p+".nodes", "missing (required by tree fields)")
			}
		default:
			return fieldErr(p+".type", fmt.Sprintf("unknown flatten field type %q (expected root, path, jq or tree)", fl.Type))
		}
	}
	return nil
}

func uniqueNames(names []string, path string) error {
	seen := map[string]int{}
	for i, n := range names {
		if j, dup := seen[n]; dup {
			return fieldErr(path+"["+strconv.Itoa(i)+"]", fmt.Sprintf("duplicate column %q (also [%d])", n, j))
		}
		seen[n] = i
	}
	return nil
}

func (s *Supervisor) validateDataSchema() error {
	d := &s.DataSchema
	if strings.TrimSpace(d.DataSource) == "" {
		return fieldErr("dataSchema.dataSource", "missing (name the datasource to ingest into)")
	}
	// Datasource and supervisor id become directory names and store keys (ids.go).
	if err := ValidateDataSource("dataSchema.dataSource", d.DataSource); err != nil {
		return err
	}
	if s.ExplicitID != "" {
		if err := ValidateDataSource("id", s.ExplicitID); err != nil {
			return err
		}
	}
	if d.Parser != nil {
		if t := lower(d.Parser.Type); t != "string" && t != "" && t != "avro_stream" && t != "protobuf" {
			return fieldErr("dataSchema.parser.type", fmt.Sprintf("unsupported parser type %q (expected \"string\", \"avro_stream\" or \"protobuf\"; or use ioConfig.inputFormat)", d.Parser.Type))
		}
		if err := validateAvroParser(d.Parser); err != nil {
			return err
		}
		if err := validateProtobufParser(d.Parser); err != nil {
			return err
		}
	}
	ts := d.TimestampSpec
	if err := ValidateTimestampFormat(ts.Format); err != nil {
		return fieldErr("dataSchema.timestampSpec.format", err.Error())
	}
	if ts.MissingValue != nil {
		mv, err := ParseDateTime(*ts.MissingValue)
		if err != nil {
			return fieldErr("dataSchema.timestampSpec.missingValue", err.Error())
		}
		if !TimestampInRange(mv.UnixMilli()) {
			return fieldErr("dataSchema.timestampSpec.missingValue", fmt.Sprintf("%s is outside the supported range %s", FormatTime(mv), TimestampRangeText))
		}
	}
	g := d.GranularitySpec
	if lower(g.Type) != "uniform" && lower(g.Type) != "arbitrary" {
		return fieldErr("dataSchema.granularitySpec.type", fmt.Sprintf("unknown granularitySpec type %q (expected \"uniform\")", g.Type))
	}
	if g.SegmentGranularity.Kind == GranularityNone {
		return fieldErr("dataSchema.granularitySpec.segmentGranularity", "NONE is not a segment granularity; use e.g. HOUR or DAY")
	}
	if g.SegmentGranularity.Kind == GranularityAll {
		// ALL's one interval is Druid's ETERNITY, whose ends have no four-digit year: segment ids
		// and the metadata store could not represent it, so every task would fail at allocation.
		return fieldErr("dataSchema.granularitySpec.segmentGranularity", "ALL is not supported for streaming ingestion (its interval has no four-digit year); use e.g. DAY or YEAR")
	}
	if !g.QueryGranularity.FinerOrEqual(*g.SegmentGranularity) {
		return fieldErr("dataSchema.granularitySpec.queryGranularity", fmt.Sprintf("%s is coarser than segmentGranularity %s", g.QueryGranularity, g.SegmentGranularity))
	}

	// Column names: dimensions, metrics and transforms share one namespace.
	owner := map[string]string{}
	claim := func(name, path string) error {
		if name == "" {
			return fieldErr(path, "missing")
		}
		if name == "__time" {
			return fieldErr(path, "\"__time\" is reserved for the row timestamp")
		}
		if prev, dup := owner[name]; dup {
			return fieldErr(path, fmt.Sprintf("duplicate column name %q (also %s)", name, prev))
		}
		owner[name] = path
		return nil
	}
	for i, dim := range d.DimensionsSpec.Dimensions {
		p := "dataSchema.dimensionsSpec.dimensions[" + strconv.Itoa(i) + "]"
		if !slices.Contains(DimensionTypes, dim.Type) {
			return fieldErr(p+".type", fmt.Sprintf("unknown dimension type %q (expected one of %s)", dim.Type, strings.Join(DimensionTypes, ", ")))
		}
		if dim.Type == "json" || dim.Type == "auto" {
			return fieldErr(p+".type", fmt.Sprintf("dimension type %q is not supported yet (use string, long, float or double)", dim.Type))
		}
		if m := dim.MultiValueHandling; m != "" && !slices.Contains([]string{"SORTED_ARRAY", "SORTED_SET", "ARRAY"}, strings.ToUpper(m)) {
			return fieldErr(p+".multiValueHandling", fmt.Sprintf("unknown value %q (expected sorted_array, sorted_set or array)", m))
		}
		if err := claim(dim.Name, p+".name"); err != nil {
			return err
		}
	}
	for i, sd := range d.DimensionsSpec.SpatialDimensions {
		_ = sd
		return fieldErr("dataSchema.dimensionsSpec.spatialDimensions["+strconv.Itoa(i)+"]", "spatial dimensions are not supported")
	}
	for i, a := range d.MetricsSpec {
		p := "dataSchema.metricsSpec[" + strconv.Itoa(i) + "]"
		if err := validateAggregator(&a, p); err != nil {
			return err
		}
		if err := claim(a.Name, p+".name"); err != nil {
			return err
		}
	}
	seenT := map[string]int{}
	for i, t := range d.TransformSpec.Transforms {
		p := "dataSchema.transformSpec.transforms[" + strconv.Itoa(i) + "]"
		if t.Type != "expression" {
			return fieldErr(p+".type", fmt.Sprintf("unknown transform type %q (expected \"expression\")", t.Type))
		}
		if t.Name == "" {
			return fieldErr(p+".name", "missing")
		}
		if j, dup := seenT[t.Name]; dup {
			return fieldErr(p+".name", fmt.Sprintf("duplicate transform name %q (also transforms[%d])", t.Name, j))
		}
		seenT[t.Name] = i
		if err := validateExpression(t.Expression); err != nil {
			return fieldErr(p+".expression", err.Error())
		}
	}
	if f := d.TransformSpec.Filter; f != nil {
		if err := ValidateFilter(f, "dataSchema.transformSpec.filter"); err != nil {
			return err
		}
	}
	return nil
}

func validateAggregator(a *Aggregator, p string) error {
	needsField, ok := aggregatorKinds[a.Type]
	if !ok {
		return fieldErr(p+".type", fmt.Sprintf("unknown aggregator %q (expected one of %s)", a.Type, strings.Join(AggregatorTypes(), ", ")))
	}
	if a.Name == "" {
		return fieldErr(p+".name", "missing")
	}
	if needsField && a.FieldName == "" && a.Expression == "" {
		return fieldErr(p+".fieldName", "missing (required by "+a.Type+")")
	}
	if a.Expression != "" {
		if a.FieldName != "" {
			return fieldErr(p+".expression", "cannot be combined with fieldName; use one of them")
		}
		if err := validateExpression(a.Expression); err != nil {
			return fieldErr(p+".expression", err.Error())
		}
	}
	switch a.Type {
	case "cardinality":
		if len(a.Fields) == 0 {
			return fieldErr(p+".fields", "missing (required by cardinality)")
		}
	case "filtered":
		if a.Filter == nil {
			return fieldErr(p+".filter", "missing (required by filtered)")
		}
		if a.Aggregator == nil {
			return fieldErr(p+".aggregator", "missing (required by filtered)")
		}
		if err := ValidateFilter(a.Filter, p+".filter"); err != nil {
			return err
		}
		inner := *a.Aggregator
		if inner.Name == "" {
			inner.Name = a.Name
		}
		return validateAggregator(&inner, p+".aggregator")
	}
	if a.MaxStringBytes != nil && *a.MaxStringBytes < 1 {
		return fieldErr(p+".maxStringBytes", fmt.Sprintf("must be ≥ 1, got %d", *a.MaxStringBytes))
	}
	return nil
}

// ValidateFilter checks a filter tree at path (empty for a filter at the root): known type, the
// fields each type needs, and every value, pattern and number in the form the compilers
// (engine/transform, engine/query) read them. It is the one place filters are checked: the
// compilers take a filter that passed it and do not check again.
func ValidateFilter(f *Filter, path string) error {
	if f == nil {
		return fieldErr(path, "missing")
	}
	if err := validateFilterFields(f, path); err != nil {
		return err
	}
	if len(f.ExtractionFn) > 0 && string(f.ExtractionFn) != "null" {
		return fieldErr(join(path, "extractionFn"), "extraction functions are not supported; use an expression transform")
	}
	return nil
}

// validateFilterFields checks the fields of f's type.
func validateFilterFields(f *Filter, path string) error {
	need := func(ok bool, field, why string) error {
		if ok {
			return nil
		}
		return fieldErr(join(path, field), "missing (required by "+why+")")
	}
	// scalar checks a value the compilers read with FilterValue.
	scalar := func(x any, field string) (string, bool, error) {
		s, notNull, err := FilterValue(x)
		if err != nil {
			return "", false, fieldErr(join(path, field), err.Error())
		}
		return s, notNull, nil
	}
	// bounds checks lower and upper, as numbers when numeric.
	bounds := func(numeric bool) error {
		for _, b := range []struct {
			field string
			v     any
		}{{"lower", f.Lower}, {"upper", f.Upper}} {
			s, notNull, err := scalar(b.v, b.field)
			if err != nil {
				return err
			}
			if _, ok := expr.ParseNumber(s); notNull && numeric && !ok {
				return fieldErr(join(path, b.field), fmt.Sprintf("%q is not a number", s))
			}
		}
		return nil
	}
	switch f.Type {
	case "selector":
		if err := need(f.Dimension != "", "dimension", "selector"); err != nil {
			return err
		}
		_, _, err := scalar(f.Value, "value")
		return err
	case "equals":
		if err := need(f.Column != "", "column", "equals"); err != nil {
			return err
		}
		if err := need(f.MatchValueType != "", "matchValueType", "equals"); err != nil {
			return err
		}
		if err := need(f.MatchValue != nil, "matchValue", "equals"); err != nil {
			return err
		}
		numeric, err := filterValueType(f.MatchValueType, join(path, "matchValueType"))
		if err != nil {
			return err
		}
		s, _, err := scalar(f.MatchValue, "matchValue")
		if err != nil {
			return err
		}
		if _, ok := expr.ParseNumber(s); numeric && !ok {
			return fieldErr(join(path, "matchValue"), fmt.Sprintf("%q is not a %s", s, f.MatchValueType))
		}
	case "in":
		if err := need(f.Dimension != "", "dimension", "in"); err != nil {
			return err
		}
		if err := need(f.Values != nil, "values", "in"); err != nil {
			return err
		}
		for i, v := range f.Values {
			if _, _, err := scalar(v, "values["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case "bound":
		if err := need(f.Dimension != "", "dimension", "bound"); err != nil {
			return err
		}
		if f.Lower == nil && f.Upper == nil {
			return fieldErr(join(path, "lower"), "bound needs lower, upper or both")
		}
		// Matched as the compiler reads it: lower-cased, not trimmed.
		o := strings.ToLower(f.Ordering)
		if o != "" && !slices.Contains(BoundOrderings, o) {
			return fieldErr(join(path, "ordering"), fmt.Sprintf("unknown ordering %q (expected lexicographic, numeric, alphanumeric or strlen)", f.Ordering))
		}
		return bounds(o == "numeric" || o == "strlen")
	case "range":
		if err := need(f.Column != "", "column", "range"); err != nil {
			return err
		}
		if err := need(f.MatchValueType != "", "matchValueType", "range"); err != nil {
			return err
		}
		if f.Lower == nil && f.Upper == nil {
			return fieldErr(join(path, "lower"), "range needs lower, upper or both")
		}
		numeric, err := filterValueType(f.MatchValueType, join(path, "matchValueType"))
		if err != nil {
			return err
		}
		return bounds(numeric)
	case "like":
		if err := need(f.Dimension != "", "dimension", "like"); err != nil {
			return err
		}
		if len([]rune(f.Escape)) > 1 {
			return fieldErr(join(path, "escape"), "must be a single character")
		}
		if err := need(f.Pattern != "", "pattern", "like"); err != nil {
			return err
		}
		if _, err := expr.LikeRegexp(f.Pattern, f.Escape); err != nil {
			return fieldErr(join(path, "pattern"), err.Error())
		}
	case "regex":
		if err := need(f.Dimension != "", "dimension", "regex"); err != nil {
			return err
		}
		if err := need(f.Pattern != "", "pattern", "regex"); err != nil {
			return err
		}
		if _, err := regexp.Compile(f.Pattern); err != nil {
			return fieldErr(join(path, "pattern"), "not a valid (RE2) regular expression (lookaround and backreferences are not supported): "+err.Error())
		}
	case "null":
		return need(f.Column != "", "column", "null")
	case "not":
		if err := need(f.Field != nil, "field", "not"); err != nil {
			return err
		}
		return ValidateFilter(f.Field, join(path, "field"))
	case "and", "or":
		if len(f.Fields) == 0 {
			return fieldErr(join(path, "fields"), "missing (required by "+f.Type+")")
		}
		for i, sub := range f.Fields {
			if err := ValidateFilter(sub, join(path, "fields["+strconv.Itoa(i)+"]")); err != nil {
				return err
			}
		}
	case "true", "false":
	case "expression":
		if err := need(f.Expression != "", "expression", "expression"); err != nil {
			return err
		}
		if err := validateExpression(f.Expression); err != nil {
			return fieldErr(join(path, "expression"), err.Error())
		}
	case "":
		return fieldErr(join(path, "type"), fmt.Sprintf("missing (expected one of %s)", strings.Join(FilterTypes, ", ")))
	default:
		return fieldErr(join(path, "type"), fmt.Sprintf("unknown filter type %q (expected one of %s)", f.Type, strings.Join(FilterTypes, ", ")))
	}
	return nil
}

// filterValueType checks the matchValueType of equals and range; numeric is true for LONG,
// DOUBLE and FLOAT, whose values must then be numbers.
func filterValueType(t, path string) (numeric bool, err error) {
	switch strings.ToUpper(t) {
	case "STRING":
		return false, nil
	case "LONG", "DOUBLE", "FLOAT":
		return true, nil
	}
	return false, fieldErr(path, fmt.Sprintf("unsupported type %q (want STRING, LONG, DOUBLE or FLOAT)", t))
}

func (s *Supervisor) validateTuning() error {
	t := &s.TuningConfig
	if t.Type != "kafka" {
		return fieldErr("tuningConfig.type", fmt.Sprintf("unknown type %q (expected \"kafka\")", t.Type))
	}
	if a := t.AppendableIndexSpec; a != nil && lower(a.Type) != "onheap" {
		return fieldErr("tuningConfig.appendableIndexSpec.type", fmt.Sprintf("unknown type %q (expected \"onheap\")", a.Type))
	}
	if err := validateIndexSpec(t.IndexSpec, "tuningConfig.indexSpec"); err != nil {
		return err
	}
	if err := validateIndexSpec(t.IndexSpecForIntermediatePersists, "tuningConfig.indexSpecForIntermediatePersists"); err != nil {
		return err
	}
	if m := t.SegmentWriteOutMediumFactory; m != nil && !slices.Contains([]string{"tmpfile", "offheapmemory", "onheapmemory"}, lower(m.Type)) {
		return fieldErr("tuningConfig.segmentWriteOutMediumFactory.type", fmt.Sprintf("unknown type %q (expected tmpFile, offHeapMemory or onHeapMemory)", m.Type))
	}
	if d, _ := t.OffsetFetchPeriod.Duration(); d > 0 && d.Seconds() < 5 {
		return fieldErr("tuningConfig.offsetFetchPeriod", "must be at least PT5S")
	}
	return nil
}

// Compressions lists the accepted dimension/metric compressions: Druid's
// lz4 (the default), zstd and uncompressed ("none" is Druid's other name for it).
var Compressions = []string{"lz4", "zstd", "uncompressed", "none"}

func validateIndexSpec(is *IndexSpec, path string) error {
	if is.Bitmap.Type != "roaring" {
		if is.Bitmap.Type == "concise" {
			return fieldErr(path+".bitmap.type", "concise bitmaps are not supported; use \"roaring\"")
		}
		return fieldErr(path+".bitmap.type", fmt.Sprintf("unknown bitmap type %q (expected \"roaring\")", is.Bitmap.Type))
	}
	if !slices.Contains(Compressions, is.DimensionCompression) {
		return fieldErr(path+".dimensionCompression", fmt.Sprintf("unsupported compression %q (expected lz4, zstd, uncompressed or none)", is.DimensionCompression))
	}
	if !slices.Contains(Compressions, is.MetricCompression) {
		return fieldErr(path+".metricCompression", fmt.Sprintf("unsupported compression %q (expected lz4, zstd, uncompressed or none)", is.MetricCompression))
	}
	if is.LongEncoding != "longs" && is.LongEncoding != "auto" {
		return fieldErr(path+".longEncoding", fmt.Sprintf("unknown long encoding %q (expected auto or longs)", is.LongEncoding))
	}
	return nil
}

// ValidateTimestampFormat accepts Druid's named formats and Joda-style patterns.
func ValidateTimestampFormat(f string) error {
	switch lower(f) {
	case "auto", "iso", "millis", "posix", "micro", "nano", "ruby":
		return nil
	}
	if strings.TrimSpace(f) == "" {
		return fmt.Errorf("must not be empty")
	}
	if !strings.ContainsAny(f, "yMdHhmsS") {
		return fmt.Errorf("unknown timestamp format %q (expected auto, iso, millis, posix, micro, nano, ruby or a Joda pattern such as yyyy-MM-dd HH:mm:ss)", f)
	}
	if _, _, err := expr.JodaLayout(f); err != nil {
		return fmt.Errorf("unsupported Joda pattern %q: %v", f, err)
	}
	return nil
}

// validateExpression parses a Druid expression, so unknown functions and syntax errors are
// refused when the spec is submitted rather than when rows arrive.
func validateExpression(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("missing expression")
	}
	_, err := expr.Parse(s)
	return err
}
