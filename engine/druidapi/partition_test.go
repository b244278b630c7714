package druidapi

import (
	"encoding/json"
	"testing"
)

func TestPartitionKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want Partition
		err  bool
	}{
		{key: "0", want: Partition{ID: 0}},
		{key: "12", want: Partition{ID: 12}},
		{key: "metrics-a:3", want: Partition{Topic: "metrics-a", ID: 3}},
		// Druid splits at the last colon.
		{key: "a:b:7", want: Partition{Topic: "a:b", ID: 7}},
		{key: "x", err: true},
		{key: "-1", err: true},
		{key: ":1", err: true},
		{key: "t:", err: true},
		{key: "t:2147483648", err: true},
	} {
		t.Run(tc.key, func(t *testing.T) {
			got, err := ParsePartition(tc.key)
			if tc.err {
				if err == nil {
					t.Fatalf("ParsePartition(%q) = %+v, want an error", tc.key, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParsePartition(%q) = %+v, %v; want %+v", tc.key, got, err, tc.want)
			}
			if got.String() != tc.key {
				t.Fatalf("String() = %q, want %q", got.String(), tc.key)
			}
		})
	}
}

func TestPartitionJSONMapKeys(t *testing.T) {
	in := map[Partition]int64{{Topic: "metrics-a", ID: 0}: 5, {Topic: "metrics-b", ID: 1}: 7}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"metrics-a:0":5,"metrics-b:1":7}`; string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	var back map[Partition]int64
	if err := json.Unmarshal(b, &back); err != nil || len(back) != 2 || back[Partition{Topic: "metrics-b", ID: 1}] != 7 {
		t.Fatalf("Unmarshal = %v, %v", back, err)
	}
	single, _ := json.Marshal(map[Partition]int64{{ID: 0}: 1, {ID: 10}: 2, {ID: 2}: 3})
	if want := `{"0":1,"10":2,"2":3}`; string(single) != want {
		t.Fatalf("Marshal single-topic = %s, want %s", single, want)
	}
}

// TestJavaStringHash checks javaStringHash against Java's String.hashCode (values printed by
// a JDK 17 for these strings, including non-ASCII ones).
func TestJavaStringHash(t *testing.T) {
	for s, want := range map[string]int32{
		"metrics-a":   -573857321,
		"metrics-b":   -573857320,
		"metrics-c":   -573857319,
		"clicks":      -1357714453,
		"impressions": -555634806,
		"é-ü":         225560,
		"a":           97,
	} {
		if got := javaStringHash(s); got != want {
			t.Errorf("javaStringHash(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestTaskGroup checks the task group assignment against Druid's
// KafkaSupervisor.getTaskGroupIdForPartition, Math.abs(31 * topic.hashCode() + partition) %
// taskCount, evaluated by a JDK for these inputs.
func TestTaskGroup(t *testing.T) {
	for _, tc := range []struct {
		topic     string
		partition int32
		taskCount int
		want      int
	}{
		{"metrics-a", 0, 3, 1},
		{"metrics-a", 0, 7, 4},
		{"metrics-a", 1, 3, 0},
		{"metrics-a", 1, 7, 3},
		{"metrics-a", 2, 3, 2},
		{"metrics-a", 2, 7, 2},
		{"metrics-a", 3, 3, 1},
		{"metrics-a", 3, 7, 1},
		{"metrics-b", 0, 3, 0},
		{"metrics-b", 0, 7, 1},
		{"metrics-b", 1, 3, 2},
		{"metrics-b", 1, 7, 0},
		{"metrics-b", 2, 3, 1},
		{"metrics-b", 2, 7, 6},
		{"metrics-b", 3, 3, 0},
		{"metrics-b", 3, 7, 5},
		{"metrics-c", 0, 3, 2},
		{"metrics-c", 0, 7, 5},
		{"metrics-c", 1, 3, 1},
		{"metrics-c", 1, 7, 4},
		{"metrics-c", 2, 3, 0},
		{"metrics-c", 2, 7, 3},
		{"metrics-c", 3, 3, 2},
		{"metrics-c", 3, 7, 2},
		{"clicks", 0, 3, 0},
		{"clicks", 0, 7, 0},
		{"clicks", 1, 3, 1},
		{"clicks", 1, 7, 1},
		{"clicks", 2, 3, 2},
		{"clicks", 2, 7, 2},
		{"clicks", 3, 3, 0},
		{"clicks", 3, 7, 3},
		{"impressions", 0, 3, 2},
		{"impressions", 0, 7, 2},
		{"impressions", 1, 3, 1},
		{"impressions", 1, 7, 1},
		{"impressions", 2, 3, 0},
		{"impressions", 2, 7, 0},
		{"impressions", 3, 3, 2},
		{"impressions", 3, 7, 6},
		{"é-ü", 0, 3, 2},
		{"é-ü", 0, 7, 4},
		{"é-ü", 1, 3, 0},
		{"é-ü", 1, 7, 5},
		{"é-ü", 2, 3, 1},
		{"é-ü", 2, 7, 6},
		{"é-ü", 3, 3, 2},
		{"é-ü", 3, 7, 0},
		{"a", 0, 3, 1},
		{"a", 0, 7, 4},
		{"a", 1, 3, 2},
		{"a", 1, 7, 5},
		{"a", 2, 3, 0},
		{"a", 2, 7, 6},
		{"a", 3, 3, 1},
		{"a", 3, 7, 0},
	} {
		if got := (Partition{Topic: tc.topic, ID: tc.partition}).TaskGroup(tc.taskCount); got != tc.want {
			t.Errorf("TaskGroup(%s:%d, %d) = %d, want %d", tc.topic, tc.partition, tc.taskCount, got, tc.want)
		}
	}
	// Single topic: partition % taskCount.
	for p := int32(0); p < 10; p++ {
		if got := (Partition{ID: p}).TaskGroup(3); got != int(p)%3 {
			t.Errorf("TaskGroup(%d, 3) = %d", p, got)
		}
	}
	// The one value Java's Math.abs leaves negative still maps into [0, taskCount).
	if got := groupOfHash(-2147483648, 7); got != 2 {
		t.Errorf("groupOfHash(MinInt32, 7) = %d, want 2", got)
	}
}
