package specjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// userSpec is what a user writes: wrapper shape, string dimensions, PT1H,
// lower-case granularities.
const userSpec = `{
  "type": "kafka",
  "spec": {
    "dataSchema": {
      "dataSource": "social_media",
      "timestampSpec": {"column": "ts", "format": "iso"},
      "dimensionsSpec": {"dimensions": ["user", {"type": "long", "name": "likes"}]},
      "granularitySpec": {"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false}
    },
    "ioConfig": {
      "topic": "social_media",
      "inputFormat": {"type": "json"},
      "consumerProperties": {"bootstrap.servers": "localhost:9092"},
      "taskCount": 1,
      "taskDuration": "PT1H",
      "useEarliestOffset": true
    },
    "tuningConfig": {"type": "kafka", "intermediatePersistPeriod": "PT10M"}
  }
}`

// druidEcho is GET /supervisor/social_media for userSpec, shaped like Druid
// 27-30's echo (reference §1.3): defaults, nulls, aliases, duplicated
// sections, expanded dimensions, PT3600S, upper-case HOUR.
const druidEcho = `{
  "type": "kafka",
  "spec": {
    "dataSchema": {
      "dataSource": "social_media",
      "timestampSpec": {"column": "ts", "format": "iso", "missingValue": null},
      "dimensionsSpec": {
        "dimensions": [
          {"type": "string", "name": "user", "multiValueHandling": "SORTED_ARRAY", "createBitmapIndex": true},
          {"type": "long", "name": "likes", "multiValueHandling": "SORTED_ARRAY", "createBitmapIndex": false}
        ],
        "dimensionExclusions": ["__time", "ts"],
        "includeAllDimensions": false, "useSchemaDiscovery": false
      },
      "metricsSpec": [],
      "granularitySpec": {"type": "uniform", "segmentGranularity": "HOUR", "queryGranularity": {"type": "none"}, "rollup": false, "intervals": []},
      "transformSpec": {"filter": null, "transforms": []}
    },
    "ioConfig": {
      "topic": "social_media",
      "inputFormat": {"type": "json", "keepNullColumns": false, "assumeNewlineDelimited": false, "useJsonNodeReader": false},
      "replicas": 1, "taskCount": 1, "taskDuration": "PT3600S",
      "consumerProperties": {"bootstrap.servers": "localhost:9092", "sasl.jaas.config": "secret stuff"},
      "autoScalerConfig": null, "pollTimeout": 100, "startDelay": "PT5S", "period": "PT30S",
      "useEarliestOffset": true, "completionTimeout": "PT1800S",
      "lateMessageRejectionPeriod": null, "earlyMessageRejectionPeriod": null,
      "lateMessageRejectionStartDateTime": null, "configOverrides": null, "idleConfig": null,
      "stream": "social_media", "useEarliestSequenceNumber": true
    },
    "tuningConfig": {"type": "kafka", "maxRowsInMemory": 150000, "maxBytesInMemory": 0,
      "maxRowsPerSegment": 5000000, "maxTotalRows": null, "intermediatePersistPeriod": "PT10M",
      "intermediateHandoffPeriod": "P2147483647D", "httpTimeout": "PT10S"}
  },
  "dataSchema": "SAME",
  "ioConfig": "SAME",
  "tuningConfig": "SAME",
  "context": null,
  "suspended": false
}`

