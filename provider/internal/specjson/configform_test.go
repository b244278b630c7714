package specjson

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/fakedruid"
)

// postedSpec is a realistic spec as an operator posts it with curl: ten
// minute tasks, hourly segments with minute rollup, a tuned tuningConfig and
// some values spelled out that are the defaults anyway.
const postedSpec = `{"type":"kafka","spec":{
  "dataSchema":{"dataSource":"clicks","timestampSpec":{"column":"ts","format":"iso"},
    "dimensionsSpec":{"dimensions":["user","page",{"type":"long","name":"likes"}]},
    "metricsSpec":[{"type":"count","name":"count"},{"type":"longSum","name":"likes_sum","fieldName":"likes"}],
    "granularitySpec":{"segmentGranularity":"hour","queryGranularity":"minute","rollup":true}},
  "ioConfig":{"topic":"clicks","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"kafka:9092"},
    "taskCount":2,"replicas":1,"taskDuration":"PT10M","completionTimeout":"PT20M","useEarliestOffset":true},
  "tuningConfig":{"type":"kafka","maxRowsInMemory":100000,"intermediatePersistPeriod":"PT5M","maxRowsPerSegment":5000000}}}`

// postedConfigForm is postedSpec without its defaults, as ConfigForm writes it.
const postedConfigForm = `{"spec":{` +
	`"dataSchema":{"dataSource":"clicks","dimensionsSpec":{"dimensions":["user","page",{"name":"likes","type":"long"}]},` +
	`"granularitySpec":{"queryGranularity":"MINUTE","segmentGranularity":"HOUR"},` +
	`"metricsSpec":[{"name":"count","type":"count"},{"fieldName":"likes","name":"likes_sum","type":"longSum"}],` +
	`"timestampSpec":{"column":"ts","format":"iso"}},` +
	`"ioConfig":{"completionTimeout":"PT20M","consumerProperties":{"bootstrap.servers":"kafka:9092"},"inputFormat":{"type":"json"},` +
	`"taskCount":2,"taskDuration":"PT10M","topic":"clicks","useEarliestOffset":true},` +
	`"tuningConfig":{"intermediatePersistPeriod":"PT5M","maxRowsInMemory":100000,"type":"kafka"}},"type":"kafka"}`

