package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// SupervisorType is the only supervisor type this engine runs.
const SupervisorType = "kafka"

// Supervisor is the canonical supervisor spec, whatever shape it arrived in.
type Supervisor struct {
	Type         string
	ExplicitID   string // the optional top-level "id"; empty means the dataSource
	DataSchema   DataSchema
	IOConfig     IOConfig
	TuningConfig TuningConfig
	Context      map[string]any
	Suspended    bool
	// Warnings name the fields that were accepted without effect (legacy Druid fields, and
	// unknown ones under UnknownFieldsWarn), in spec order. They are not part of the spec.
	Warnings []string
}

// ID is the supervisor id: the explicit id, else the dataSource (Druid's historical rule).
func (s *Supervisor) ID() string {
	if s.ExplicitID != "" {
		return s.ExplicitID
	}
	return s.DataSchema.DataSource
}

// topLevel lists the keys a supervisor spec may carry: the three sections, flat or inside "spec"
// (the echo carries both), plus type, id, context and suspended.
type topLevel struct {
	Type         *string         `json:"type"`
	ID           string          `json:"id"`
	Spec         *ingestionSpec  `json:"spec"`
	DataSchema   json.RawMessage `json:"dataSchema"`
	IOConfig     json.RawMessage `json:"ioConfig"`
	TuningConfig json.RawMessage `json:"tuningConfig"`
	Context      map[string]any  `json:"context"`
	Suspended    bool            `json:"suspended"`
}

type ingestionSpec struct {
	DataSchema   json.RawMessage `json:"dataSchema"`
	IOConfig     json.RawMessage `json:"ioConfig"`
	TuningConfig json.RawMessage `json:"tuningConfig"`
}

// Decode reads a supervisor spec in any accepted shape, fills defaults and validates it. Every
// error wraps ErrInvalid; field problems are *FieldError naming the JSON path.
func Decode(raw []byte) (*Supervisor, error) { return DecodeWith(raw, DecodeOptions{}) }

// DecodeWith is Decode under opts (what to do with unknown fields).
func DecodeWith(raw []byte, opts DecodeOptions) (*Supervisor, error) {
	if err := syntaxCheck(raw); err != nil {
		return nil, err
	}
	c := &checker{opts: opts}
	var top topLevel
	if err := c.decodeStrict(raw, &top, ""); err != nil {
		return nil, err
	}
	if top.Type == nil {
		return nil, fieldErr("type", `missing (expected "kafka")`)
	}
	if *top.Type != SupervisorType {
		return nil, fieldErr("type", fmt.Sprintf("unknown supervisor type %q (expected \"kafka\")", *top.Type))
	}
	ds, io, tc := top.DataSchema, top.IOConfig, top.TuningConfig
	if top.Spec != nil {
		// The wrapper wins over flat sections, as in Druid's KafkaSupervisorSpec constructor; an
		// echo carries both and they are equal.
		ds, io, tc = top.Spec.DataSchema, top.Spec.IOConfig, top.Spec.TuningConfig
	}
	s := &Supervisor{Type: SupervisorType, ExplicitID: top.ID, Context: top.Context, Suspended: top.Suspended}
	if isNull(ds) {
		return nil, fieldErr("dataSchema", "missing")
	}
	if err := c.decodeStrict(ds, &s.DataSchema, "dataSchema"); err != nil {
		return nil, err
	}
	if isNull(io) {
		return nil, fieldErr("ioConfig", "missing")
	}
	s.IOConfig = DefaultIOConfig()
	if err := c.decodeStrict(io, &s.IOConfig, "ioConfig"); err != nil {
		return nil, err
	}
	s.IOConfig.Legacy = pickLegacy(io, reflect.TypeFor[IOConfig]())
	s.TuningConfig = DefaultTuningConfig()
	if !isNull(tc) {
		if err := c.decodeStrict(tc, &s.TuningConfig, "tuningConfig"); err != nil {
			return nil, err
		}
		s.TuningConfig.Legacy = pickLegacy(tc, reflect.TypeFor[TuningConfig]())
	}
	if err := s.normalize(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.Warnings = c.warnings
	return s, nil
}

func isNull(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// syntaxCheck turns malformed JSON into an error with the byte offset and line.
func syntaxCheck(raw []byte) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return fieldErr("", "malformed JSON: empty body")
	}
	var v any
	err := json.Unmarshal(raw, &v)
	if err == nil {
		if _, ok := v.(map[string]any); !ok {
			return fieldErr("", "malformed JSON: a supervisor spec must be a JSON object")
		}
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(raw[:min(int(se.Offset), len(raw))], []byte("\n"))
		return fieldErr("", fmt.Sprintf("malformed JSON at line %d (byte %d): %v", line, se.Offset, se))
	}
	return fieldErr("", "malformed JSON: "+err.Error())
}

