package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/specs/*.echo.json")

// TestDecodeShapes decodes every accepted shape, compares the echo with a golden file, and
// checks that the echo decodes back to the same canonical spec (a client that posts Druid's echo
// back must get the same supervisor).
func TestDecodeShapes(t *testing.T) {
	files, _ := filepath.Glob("testdata/specs/*.json")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".echo.json") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Decode(raw)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			echo := indent(t, s.Echo())
			golden := strings.TrimSuffix(f, ".json") + ".echo.json"
			if *update {
				if err := os.WriteFile(golden, echo, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if !bytes.Equal(echo, want) {
				t.Errorf("echo differs from %s (run go test ./engine/spec -update to accept):\n%s", golden, echo)
			}
			again, err := Decode(s.Echo())
			if err != nil {
				t.Fatalf("decode echo: %v", err)
			}
			if got := indent(t, again.Echo()); !bytes.Equal(got, echo) {
				t.Errorf("echo is not stable under decode:\n%s", got)
			}
			raw2, err := Decode(s.Raw())
			if err != nil {
				t.Fatalf("decode raw: %v", err)
			}
			if got := indent(t, raw2.Echo()); !bytes.Equal(got, echo) {
				t.Errorf("raw form does not round-trip")
			}
		})
	}
	if n < 4 {
		t.Fatalf("only %d spec files found", n)
	}
}

func indent(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func TestDecodeCanonical(t *testing.T) {
	raw, _ := os.ReadFile("testdata/specs/legacy_parser.json")
	s, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID() != "metrics-kafka" || s.IOConfig.InputFormat.Type != "json" || s.DataSchema.TimestampSpec.Column != "timestamp" {
		t.Errorf("legacy parser not translated: id=%s format=%+v ts=%+v", s.ID(), s.IOConfig.InputFormat, s.DataSchema.TimestampSpec)
	}
	if got := s.DataSchema.GranularitySpec.SegmentGranularity.Name; got != "HOUR" {
		t.Errorf("segment granularity %q", got)
	}
	if d, _ := s.IOConfig.TaskDuration.Duration(); d != time.Hour {
		t.Errorf("taskDuration %v", d)
	}
	raw, _ = os.ReadFile("testdata/specs/autoscaler.json")
	s, err = Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if s.IOConfig.TaskCount != 2 {
		t.Errorf("autoscaler should start at taskCountMin, taskCount=%d", s.IOConfig.TaskCount)
	}
	if a := s.IOConfig.AutoScalerConfig; a.ScaleOutStep != 2 || a.LagCollectionRangeMillis != 600000 {
		t.Errorf("autoscaler defaults not filled: %+v", a)
	}
	if s.TuningConfig.IndexSpec.DimensionCompression != "lz4" || s.TuningConfig.EffectiveMaxTotalRows() != 1000 {
		t.Errorf("tuning: %+v", s.TuningConfig)
	}
}

func TestDecodeErrors(t *testing.T) {
	base := func(mut string) string {
		// mut is spliced into the ioConfig of a valid spec.
		return `{"type":"kafka","dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts"},` +
			`"metricsSpec":[{"type":"count","name":"cnt"}]},` +
			`"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"localhost:9092"}` + mut + `}}`
	}
	ds := func(schema string) string {
		return `{"type":"kafka","dataSchema":` + schema + `,"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`
	}
	tests := []struct {
		name, spec, want string
	}{
		{"malformed", `{"type":"kafka",`, "malformed JSON"},
		{"not an object", `[1]`, "must be a JSON object"},
		{"missing type", `{"dataSchema":{}}`, "type: missing"},
		{"unknown type", `{"type":"kinesis"}`, `type: unknown supervisor type "kinesis"`},
		{"unknown top-level key", `{"type":"kafka","dataschema":{}}`, "dataschema: unknown field (did you mean dataSchema?)"},
		{"missing dataSchema", `{"type":"kafka","ioConfig":{}}`, "dataSchema: missing"},
		{"missing dataSource", ds(`{"timestampSpec":{"column":"ts"}}`), "dataSchema.dataSource: missing"},
		{"missing topic", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`, "ioConfig.topic: missing"},
		{"missing bootstrap", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{}}}`, "ioConfig.consumerProperties.bootstrap.servers: missing"},
		{"missing consumerProperties", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"}}}`, "ioConfig.consumerProperties: missing"},
		{"zero taskCount", base(`,"taskCount":0`), "ioConfig.taskCount: must be ≥ 1, got 0"},
		{"negative replicas", base(`,"replicas":-1`), "ioConfig.replicas: must be ≥ 1"},
		{"string taskCount", base(`,"taskCount":"two"`), "ioConfig.taskCount: must be an integer"},
		{"bad period", base(`,"taskDuration":"1 hour"`), `ioConfig.taskDuration: "1 hour" is not an ISO-8601 period`},
		{"month duration", base(`,"taskDuration":"P1M"`), "ioConfig.taskDuration: P1M has years or months"},
		{"zero duration", base(`,"taskDuration":"PT0S"`), "ioConfig.taskDuration: must be longer than zero"},
		{"both late rejections", base(`,"lateMessageRejectionPeriod":"PT1H","lateMessageRejectionStartDateTime":"2016-01-01T11:00Z"`), "ioConfig.lateMessageRejectionStartDateTime: cannot be combined with lateMessageRejectionPeriod"},
		{"bad datetime", base(`,"lateMessageRejectionStartDateTime":"yesterday"`), "ioConfig.lateMessageRejectionStartDateTime"},
		{"autoscaler min>max", base(`,"autoScalerConfig":{"enableTaskAutoScaler":true,"taskCountMin":5,"taskCountMax":2}`), "ioConfig.autoScalerConfig.taskCountMin: must be ≤ taskCountMax (2), got 5"},
		{"autoscaler unknown key", base(`,"autoScalerConfig":{"enableTaskAutoScaler":true,"taskCountMin":1,"taskCountMax":2,"scaleOutStepp":1}`), "ioConfig.autoScalerConfig.scaleOutStepp: unknown field (did you mean scaleOutStep?)"},
		{"typo suggestion", base(`,"taskCuont":2`), "ioConfig.taskCuont: unknown field (did you mean taskCount?)"},
		{"no suggestion when far", base(`,"zzzzzz":2`), "ioConfig.zzzzzz: unknown field"},
		{"unknown ioConfig key", base(`,"taskcount":2`), "ioConfig.taskcount: unknown field (did you mean taskCount?)"},
		{"unknown input format", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"xml"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`, `ioConfig.inputFormat.type: unknown input format "xml"`},
		{"missing input format", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"}}}`, "ioConfig.inputFormat: missing"},
		{"csv without columns", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"csv"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`, "ioConfig.inputFormat.columns: missing"},
		{"kafka without valueFormat", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"kafka"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`, "ioConfig.inputFormat.valueFormat: missing"},
		{"unknown granularity", ds(`{"dataSource":"d","granularitySpec":{"segmentGranularity":"fortnight"}}`), `dataSchema.granularitySpec.segmentGranularity: unknown granularity "fortnight"`},
		{"missingValue past 9999", ds(`{"dataSource":"d","timestampSpec":{"column":"ts","missingValue":"9999-12-31T23:00:00-05:00"}}`), "dataSchema.timestampSpec.missingValue: 10000-01-01T04:00:00.000Z is outside the supported range 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"},
		{"segment granularity all", ds(`{"dataSource":"d","granularitySpec":{"segmentGranularity":"all"}}`), "dataSchema.granularitySpec.segmentGranularity: ALL is not supported for streaming ingestion"},
		{"duration granularity overflows", ds(`{"dataSource":"d","granularitySpec":{"segmentGranularity":{"type":"duration","duration":288230376151711744}}}`), "dataSchema.granularitySpec.segmentGranularity: duration: must be at most"},
		{"query coarser than segment", ds(`{"dataSource":"d","granularitySpec":{"segmentGranularity":"hour","queryGranularity":"day"}}`), "dataSchema.granularitySpec.queryGranularity: DAY is coarser than segmentGranularity HOUR"},
		{"unknown aggregator", ds(`{"dataSource":"d","metricsSpec":[{"type":"count","name":"c"},{"type":"fooSum","name":"x","fieldName":"x"}]}`), `dataSchema.metricsSpec[1].type: unknown aggregator "fooSum"`},
		{"aggregator missing fieldName", ds(`{"dataSource":"d","metricsSpec":[{"type":"doubleSum","name":"x"}]}`), "dataSchema.metricsSpec[0].fieldName: missing (required by doubleSum)"},
		{"duplicate columns", ds(`{"dataSource":"d","dimensionsSpec":{"dimensions":["x"]},"metricsSpec":[{"type":"count","name":"x"}]}`), `dataSchema.metricsSpec[0].name: duplicate column name "x" (also dataSchema.dimensionsSpec.dimensions[0].name)`},
		{"duplicate dimensions", ds(`{"dataSource":"d","dimensionsSpec":{"dimensions":["x",{"name":"x","type":"long"}]}}`), "dataSchema.dimensionsSpec.dimensions[1].name: duplicate column name"},
		{"unknown dimension type", ds(`{"dataSource":"d","dimensionsSpec":{"dimensions":[{"name":"x","type":"int"}]}}`), `dataSchema.dimensionsSpec.dimensions[0].type: unknown dimension type "int"`},
		{"bad filter", ds(`{"dataSource":"d","transformSpec":{"filter":{"type":"and","fields":[{"type":"regex","dimension":"a","pattern":"(?<=x)"}]}}}`), "dataSchema.transformSpec.filter.fields[0].pattern: not a valid (RE2) regular expression"},
		{"unknown filter", ds(`{"dataSource":"d","transformSpec":{"filter":{"type":"spatial"}}}`), `dataSchema.transformSpec.filter.type: unknown filter type "spatial"`},
		{"concise bitmaps", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}},"tuningConfig":{"type":"kafka","indexSpec":{"bitmap":{"type":"concise"}}}}`, "tuningConfig.indexSpec.bitmap.type: concise bitmaps are not supported"},
		{"zero maxRowsInMemory", `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}},"tuningConfig":{"type":"kafka","maxRowsInMemory":0}}`, "tuningConfig.maxRowsInMemory: must be ≥ 1, got 0"},
		{"stream contradicts topic", base(`,"stream":"other"`), `ioConfig.stream: "other" contradicts topic "t"`},
		{"parser and inputFormat", `{"type":"kafka","dataSchema":{"dataSource":"d","parser":{"type":"string","parseSpec":{"format":"json"}}},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`, "ioConfig.inputFormat: cannot be combined with the legacy dataSchema.parser"},
		{"legacy unknown format", `{"type":"kafka","dataSchema":{"dataSource":"d","parser":{"type":"string","parseSpec":{"format":"avro"}}},"ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"}}}`, `dataSchema.parser.parseSpec.format: unknown input format "avro"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.spec))
			if err == nil {
				t.Fatalf("accepted; want error containing %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPeriod(t *testing.T) {
	tests := []struct {
		in, dur string
		d       time.Duration
	}{
		{"PT1H", "PT3600S", time.Hour},
		{"PT30M", "PT1800S", 30 * time.Minute},
		{"PT5S", "PT5S", 5 * time.Second},
		{"P1D", "PT86400S", 24 * time.Hour},
		{"pt0.5s", "PT0.5S", 500 * time.Millisecond},
		{"P1W", "PT604800S", 7 * 24 * time.Hour},
		{"P2147483647D", "PT185542587100800S", 0},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got := p.DurationString(); got != tt.dur {
			t.Errorf("%s: DurationString %s, want %s", tt.in, got, tt.dur)
		}
		if d, _ := p.Duration(); tt.d != 0 && d != tt.d {
			t.Errorf("%s: Duration %v want %v", tt.in, d, tt.d)
		}
	}
	for _, bad := range []string{"", "P", "PT", "1H", "PTH", "P1H", "PT1D", "P1.5D"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGranularityTruncate(t *testing.T) {
	at := func(s string) int64 { tm, _ := time.Parse(time.RFC3339, s); return tm.UnixMilli() }
	tests := []struct {
		gran, in, start, end string
	}{
		{`"HOUR"`, "2024-03-05T10:42:13Z", "2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z"},
		{`"fifteen_minute"`, "2024-03-05T10:42:13Z", "2024-03-05T10:30:00Z", "2024-03-05T10:45:00Z"},
		{`"day"`, "2024-03-05T10:42:13Z", "2024-03-05T00:00:00Z", "2024-03-06T00:00:00Z"},
		{`"week"`, "2024-03-07T10:42:13Z", "2024-03-04T00:00:00Z", "2024-03-11T00:00:00Z"},
		{`"month"`, "2024-03-07T10:42:13Z", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"},
		{`"quarter"`, "2024-05-07T10:42:13Z", "2024-04-01T00:00:00Z", "2024-07-01T00:00:00Z"},
		{`"year"`, "2024-05-07T10:42:13Z", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"},
		{`{"type":"period","period":"PT1H","timeZone":"America/New_York"}`, "2024-03-05T10:42:13Z", "2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z"},
		{`{"type":"period","period":"P1D","timeZone":"America/New_York"}`, "2024-03-05T10:42:13Z", "2024-03-05T05:00:00Z", "2024-03-06T05:00:00Z"},
		{`{"type":"duration","duration":7200000}`, "2024-03-05T11:42:13Z", "2024-03-05T10:00:00Z", "2024-03-05T12:00:00Z"},
	}
	for _, tt := range tests {
		var g Granularity
		if err := json.Unmarshal([]byte(tt.gran), &g); err != nil {
			t.Fatalf("%s: %v", tt.gran, err)
		}
		s, e := g.Bucket(at(tt.in))
		if s != at(tt.start) || e != at(tt.end) {
			t.Errorf("%s %s: bucket [%s, %s), want [%s, %s)", tt.gran, tt.in,
				time.UnixMilli(s).UTC().Format(time.RFC3339), time.UnixMilli(e).UTC().Format(time.RFC3339), tt.start, tt.end)
		}
	}
}

func TestResolveConsumerProperties(t *testing.T) {
	env := map[string]string{"JAAS": "secret-jaas", "PW": "pw1"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	props := map[string]any{
		"bootstrap.servers":      "b:9092",
		"max.poll.records":       float64(500),
		"ssl.key.password":       map[string]any{"type": "environment", "variable": "PW"},
		DynamicConfigProviderKey: map[string]any{"type": "environment", "variables": map[string]any{"sasl.jaas.config": "JAAS"}},
	}
	got, err := ResolveConsumerProperties(props, getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bootstrap.servers": "b:9092", "max.poll.records": "500", "ssl.key.password": "pw1", "sasl.jaas.config": "secret-jaas"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got[DynamicConfigProviderKey]; ok {
		t.Error("provider key leaked into client properties")
	}
	delete(env, "JAAS")
	if _, err := ResolveConsumerProperties(props, getenv); err == nil || !strings.Contains(err.Error(), "JAAS") {
		t.Errorf("missing env var: %v", err)
	}
	// The echo keeps the reference, never the value.
	raw, _ := os.ReadFile("testdata/specs/autoscaler.json")
	s, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if echo := string(s.Echo()); !strings.Contains(echo, "KAFKA_JAAS_CONFIG") {
		t.Errorf("echo lost the provider reference: %s", echo)
	}
}

// TestGranularityWrappedDuration: a duration whose nanoseconds wrap to zero in decoding gives
// an empty bucket (which the task counts as an unparseable row), never a division by zero.
func TestGranularityWrappedDuration(t *testing.T) {
	var g Granularity
	if err := json.Unmarshal([]byte(`{"type":"duration","duration":288230376151711744}`), &g); err != nil {
		return // refusing it at decode time is the better fix, and fine here
	}
	ms := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC).UnixMilli()
	if s, e := g.Bucket(ms); e > s && s <= ms && ms < e {
		t.Errorf("bucket [%d, %d) of a wrapped duration looks valid", s, e)
	}
}

func TestSuggestField(t *testing.T) {
	known := []string{"taskCount", "taskDuration", "replicas", "topic", "topicPattern"}
	for _, tt := range []struct{ key, want string }{
		{"taskCuont", "taskCount"},
		{"TASKCOUNT", "taskCount"},
		{"replica", "replicas"},
		{"topik", "topic"},
		{"zzzzzz", ""},
		{"taskDurationMillis", ""},
	} {
		if got := suggest(tt.key, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestLegacyFieldsAcceptedAndEchoed(t *testing.T) {
	const raw = `{"type":"kafka","dataSchema":{"dataSource":"d"},
	  "ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"},
	    "skipOffsetGaps":true,"serverPriorityToReplicas":{"1":2,"0":1}},
	  "tuningConfig":{"type":"kafka","buildV9Directly":true,"basePersistDirectory":"/tmp/x","maxColumnsToMerge":-1,
	    "partitionsSpec":{"type":"dynamic","maxRowsPerSegment":1e6}}}`
	s, err := Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	wantWarn := []string{
		"ioConfig.serverPriorityToReplicas: accepted for Druid compatibility, no effect",
		"ioConfig.skipOffsetGaps: accepted for Druid compatibility, no effect",
		"tuningConfig.basePersistDirectory: accepted",
		"tuningConfig.buildV9Directly: accepted",
		"tuningConfig.maxColumnsToMerge: accepted",
		"tuningConfig.partitionsSpec: accepted",
	}
	if len(s.Warnings) != len(wantWarn) {
		t.Fatalf("warnings %q, want %d", s.Warnings, len(wantWarn))
	}
	for i, w := range wantWarn {
		if !strings.HasPrefix(s.Warnings[i], w) {
			t.Errorf("warning %d = %q, want prefix %q", i, s.Warnings[i], w)
		}
	}
	var echo struct {
		IOConfig     map[string]json.RawMessage `json:"ioConfig"`
		TuningConfig map[string]json.RawMessage `json:"tuningConfig"`
		Spec         struct {
			TuningConfig map[string]json.RawMessage `json:"tuningConfig"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(s.Echo(), &echo); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"buildV9Directly": "true", "basePersistDirectory": `"/tmp/x"`, "maxColumnsToMerge": "-1", "partitionsSpec": `{"type":"dynamic","maxRowsPerSegment":1e6}`} {
		if got := string(echo.TuningConfig[k]); got != want {
			t.Errorf("echo tuningConfig.%s = %s, want %s", k, got, want)
		}
		if got := string(echo.Spec.TuningConfig[k]); got != want {
			t.Errorf("echo spec.tuningConfig.%s = %s, want %s", k, got, want)
		}
	}
	for k, want := range map[string]string{"skipOffsetGaps": "true", "serverPriorityToReplicas": `{"1":2,"0":1}`} {
		if got := string(echo.IOConfig[k]); got != want {
			t.Errorf("echo ioConfig.%s = %s, want %s", k, got, want)
		}
	}
	again, err := Decode(s.Raw())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Echo(), s.Echo()) {
		t.Errorf("stored form does not round-trip:\n%s\n%s", again.Echo(), s.Echo())
	}
	plain, err := Decode([]byte(`{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Warnings != nil || bytes.Contains(plain.Echo(), []byte("buildV9Directly")) {
		t.Errorf("a spec without legacy fields warns %q or echoes one", plain.Warnings)
	}
}

func TestUnknownFieldsModes(t *testing.T) {
	const raw = `{"type":"kafka","dataSchema":{"dataSource":"d","metricsSpec":[{"type":"count","name":"c","Name":"x","fieldNam":"y"}]},
	  "ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"},"taskCuont":2,
	    "autoScalerConfig":{"enableTaskAutoScaler":true,"taskCountMin":1,"taskCountMax":2,"scaleOutStepp":1}},
	  "tuningConfig":{"type":"kafka","buildV9Directly":false}}`
	for _, tt := range []struct {
		mode    string
		wantErr string
		warns   []string
	}{
		{"reject", "dataSchema.metricsSpec[0].Name: unknown field (did you mean name?)", nil},
		{"warn", "", []string{
			"dataSchema.metricsSpec[0].Name: unknown field (did you mean name?); ignored",
			"dataSchema.metricsSpec[0].fieldNam: unknown field (did you mean fieldName?); ignored",
			"ioConfig.autoScalerConfig.scaleOutStepp: unknown field (did you mean scaleOutStep?); ignored",
			"ioConfig.taskCuont: unknown field (did you mean taskCount?); ignored",
			"tuningConfig.buildV9Directly: accepted for Druid compatibility",
		}},
		{"ignore", "", []string{"tuningConfig.buildV9Directly: accepted for Druid compatibility"}},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			mode, err := ParseUnknownFields(tt.mode)
			if err != nil || mode.String() != tt.mode {
				t.Fatalf("ParseUnknownFields(%q) = %v, %v", tt.mode, mode, err)
			}
			s, err := DecodeWith([]byte(raw), DecodeOptions{UnknownFields: mode})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Warnings) != len(tt.warns) {
				t.Fatalf("warnings %q, want %q", s.Warnings, tt.warns)
			}
			for i, w := range tt.warns {
				if !strings.HasPrefix(s.Warnings[i], w) {
					t.Errorf("warning %d = %q, want prefix %q", i, s.Warnings[i], w)
				}
			}
			if bytes.Contains(s.Echo(), []byte("taskCuont")) || bytes.Contains(s.Echo(), []byte("scaleOutStepp")) {
				t.Errorf("unknown fields are echoed: %s", s.Echo())
			}
			// encoding/json would match "Name" to name case-insensitively: dropped keys must not.
			if s.DataSchema.MetricsSpec[0].Name != "c" {
				t.Errorf("dropped key Name set the metric name to %q", s.DataSchema.MetricsSpec[0].Name)
			}
			if s.IOConfig.TaskCount != 1 || s.IOConfig.AutoScalerConfig.ScaleOutStep != 2 {
				t.Errorf("unknown fields changed the spec: taskCount %d scaleOutStep %d", s.IOConfig.TaskCount, s.IOConfig.AutoScalerConfig.ScaleOutStep)
			}
			if _, err := Decode(s.Echo()); err != nil {
				t.Errorf("echo refused under reject: %v", err)
			}
		})
	}
	if _, err := ParseUnknownFields("loud"); err == nil {
		t.Error("ParseUnknownFields accepted loud")
	}
}