// fakeDruidEcho posts raw to a fake Druid Overlord and returns its GET echo.
func fakeDruidEcho(t *testing.T, raw string) string {
	t.Helper()
	srv := fakedruid.Start(fakedruid.Options{})
	defer srv.Close()
	resp, err := http.Post(srv.URL()+"/druid/indexer/v1/supervisor", "application/json", strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 200 {
		t.Fatalf("post: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL() + "/druid/indexer/v1/supervisor/" + created.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// engineEchoOf is what kafka-indexer's GET /supervisor/{id} returns for raw.
func engineEchoOf(t *testing.T, raw string) string {
	t.Helper()
	s, err := spec.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return string(s.Echo())
}

func configFormOf(t *testing.T, echo string) string {
	t.Helper()
	d, err := Normalize(echo)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Marshal(ConfigForm(d))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Both servers' echoes of the posted spec come back as the same short
// configuration: defaults gone, PT600S as PT10M, granularities as names.
func TestConfigForm(t *testing.T) {
	for name, echo := range map[string]string{
		"druid":  fakeDruidEcho(t, postedSpec),
		"engine": engineEchoOf(t, postedSpec),
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(echo, `"PT600S"`) || !strings.Contains(echo, `"maxBytesInMemory"`) {
				t.Fatalf("echo lacks the server's rewrites and defaults: %s", echo)
			}
			if got := configFormOf(t, echo); got != postedConfigForm {
				t.Errorf("ConfigForm =\n%s\nwant\n%s", got, postedConfigForm)
			}
		})
	}
}

// Nothing is lost: the configuration form of every test spec of the engine
// makes the engine echo exactly what the spec itself does, and writing it
// again gives the same text.
func TestConfigFormKeepsMeaning(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "engine", "spec", "testdata", "specs", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test specs: %v", err)
	}
	files = append(files, "")
	for _, f := range files {
		if strings.HasSuffix(f, ".echo.json") {
			continue
		}
		raw := []byte(postedSpec)
		if f != "" {
			if raw, err = os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			echo := engineEchoOf(t, string(raw))
			cf := configFormOf(t, echo)
			want, _ := Normalize(echo)
			got, err := Normalize(engineEchoOf(t, cf))
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(got, want) {
				t.Errorf("the engine runs something else for the configuration form\n%s\nof\n%s", cf, echo)
			}
			if again := configFormOf(t, cf); again != cf {
				t.Errorf("ConfigForm is not stable:\n%s\n%s", cf, again)
			}
			if len(cf) >= len(echo)/2 {
				t.Errorf("configuration form is %d bytes of an echo of %d: defaults were kept?\n%s", len(cf), len(echo), cf)
			}
		})
	}
}

// Keys the engine does not know (a newer Druid's settings) are kept as they
// are, also inside objects that are otherwise default.
func TestConfigFormKeepsUnknownKeys(t *testing.T) {
	d, err := Normalize(fakeDruidEcho(t, postedSpec))
	if err != nil {
		t.Fatal(err)
	}
	tc := d["tuningConfig"].(map[string]any)
	tc["maxColumnsToMerge"] = json.Number("7")
	tc["appendableIndexSpec"].(map[string]any)["futureSetting"] = true
	got, _ := Marshal(ConfigForm(d))
	for _, want := range []string{`"maxColumnsToMerge":7`, `"appendableIndexSpec":{"futureSetting":true}`, `"maxRowsInMemory":100000`} {
		if !strings.Contains(got, want) {
			t.Errorf("ConfigForm lost %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"maxBytesInMemory"`) {
		t.Errorf("defaults kept next to an unknown key:\n%s", got)
	}
}

// A spec the engine refuses keeps every key; durations and granularities are
// still written the way a user writes them.
func TestConfigFormUndecodable(t *testing.T) {
	d, err := Normalize(fakeDruidEcho(t, postedSpec))
	if err != nil {
		t.Fatal(err)
	}
	d["ioConfig"].(map[string]any)["replicas"] = json.Number("-1")
	got, _ := Marshal(ConfigForm(d))
	for _, want := range []string{`"replicas":-1`, `"maxBytesInMemory":0`, `"taskDuration":"PT10M"`, `"segmentGranularity":"HOUR"`, `"queryGranularity":"MINUTE"`} {
		if !strings.Contains(got, want) {
			t.Errorf("ConfigForm lacks %s:\n%s", want, got)
		}
	}
}

func TestPrettyDuration(t *testing.T) {
	for in, want := range map[string]string{
		"PT600S": "PT10M", "PT3600S": "PT1H", "PT5400S": "PT1H30M", "PT5S": "PT5S", "PT86400S": "PT24H",
		"PT90.5S": "PT1M30.5S", "PT0S": "PT0S", "P1D": "P1D", "PT3661S": "PT1H1M1S",
	} {
		if got := prettyDuration(in); got != want {
			t.Errorf("prettyDuration(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestParsePath(t *testing.T) {
	p, ok := parsePath("dataSchema.metricsSpec[2].fieldName")
	if !ok || len(p) != 4 || p[2].index != 2 || !p[2].isIndex || p[3].key != "fieldName" {
		t.Fatalf("parsePath = %+v, %v", p, ok)
	}
	doc := Doc{"a": []any{map[string]any{}}}
	fieldPath{{key: "a"}, {index: 0, isIndex: true}, {key: "b"}, {key: "c"}}.set(doc, "x")
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(doc)
	if got := strings.TrimSpace(buf.String()); got != `{"a":[{"b":{"c":"x"}}]}` {
		t.Errorf("set = %s", got)
	}
}
