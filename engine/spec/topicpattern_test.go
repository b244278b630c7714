package spec

import (
	"errors"
	"strings"
	"testing"
)

// TestCompileTopicPattern checks that patterns match whole topic names, as Java's
// Pattern.matcher(topic).matches() does, and that Java syntax is translated or refused.
func TestCompileTopicPattern(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		match, miss   []string
	}{
		{"prefix", "metrics-.*", []string{"metrics-a", "metrics-", "metrics-eu-1"}, []string{"my-metrics-a", "metrics", "xmetrics-a"}},
		{"alternation is anchored as a whole", "clicks|impressions", []string{"clicks", "impressions"}, []string{"clicks2", "my-impressions", "clicks|impressions"}},
		{"class and quantifier", "topic-[0-9]+", []string{"topic-1", "topic-42"}, []string{"topic-", "topic-1a"}},
		{"java unicode escape", `t\u002D.*`, []string{"t-a"}, []string{"t_a"}},
		{"java posix class", `\p{Lower}+-\P{Lower}`, []string{"abc-1"}, []string{"abc-d", "ABC-1"}},
		{"posix class inside a class", `[\p{Digit}_]+`, []string{"1_2"}, []string{"a"}},
		{"java end anchor", `events\Z`, []string{"events"}, []string{"events2"}},
		{"quoting", `\Qa.b\E.*`, []string{"a.b", "a.bc"}, []string{"axb"}},
		{"named group", `(?<env>prod|dev)-logs`, []string{"prod-logs"}, []string{"test-logs"}},
		{"case-insensitive flag", `(?i)metrics-.*`, []string{"METRICS-A"}, []string{"other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re, err := CompileTopicPattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.match {
				if !re.MatchString(s) {
					t.Errorf("%q does not match %q", tc.pattern, s)
				}
			}
			for _, s := range tc.miss {
				if re.MatchString(s) {
					t.Errorf("%q matches %q", tc.pattern, s)
				}
			}
		})
	}
}

// TestTopicPatternValidation checks the 400s of ioConfig.topic/topicPattern.
func TestTopicPatternValidation(t *testing.T) {
	spec := func(io string) string {
		return `{"type":"kafka","dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts"}},` +
			`"ioConfig":{` + io + `"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`
	}
	for _, tc := range []struct{ name, io, want string }{
		{"both", `"topic":"t","topicPattern":"t.*",`, "ioConfig.topicPattern: cannot be combined with topic"},
		{"neither", ``, "ioConfig.topic: missing"},
		{"unbalanced", `"topicPattern":"metrics-(",`, `ioConfig.topicPattern: "metrics-(" is not a valid pattern: missing closing )`},
		{"lookahead", `"topicPattern":"(?!tmp).*",`, "ioConfig.topicPattern: \"(?!tmp).*\" is not a valid pattern"},
		{"backreference", `"topicPattern":"(a)\\1",`, "lookahead/lookbehind, backreferences"},
		{"possessive", `"topicPattern":"a*+",`, "ioConfig.topicPattern:"},
		{"intersection", `"topicPattern":"[a-z&&[^x]]+",`, "ioConfig.topicPattern: \"[a-z&&[^x]]+\" is not a supported pattern: character class intersection (&&) is Java-only"},
		{"nested class", `"topicPattern":"[a[b]]",`, "nested character classes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(spec(tc.io)))
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\nwant a field error containing %q", err, tc.want)
			}
		})
	}
	s, err := Decode([]byte(spec(`"topicPattern":"metrics-.*",`)))
	if err != nil {
		t.Fatal(err)
	}
	if s.IOConfig.TopicPattern != "metrics-.*" || s.IOConfig.Topic != "" || s.IOConfig.StreamName() != "metrics-.*" {
		t.Fatalf("ioConfig = topic %q, topicPattern %q", s.IOConfig.Topic, s.IOConfig.TopicPattern)
	}
}