// echo returns druidEcho with the top-level sections duplicated from "spec",
// optionally edited by f.
func echo(t *testing.T, f func(top map[string]any)) string {
	t.Helper()
	v, err := Parse(druidEcho)
	if err != nil {
		t.Fatal(err)
	}
	top := v.(map[string]any)
	inner := top["spec"].(map[string]any)
	if f != nil {
		f(inner)
	}
	for _, s := range sections {
		b, _ := json.Marshal(inner[s])
		c, _ := Parse(string(b))
		top[s] = c
	}
	out, err := Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustNormalize(t *testing.T, raw string) Doc {
	t.Helper()
	d, err := Normalize(raw)
	if err != nil {
		t.Fatalf("normalize %s: %v", raw, err)
	}
	return d
}

func TestNormalizeShapes(t *testing.T) {
	wrapped := `{"type":"kafka","spec":{"dataSchema":{"dataSource":"ds"},"ioConfig":{"stream":"t","useEarliestSequenceNumber":true},"tuningConfig":{"type":"kafka"}},"context":{"k":1}}`
	flat := `{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t","useEarliestOffset":true},"tuningConfig":{"type":"kafka"},"context":{"k":1}}`
	both := `{"type":"kafka","spec":{"dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t","stream":"t","useEarliestOffset":true,"useEarliestSequenceNumber":true},"tuningConfig":{"type":"kafka"}},
	  "dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t","stream":"t","useEarliestOffset":true,"useEarliestSequenceNumber":true},"tuningConfig":{"type":"kafka"},"context":{"k":1},"suspended":true,"id":null}`
	want := mustNormalize(t, flat)
	for name, raw := range map[string]string{"wrapped": wrapped, "both": both} {
		got := mustNormalize(t, raw)
		if !Equal(want, got) {
			a, _ := Marshal(want)
			b, _ := Marshal(got)
			t.Errorf("%s: normalised\n%s\nwant\n%s", name, b, a)
		}
	}
	if _, err := Normalize(`[1]`); err == nil || !strings.Contains(err.Error(), "an array") {
		t.Errorf("array spec: err = %v", err)
	}
	if _, err := Normalize(`{"a":1} {"b":2}`); err == nil {
		t.Error("trailing data accepted")
	}
}

func TestContainsDruidEcho(t *testing.T) {
	user := mustNormalize(t, userSpec)
	for _, tc := range []struct {
		name string
		edit func(spec map[string]any)
		want bool
	}{
		{name: "echo of the same spec", want: true},
		{name: "taskCount changed", want: false, edit: func(s map[string]any) {
			s["ioConfig"].(map[string]any)["taskCount"] = json.Number("4")
		}},
		{name: "undeclared default changed", want: true, edit: func(s map[string]any) {
			s["ioConfig"].(map[string]any)["replicas"] = json.Number("2")
		}},
		{name: "duration same length other spelling", want: true, edit: func(s map[string]any) {
			s["ioConfig"].(map[string]any)["taskDuration"] = "PT60M"
		}},
		{name: "duration changed", want: false, edit: func(s map[string]any) {
			s["ioConfig"].(map[string]any)["taskDuration"] = "PT7200S"
		}},
		{name: "dimension order changed", want: false, edit: func(s map[string]any) {
			d := s["dataSchema"].(map[string]any)["dimensionsSpec"].(map[string]any)
			dims := d["dimensions"].([]any)
			d["dimensions"] = []any{dims[1], dims[0]}
		}},
		{name: "dimension type changed", want: false, edit: func(s map[string]any) {
			d := s["dataSchema"].(map[string]any)["dimensionsSpec"].(map[string]any)
			d["dimensions"].([]any)[0].(map[string]any)["type"] = "long"
		}},
		{name: "segment granularity changed", want: false, edit: func(s map[string]any) {
			s["dataSchema"].(map[string]any)["granularitySpec"].(map[string]any)["segmentGranularity"] = "DAY"
		}},
		{name: "declared key missing on server", want: false, edit: func(s map[string]any) {
			delete(s["ioConfig"].(map[string]any), "useEarliestOffset")
			delete(s["ioConfig"].(map[string]any), "useEarliestSequenceNumber")
		}},
		{name: "only the alias echoed", want: true, edit: func(s map[string]any) {
			delete(s["ioConfig"].(map[string]any), "topic")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server := mustNormalize(t, echo(t, tc.edit))
			if got := Contains(user, server); got != tc.want {
				t.Fatalf("Contains = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEquivalences(t *testing.T) {
	for _, tc := range []struct {
		name      string
		user, srv string
		contains  bool
		equal     bool
	}{
		{"PT1H vs PT3600S", `{"d":"PT1H"}`, `{"d":"PT3600S"}`, true, true},
		{"PT60M vs PT1H", `{"d":"PT60M"}`, `{"d":"PT1H"}`, true, true},
		{"P1D vs PT24H", `{"d":"P1D"}`, `{"d":"PT24H"}`, true, true},
		{"fractional seconds", `{"d":"PT0.5S"}`, `{"d":"PT0.500S"}`, true, true},
		{"different durations", `{"d":"PT1H"}`, `{"d":"PT1M"}`, false, false},
		{"months not folded", `{"d":"P1M"}`, `{"d":"PT720H"}`, false, false},
		{"plain strings", `{"d":"P"}`, `{"d":"PT0S"}`, false, false},
		{"granularity case", `{"segmentGranularity":"hour"}`, `{"segmentGranularity":"HOUR"}`, true, true},
		{"query granularity object", `{"queryGranularity":"none"}`, `{"queryGranularity":{"type":"none"}}`, true, true},
		{"query granularity upper", `{"queryGranularity":"NONE"}`, `{"queryGranularity":{"type":"none"}}`, true, true},
		{"period granularity", `{"segmentGranularity":{"type":"period","period":"PT1H"}}`, `{"segmentGranularity":{"type":"period","period":"PT3600S","timeZone":"UTC"}}`, true, false},
		{"string dimension", `{"dimensions":["x"]}`, `{"dimensions":[{"type":"string","name":"x","multiValueHandling":"SORTED_ARRAY","createBitmapIndex":true}]}`, true, true},
		{"string dimension without defaults", `{"dimensions":["x"]}`, `{"dimensions":[{"type":"string","name":"x"}]}`, true, true},
		{"dimension name differs", `{"dimensions":["x"]}`, `{"dimensions":[{"type":"string","name":"y"}]}`, false, false},
		{"long dimension", `{"dimensions":[{"type":"long","name":"n"}]}`, `{"dimensions":[{"type":"long","name":"n","createBitmapIndex":false,"multiValueHandling":"SORTED_ARRAY"}]}`, true, false},
		{"exclusions are a set", `{"dimensionExclusions":["a"]}`, `{"dimensionExclusions":["__time","a"]}`, true, false},
		{"exclusions missing", `{"dimensionExclusions":["a","b"]}`, `{"dimensionExclusions":["__time","a"]}`, false, false},
		{"numbers", `{"n":1}`, `{"n":1.0}`, true, true},
		{"big numbers", `{"n":9223372036854775807}`, `{"n":9223372036854775806}`, false, false},
		{"number vs string", `{"n":1}`, `{"n":"1"}`, false, false},
		{"nulls are absent", `{"a":null,"b":1}`, `{"b":1,"c":null}`, true, true},
		{"extra key", `{"b":1}`, `{"b":1,"c":2}`, true, false},
		{"arrays ordered", `{"m":[1,2]}`, `{"m":[2,1]}`, false, false},
		{"array length", `{"m":[1]}`, `{"m":[1,2]}`, false, false},
		{"bool", `{"b":true}`, `{"b":false}`, false, false},
		{"type case sensitive", `{"type":"kafka"}`, `{"type":"KAFKA"}`, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, s := mustNormalize(t, tc.user), mustNormalize(t, tc.srv)
			if got := Contains(u, s); got != tc.contains {
				t.Errorf("Contains = %v, want %v", got, tc.contains)
			}
			if got := Equal(u, s); got != tc.equal {
				t.Errorf("Equal = %v, want %v", got, tc.equal)
			}
		})
	}
}

func TestProject(t *testing.T) {
	user := mustNormalize(t, userSpec)
	server := mustNormalize(t, echo(t, func(s map[string]any) {
		s["ioConfig"].(map[string]any)["taskCount"] = json.Number("4")
	}))
	got := Project(user, server).(map[string]any)
	want := mustNormalize(t, userSpec)
	want["ioConfig"].(map[string]any)["taskCount"] = json.Number("4")
	if !Equal(got, want) {
		a, _ := Marshal(got)
		t.Fatalf("projection = %s", a)
	}
	// Subtrees that did not drift keep the user's spelling.
	io := got["ioConfig"].(map[string]any)
	if io["taskDuration"] != "PT1H" {
		t.Errorf("taskDuration = %v, want the user's PT1H", io["taskDuration"])
	}
	if _, ok := io["replicas"]; ok {
		t.Error("undeclared key leaked into the projection")
	}
	dims := got["dataSchema"].(map[string]any)["dimensionsSpec"].(map[string]any)["dimensions"].([]any)
	if dims[0] != "user" {
		t.Errorf("dimension = %v, want the shorthand", dims[0])
	}
	// The projection differs from the user's spec only by taskCount.
	if Contains(user, got) {
		t.Error("projection should not contain the user's taskCount")
	}

	gone := mustNormalize(t, echo(t, func(s map[string]any) {
		delete(s["ioConfig"].(map[string]any), "taskDuration")
	}))
	p := Project(user, gone).(map[string]any)
	if _, ok := p["ioConfig"].(map[string]any)["taskDuration"]; ok {
		t.Error("key missing on the server kept in the projection")
	}
	if Project(user, mustNormalize(t, echo(t, nil))).(map[string]any)["ioConfig"].(map[string]any)["taskDuration"] != "PT1H" {
		t.Error("equal spec not kept as written")
	}
}

func TestPrepareAndRedact(t *testing.T) {
	for name, raw := range map[string]string{
		"wrapped": userSpec,
		"flat":    `{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			body, err := Prepare(raw, map[string]string{"sasl.jaas.config": "pw", "bootstrap.servers": "b:9092"}, true)
			if err != nil {
				t.Fatal(err)
			}
			if !Suspended(string(body)) {
				t.Error("suspended flag not set")
			}
			d := mustNormalize(t, string(body))
			cp := ConsumerProperties(d)
			if cp["sasl.jaas.config"] != "pw" || cp["bootstrap.servers"] != "b:9092" {
				t.Errorf("consumer properties = %v", cp)
			}
			v, _ := Parse(string(body))
			s, _ := Marshal(Redact(v, map[string]bool{"bootstrap.servers": true}))
			if strings.Contains(s, "pw") || strings.Contains(s, "b:9092") {
				t.Errorf("redacted spec still holds secrets: %s", s)
			}
		})
	}
	if _, err := Prepare(`{"type":"kafka"}`, map[string]string{"a": "b"}, false); err == nil {
		t.Error("secrets merged into a spec without ioConfig")
	}
	body, err := Prepare(`{"type":"kafka","ioConfig":{}}`, nil, false)
	if err != nil || Suspended(string(body)) || !strings.Contains(string(body), `"suspended":false`) {
		t.Errorf("Prepare without secrets = %s, %v", body, err)
	}
	v, _ := Parse(druidEcho)
	s, _ := Marshal(Redact(v, nil))
	if strings.Contains(s, "secret stuff") {
		t.Error("sasl.jaas.config survived Redact")
	}
}

func TestLooksSecret(t *testing.T) {
	for k, want := range map[string]bool{
		"sasl.jaas.config": true, "ssl.key.password": true, "ssl.truststore.password": true,
		"sasl.oauthbearer.client.secret": true, "bootstrap.servers": false, "group.id": false,
	} {
		if LooksSecret(k) != want {
			t.Errorf("LooksSecret(%q) = %v", k, !want)
		}
	}
}

func TestIDAndDataSource(t *testing.T) {
	d := mustNormalize(t, userSpec)
	if ID(d) != "social_media" || DataSource(d) != "social_media" {
		t.Fatalf("id %q ds %q", ID(d), DataSource(d))
	}
	d = mustNormalize(t, `{"id":"sup1","dataSchema":{"dataSource":"ds"}}`)
	if ID(d) != "sup1" {
		t.Fatalf("id %q", ID(d))
	}
}
