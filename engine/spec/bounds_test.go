package spec

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// boundsSpec is a valid spec with mut spliced into ioConfig and tuning into tuningConfig.
func boundsSpec(mut, tuning string) string {
	return `{"type":"kafka","dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts"}},` +
		`"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"localhost:9092"}` + mut + `},` +
		`"tuningConfig":{"type":"kafka"` + tuning + `}}`
}

// TestDecodeBounds checks the upper bounds and period ranges: every refusal names the JSON path
// and the limit, and the limits themselves are accepted.
func TestDecodeBounds(t *testing.T) {
	tests := []struct {
		name, io, tuning, want string
	}{
		{"replicas 1000000", `,"replicas":1000000`, "", "ioConfig.replicas: must be ≤ 16, got 1000000"},
		{"replicas max", `,"replicas":16`, "", ""},
		{"taskCount too large", `,"taskCount":1001`, "", "ioConfig.taskCount: must be ≤ 1000, got 1001"},
		{"taskCount max", `,"taskCount":1000`, "", ""},
		{"taskCountMax too large", `,"autoScalerConfig":{"enableTaskAutoScaler":true,"taskCountMin":1,"taskCountMax":5000}`, "", "ioConfig.autoScalerConfig.taskCountMax: must be ≤ 1000, got 5000"},
		{"taskCountMin too large", `,"autoScalerConfig":{"enableTaskAutoScaler":true,"taskCountMin":2000,"taskCountMax":2000}`, "", "ioConfig.autoScalerConfig.taskCountMin: must be ≤ 1000"},
		{"autoscaler millis overflow", `,"autoScalerConfig":{"enableTaskAutoScaler":true,"taskCountMin":1,"taskCountMax":2,"scaleActionPeriodMillis":9223372036854775807}`, "", "ioConfig.autoScalerConfig.scaleActionPeriodMillis: must be ≤ 604800000"},
		{"disabled autoscaler unbounded", `,"autoScalerConfig":{"enableTaskAutoScaler":false,"taskCountMax":5000}`, "", ""},
		{"stopTaskCount too large", `,"stopTaskCount":100000`, "", "ioConfig.stopTaskCount: must be ≤ 1000"},
		{"pollTimeout too large", `,"pollTimeout":9223372036854775807`, "", "ioConfig.pollTimeout: must be ≤ 60000"},
		{"taskDuration overflow", `,"taskDuration":"PT2562048H"`, "", "ioConfig.taskDuration: must be at most P365D, got PT2562048H"},
		{"taskDuration huge days", `,"taskDuration":"P2147483647D"`, "", "ioConfig.taskDuration: must be at most P365D"},
		{"taskDuration field beyond int32", `,"taskDuration":"PT9223372036854775807H"`, "", "ioConfig.taskDuration: \"PT9223372036854775807H\" is not an ISO-8601 period"},
		{"taskDuration seconds beyond int32", `,"taskDuration":"PT99999999999999999999.5S"`, "", "is more than 2147483647"},
		{"taskDuration millis", `,"taskDuration":"PT0.001S"`, "", "ioConfig.taskDuration: must be at least PT1S, got PT0.001S"},
		{"taskDuration min", `,"taskDuration":"PT1S"`, "", ""},
		{"taskDuration max", `,"taskDuration":"P365D"`, "", ""},
		{"period too short", `,"period":"PT0.01S"`, "", "ioConfig.period: must be at least PT0.1S, got PT0.01S"},
		{"period too long", `,"period":"P2D"`, "", "ioConfig.period: must be at most P1D"},
		{"startDelay zero ok", `,"startDelay":"PT0S"`, "", ""},
		{"startDelay too long", `,"startDelay":"P10D"`, "", "ioConfig.startDelay: must be at most P1D"},
		{"completionTimeout too short", `,"completionTimeout":"PT0.5S"`, "", "ioConfig.completionTimeout: must be at least PT1S"},
		{"completionTimeout too long", `,"completionTimeout":"P30D"`, "", "ioConfig.completionTimeout: must be at most P7D"},
		{"lateMessageRejectionPeriod too long", `,"lateMessageRejectionPeriod":"P100000D"`, "", "ioConfig.lateMessageRejectionPeriod: must be at most P3650D"},
		{"earlyMessageRejectionPeriod too long", `,"earlyMessageRejectionPeriod":"PT2562048H"`, "", "ioConfig.earlyMessageRejectionPeriod: must be at most P3650D"},
		{"intermediatePersistPeriod too short", "", `,"intermediatePersistPeriod":"PT0.001S"`, "tuningConfig.intermediatePersistPeriod: must be at least PT1S"},
		{"intermediatePersistPeriod month", "", `,"intermediatePersistPeriod":"P1M"`, "tuningConfig.intermediatePersistPeriod: P1M has years or months"},
		{"intermediateHandoffPeriod never", "", `,"intermediateHandoffPeriod":"P2147483647D"`, ""},
		{"handoffConditionTimeout overflow", "", `,"handoffConditionTimeout":9223372036854775807`, "tuningConfig.handoffConditionTimeout: must be ≤ 31536000000"},
		{"httpTimeout too long", "", `,"httpTimeout":"P1D"`, "tuningConfig.httpTimeout: must be at most PT1H"},
		{"chatRetries too many", "", `,"chatRetries":1000000`, "tuningConfig.chatRetries: must be ≤ 1000"},
		{"numParseThreads too many", "", `,"numParseThreads":65`, "tuningConfig.numParseThreads: must be ≤ 64, got 65"},
		{"numParseThreads negative", "", `,"numParseThreads":-1`, "tuningConfig.numParseThreads: must be ≥ 0"},
		{"numParseThreads max", "", `,"numParseThreads":64`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(boundsSpec(tt.io, tt.tuning)))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want error containing %q", tt.want)
			}
			var fe *FieldError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Path == "" {
				t.Errorf("error %v is not a FieldError with a path", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestPeriodSaturates checks that a period too long for time.Duration saturates instead of
// wrapping to a short or negative length (PT2562048H is one hour past the largest Duration).
func TestPeriodSaturates(t *testing.T) {
	for _, in := range []string{"PT2562048H", "P2147483647D", "P2147483647W", "P2147483647W2147483647DT2147483647H2147483647M2147483647S"} {
		p, err := ParsePeriod(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if d, _ := p.Duration(); d != MaxDuration {
			t.Errorf("%s: Duration %v, want MaxDuration", in, d)
		}
	}
	p := MustPeriod("PT2562047H")
	if d, _ := p.Duration(); d != 2562047*time.Hour {
		t.Errorf("PT2562047H: Duration %v", d)
	}
	for _, bad := range []string{"PT2147483648H", "P99999999999999999999D", "PT2147483648S"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestNumParseThreadsEcho: numParseThreads (ours, not Druid's) is echoed only when set, so the
// echo of a spec without it, and the base sequence name hashed from it, is unchanged; 0 picks
// min(GOMAXPROCS, 4).
func TestNumParseThreadsEcho(t *testing.T) {
	for _, tt := range []struct {
		tuning string
		echoed bool
		procs  int
		want   int
	}{{"", false, 2, 2}, {"", false, 16, MaxParseThreads}, {"", false, 1, 1}, {`,"numParseThreads":3`, true, 2, 3}} {
		s, err := Decode([]byte(boundsSpec("", tt.tuning)))
		if err != nil {
			t.Fatal(err)
		}
		_, tuning, _ := s.TaskSections()
		if got := strings.Contains(string(tuning), `"numParseThreads"`); got != tt.echoed {
			t.Errorf("tuning %q: numParseThreads echoed %v, want %v: %s", tt.tuning, got, tt.echoed, tuning)
		}
		if got := s.TuningConfig.EffectiveParseThreads(tt.procs); got != tt.want {
			t.Errorf("tuning %q, GOMAXPROCS %d: %d parse threads, want %d", tt.tuning, tt.procs, got, tt.want)
		}
	}
}
