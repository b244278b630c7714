package input

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Config is what NewParser needs from the supervisor spec.
type Config struct {
	// Format is ioConfig.inputFormat (required).
	Format *spec.InputFormat
	// Timestamp is dataSchema.timestampSpec; nil means column "timestamp", format "auto".
	Timestamp *spec.TimestampSpec
	// Dimensions is dataSchema.dimensionsSpec; it decides schemaless discovery and its
	// exclusions, and the typed dimensions CheckTypes verifies.
	Dimensions *spec.DimensionsSpec
	// Metrics is dataSchema.metricsSpec: their names and input fields are excluded from
	// schemaless discovery, as Druid does, and numeric inputs are verified by CheckTypes.
	Metrics []spec.Aggregator
	// Context bounds the calls a source makes while parsing (schema registry lookups); the
	// task passes its run context so a shutdown does not wait on a slow registry. nil means
	// context.Background().
	Context context.Context
	// Getenv resolves the environment variables a format's settings name (a schema registry
	// decoder's password providers and druid.dynamic.config.provider); nil means os.LookupEnv.
	Getenv func(string) (string, bool)
}

// sourceEnv is what a source may need from outside its spec.
type sourceEnv struct {
	ctx    context.Context
	getenv func(string) (string, bool)
}

func (e sourceEnv) context() context.Context {
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

func (e sourceEnv) lookupEnv() func(string) (string, bool) {
	if e.getenv == nil {
		return os.LookupEnv
	}
	return e.getenv
}

// source is one inputFormat reader. read fills r for each row of data and calls each(nil), or
// calls each with the error of a bad row and goes on; a returned *ParseError means the whole
// record is unparseable. Errors returned by each abort the read.
//
// Any other error read returns is not about the record: Parse hands it up unchanged, and the
// caller must not count the record as unparseable. In particular an error for which
// schemaregistry.IsUnavailable is true (the schema registry cannot answer) means "retry the
// whole record later": the task keeps its offset, backs off and parses the record again. A
// source returns such an error before it emits any row of the record, so a retry never
// duplicates rows.
type source interface {
	read(data []byte, r *Row, each func(*ParseError) error) error
}

func newSource(f *spec.InputFormat, env sourceEnv) (source, error) {
	switch strings.ToLower(f.Type) {
	case "avro_stream":
		return newAvroStreamSource(f, env)
	case "avro_ocf":
		return newAvroOCFSource(f)
	case "json":
		return newJSONSource(f)
	case "csv", "tsv", "delimited":
		g := *f
		g.Type = strings.ToLower(f.Type)
		return newDelimitedSource(&g)
	case "protobuf":
		return newProtobufSourceEnv(f, env.lookupEnv(), env.context())
	case "kafka":
		return nil, fmt.Errorf("type: kafka is only allowed as the top-level inputFormat")
	}
	return nil, fmt.Errorf("type: unknown inputFormat type %q (supported: %s)", f.Type, strings.Join(spec.InputFormatTypes, ", "))
}

// Parser turns Kafka records into rows. It is not safe for concurrent use.
type Parser struct {
	src        source
	kafka      *kafkaColumns // nil unless the format is kafka
	ts         *timestamper
	disc       discovery
	typed      []typedColumn
	schemaless bool

	row  Row
	rec  Record // the record being parsed, copied so the argument does not escape
	emit func(*Row) error
	each func(*ParseError) error
	errs []*ParseError
}

// NewParser compiles the input format, timestamp spec and discovery rules.
func NewParser(c Config) (*Parser, error) {
	if c.Format == nil {
		return nil, fmt.Errorf("inputFormat: required")
	}
	p := &Parser{}
	var err error
	f := c.Format
	env := sourceEnv{ctx: c.Context, getenv: c.Getenv}
	keepNulls := f.KeepNullColumns
	if strings.EqualFold(f.Type, "kafka") {
		if f.ValueFormat == nil {
			return nil, fmt.Errorf("inputFormat.valueFormat: required for the kafka format")
		}
		if p.src, err = newSource(f.ValueFormat, env); err != nil {
			return nil, fmt.Errorf("inputFormat.valueFormat.%w", err)
		}
		if p.kafka, err = newKafkaColumns(f, env); err != nil {
			return nil, fmt.Errorf("inputFormat.%w", err)
		}
		keepNulls = f.ValueFormat.KeepNullColumns
	} else if p.src, err = newSource(f, env); err != nil {
		return nil, fmt.Errorf("inputFormat.%w", err)
	}
	if p.ts, err = newTimestamper(c.Timestamp); err != nil {
		return nil, err
	}
	p.disc = discovery{exclude: map[string]struct{}{TimeColumn: {}, p.ts.column: {}}, keepNulls: keepNulls != nil && *keepNulls}
	if ds := c.Dimensions; ds != nil {
		for _, e := range ds.DimensionExclusions {
			p.disc.exclude[e] = struct{}{}
		}
		for _, d := range ds.Dimensions {
			p.disc.exclude[d.Name] = struct{}{}
			switch strings.ToLower(d.Type) {
			case "long":
				p.typed = append(p.typed, typedColumn{name: d.Name, typ: numLong, what: "dimension"})
			case "float":
				p.typed = append(p.typed, typedColumn{name: d.Name, typ: numFloat, what: "dimension"})
			case "double":
				p.typed = append(p.typed, typedColumn{name: d.Name, typ: numDouble, what: "dimension"})
			}
		}
		p.schemaless = (len(ds.Dimensions) == 0 && len(ds.SpatialDimensions) == 0) || ds.IncludeAllDimensions || ds.UseSchemaDiscovery
	} else {
		p.schemaless = true
	}
	var addMetric func(a *spec.Aggregator)
	addMetric = func(a *spec.Aggregator) {
		if a.Name != "" {
			p.disc.exclude[a.Name] = struct{}{}
		}
		if a.FieldName != "" {
			p.disc.exclude[a.FieldName] = struct{}{}
			if tc, ok := metricInputType(a); ok {
				tc.name = a.FieldName
				p.typed = append(p.typed, tc)
			}
		}
		if a.Expression != "" {
			// Druid excludes an aggregator's required columns; for an expression input those
			// are the identifiers it reads. A bad expression is the spec validator's to report.
			if e, err := expr.Parse(a.Expression); err == nil {
				for _, id := range e.Identifiers() {
					p.disc.exclude[id] = struct{}{}
				}
			}
		}
		for _, fld := range a.Fields {
			p.disc.exclude[fld] = struct{}{}
		}
		if a.Aggregator != nil {
			addMetric(a.Aggregator)
		}
	}
	for i := range c.Metrics {
		addMetric(&c.Metrics[i])
	}
	p.row.disc = &p.disc
	p.each = p.onRow
	return p, nil
}

// ValidateInputFormat reports whether f can be compiled; spec validation calls it so a bad
// format is refused when the supervisor is submitted.
func ValidateInputFormat(f *spec.InputFormat) error {
	_, err := NewParser(Config{Format: f})
	return err
}

// Schemaless reports whether dimensions are discovered from the rows (no explicit dimensions,
// includeAllDimensions, or useSchemaDiscovery); Row.EachDiscovered lists them.
func (p *Parser) Schemaless() bool { return p.schemaless }

// TimestampColumn returns the column timestampSpec reads.
func (p *Parser) TimestampColumn() string { return p.ts.column }

// Parse parses one record and calls emit for each good row; the row is reused after emit
// returns. It returns the first error from emit unchanged, else a *ParseError or ParseErrors
// for the rows (or the whole record) that were unparseable, else nil. An error that is neither
// comes from the source and is not about the record (see source): for one where
// schemaregistry.IsUnavailable holds, no row was emitted and the record is to be parsed again
// later, neither counted nor skipped. A record with an empty or
// null value yields no rows and no error (for json/csv/tsv); the caller counts it as
// thrownAway.
func (p *Parser) Parse(rec Record, emit func(*Row) error) error {
	p.rec, p.emit = rec, emit
	p.errs = p.errs[:0]
	defer func() { p.rec, p.emit = Record{}, nil }()
	if p.kafka != nil {
		if err := p.kafka.prepare(&p.rec); err != nil {
			return err
		}
		if len(rec.Value) == 0 {
			// Tombstone: one row of the Kafka columns only (KafkaInputReader).
			p.row.reset()
			if err := p.onRow(nil); err != nil {
				return err
			}
			return p.result()
		}
	}
	if err := p.src.read(rec.Value, &p.row, p.each); err != nil {
		return err
	}
	return p.result()
}

func (p *Parser) result() error {
	switch len(p.errs) {
	case 0:
		return nil
	case 1:
		return p.errs[0]
	}
	return ParseErrors(append([]*ParseError(nil), p.errs...))
}

// onRow finishes a row filled by the source: Kafka columns, timestamp, emit.
func (p *Parser) onRow(perr *ParseError) error {
	if perr != nil {
		p.errs = append(p.errs, perr)
		return nil
	}
	r := &p.row
	if p.kafka != nil {
		p.kafka.add(&p.rec, r)
	}
	if err := p.ts.apply(r); err != nil {
		p.errs = append(p.errs, newParseError(r.input, err.Error()))
		return nil
	}
	return p.emit(r)
}