// normalize resolves aliases, translates the legacy parser and fills section defaults.
func (s *Supervisor) normalize() error {
	io := &s.IOConfig
	if io.Stream != "" {
		if io.Topic != "" && io.Topic != io.Stream {
			return fieldErr("ioConfig.stream", fmt.Sprintf("%q contradicts topic %q (stream is an alias of topic)", io.Stream, io.Topic))
		}
		if io.Topic == "" && io.TopicPattern == "" {
			io.Topic = io.Stream
		}
	}
	io.Stream = ""
	if io.UseEarliestSequenceNumber != nil {
		io.UseEarliestOffset = io.UseEarliestOffset || *io.UseEarliestSequenceNumber
		io.UseEarliestSequenceNumber = nil
	}
	if io.Type != "" && io.Type != SupervisorType {
		return fieldErr("ioConfig.type", fmt.Sprintf("unknown type %q (expected \"kafka\")", io.Type))
	}
	io.Type = ""
	if a := io.AutoScalerConfig; a != nil && a.EnableTaskAutoScaler {
		// Druid ignores taskCount when the autoscaler is on and starts at taskCountStart or
		// taskCountMin.
		if a.TaskCountStart != nil {
			io.TaskCount = *a.TaskCountStart
		} else if a.TaskCountMin > 0 {
			io.TaskCount = a.TaskCountMin
		}
	}

	d := &s.DataSchema
	if p := d.Parser; p != nil {
		if p.ParseSpec == nil {
			return fieldErr("dataSchema.parser.parseSpec", "missing")
		}
		if io.InputFormat != nil {
			return fieldErr("ioConfig.inputFormat", "cannot be combined with the legacy dataSchema.parser; use one of them")
		}
		ps := p.ParseSpec
		if d.TimestampSpec == nil {
			d.TimestampSpec = ps.TimestampSpec
		}
		if d.DimensionsSpec == nil {
			d.DimensionsSpec = ps.DimensionsSpec
		}
		io.InputFormat = inputFormatFromParseSpec(ps)
		if lower(p.Type) == "avro_stream" {
			io.InputFormat = avroFormatFromParser(p)
		}
		if lower(p.Type) == "protobuf" {
			io.InputFormat = protobufFormatFromParser(p)
		}
	}
	if d.TimestampSpec == nil {
		d.TimestampSpec = &TimestampSpec{}
	}
	if d.TimestampSpec.Column == "" {
		d.TimestampSpec.Column = "timestamp"
	}
	if d.TimestampSpec.Format == "" {
		d.TimestampSpec.Format = "auto"
	}
	if d.DimensionsSpec == nil {
		d.DimensionsSpec = &DimensionsSpec{}
	}
	if d.GranularitySpec == nil {
		d.GranularitySpec = &GranularitySpec{}
	}
	g := d.GranularitySpec
	if g.Type == "" {
		g.Type = "uniform"
	}
	if g.SegmentGranularity == nil {
		sg := MustGranularity("DAY")
		g.SegmentGranularity = &sg
	}
	if g.QueryGranularity == nil {
		qg := MustGranularity("NONE")
		g.QueryGranularity = &qg
	}
	if g.Rollup == nil {
		t := true
		g.Rollup = &t
	}
	if d.TransformSpec == nil {
		d.TransformSpec = &TransformSpec{}
	}
	for i := range d.TransformSpec.Transforms {
		if d.TransformSpec.Transforms[i].Type == "" {
			d.TransformSpec.Transforms[i].Type = "expression"
		}
	}
	if f := io.InputFormat; f != nil {
		normalizeInputFormat(f)
	}

	t := &s.TuningConfig
	if t.Type == "KafkaTuningConfig" || t.Type == "" {
		t.Type = "kafka"
	}
	t.IndexSpec = normalizeIndexSpec(t.IndexSpec)
	t.IndexSpecForIntermediatePersists = normalizeIndexSpec(t.IndexSpecForIntermediatePersists)
	if t.AppendableIndexSpec == nil {
		t.AppendableIndexSpec = &AppendableIndexSpec{Type: "onheap"}
	}
	return nil
}

func normalizeInputFormat(f *InputFormat) {
	f.Type = lower(f.Type)
	if f.ValueFormat != nil {
		normalizeInputFormat(f.ValueFormat)
	}
	if f.KeyFormat != nil {
		normalizeInputFormat(f.KeyFormat)
	}
	if f.Type == "kafka" {
		if f.TimestampColumnName == "" {
			f.TimestampColumnName = "kafka.timestamp"
		}
		if f.TopicColumnName == "" {
			f.TopicColumnName = "kafka.topic"
		}
		if f.HeaderColumnPrefix == "" {
			f.HeaderColumnPrefix = "kafka.header."
		}
		if f.KeyColumnName == "" {
			f.KeyColumnName = "kafka.key"
		}
	}
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func defaultLower(s, def string) string {
	if s == "" {
		return def
	}
	return lower(s)
}
