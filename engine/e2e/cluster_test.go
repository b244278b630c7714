package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// TestClusterEndpoints compares the cluster-shaped routes of a one-node engine with what a
// Druid cluster answers (OverlordResource, CoordinatorResource, StatusResource):
//
//   - GET /druid/indexer/v1/isLeader, /druid/coordinator/v1/isLeader: 200 {"leader":true}
//     on the leader (404 {"leader":false} elsewhere, which one node never is).
//   - GET …/leader: 200, the leader's URL (scheme://host:port) as the bare body.
//   - GET /druid/indexer/v1/workers: 200, a list of ImmutableWorkerInfo,
//     {"worker":{"scheme","host","ip","capacity","version","category"},"currCapacityUsed",
//     "currParallelIndexCapacityUsed","availabilityGroups":[…],"runningTasks":[…],
//     "lastCompletedTaskTime","blacklistedUntil"}.
//   - GET /druid/indexer/v1/totalWorkerCapacity: 200, TotalWorkerCapacityResponse,
//     {"currentClusterCapacity","maximumCapacityWithAutoScale","usedClusterCapacity"}, the
//     maximum -1 when no autoscaler is configured (OverlordResource, Druid ≥ 28).
//   - GET /status/properties: 200, a flat map of strings, hidden properties left out.
//
// Trailing slashes are tolerated, as Jersey does.
func TestClusterEndpoints(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	eng := enginetest.Start(t, enginetest.WorkerCapacity(3))
	base, err := url.Parse(eng.URL)
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{"/druid/indexer/v1/isLeader", "/druid/coordinator/v1/isLeader", "/druid/indexer/v1/isLeader/"} {
		if code, body := send(t, eng.URL, "GET", p, ""); code != 200 || strings.TrimSpace(body) != `{"leader":true}` {
			t.Errorf("GET %s: %d %s, want 200 {\"leader\":true}", p, code, body)
		}
	}
	for _, p := range []string{"/druid/indexer/v1/leader", "/druid/coordinator/v1/leader", "/druid/coordinator/v1/leader/"} {
		if code, body := send(t, eng.URL, "GET", p, ""); code != 200 || body != eng.URL {
			t.Errorf("GET %s: %d %q, want 200 %q", p, code, body, eng.URL)
		}
	}

	type worker struct {
		Worker struct {
			Scheme, Host, IP, Version, Category string
			Capacity                            int
		}
		CurrCapacityUsed              *int
		CurrParallelIndexCapacityUsed *int
		AvailabilityGroups            []string
		RunningTasks                  []string
		LastCompletedTaskTime         *string
		BlacklistedUntil              *string
	}
	workers := func() worker {
		t.Helper()
		code, body := send(t, eng.URL, "GET", "/druid/indexer/v1/workers", "")
		var ws []worker
		if err := json.Unmarshal([]byte(body), &ws); code != 200 || err != nil || len(ws) != 1 {
			t.Fatalf("GET workers: %d %s (%v), want 200 and one worker", code, body, err)
		}
		for _, k := range []string{`"currCapacityUsed"`, `"currParallelIndexCapacityUsed"`, `"availabilityGroups"`, `"runningTasks"`, `"lastCompletedTaskTime"`, `"blacklistedUntil"`} {
			if !strings.Contains(body, k) {
				t.Errorf("workers body lacks %s: %s", k, body)
			}
		}
		return ws[0]
	}
	w := workers()
	if w.Worker.Scheme != "http" || w.Worker.Host != base.Host || w.Worker.IP != base.Hostname() || w.Worker.Capacity != 3 ||
		w.Worker.Version != "0" || w.Worker.Category != "_default_worker_category" {
		t.Errorf("worker = %+v, want http %s capacity 3", w.Worker, base.Host)
	}
	if *w.CurrCapacityUsed != 0 || len(w.RunningTasks) != 0 || len(w.AvailabilityGroups) != 0 || w.AvailabilityGroups == nil || w.BlacklistedUntil != nil {
		t.Errorf("idle worker = %+v", w)
	}
	// Druid starts lastCompletedTaskTime at the worker's start: never null.
	if w.LastCompletedTaskTime == nil {
		t.Fatal("idle worker: lastCompletedTaskTime is null")
	}
	started := *w.LastCompletedTaskTime
	capacity := func() string {
		t.Helper()
		code, body := send(t, eng.URL, "GET", "/druid/indexer/v1/totalWorkerCapacity/", "")
		if code != 200 {
			t.Fatalf("GET totalWorkerCapacity: %d %s", code, body)
		}
		return strings.TrimSpace(body)
	}
	if got, want := capacity(), `{"currentClusterCapacity":3,"maximumCapacityWithAutoScale":-1,"usedClusterCapacity":0}`; got != want {
		t.Errorf("totalWorkerCapacity = %s, want %s", got, want)
	}

	// A task that waits for data it never gets holds a slot until it is shut down.
	var payload map[string]any
	_ = json.Unmarshal([]byte(taskPayload("cluster_task", "cluster_ds", cluster.ListenAddrs()[0], "events", 1000)), &payload)
	payload["resource"] = map[string]any{"availabilityGroup": "group_a", "requiredCapacity": 1}
	raw, _ := json.Marshal(payload)
	if code, body := send(t, eng.URL, "POST", "/druid/indexer/v1/task", string(raw)); code != 200 {
		t.Fatalf("submit task: %d %s", code, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for w = workers(); len(w.RunningTasks) == 0 && time.Now().Before(deadline); w = workers() {
		time.Sleep(50 * time.Millisecond)
	}
	if *w.CurrCapacityUsed != 1 || strings.Join(w.RunningTasks, ",") != "cluster_task" || strings.Join(w.AvailabilityGroups, ",") != "group_a" {
		t.Errorf("busy worker = %+v, want cluster_task in group_a", w)
	}
	if got, want := capacity(), `{"currentClusterCapacity":3,"maximumCapacityWithAutoScale":-1,"usedClusterCapacity":1}`; got != want {
		t.Errorf("totalWorkerCapacity = %s, want %s", got, want)
	}
	if code, body := send(t, eng.URL, "POST", "/druid/indexer/v1/task/cluster_task/shutdown", ""); code != 200 {
		t.Fatalf("shutdown: %d %s", code, body)
	}
	deadline = time.Now().Add(20 * time.Second)
	for w = workers(); len(w.RunningTasks) != 0 && time.Now().Before(deadline); w = workers() {
		time.Sleep(50 * time.Millisecond)
	}
	if len(w.RunningTasks) != 0 || w.LastCompletedTaskTime == nil || *w.LastCompletedTaskTime <= started {
		t.Errorf("worker after shutdown = %+v, want no task and a completion after %s", w, started)
	} else if _, err := time.Parse(time.RFC3339, *w.LastCompletedTaskTime); err != nil {
		t.Errorf("lastCompletedTaskTime %q: %v", *w.LastCompletedTaskTime, err)
	}

	code, body := send(t, eng.URL, "GET", "/status/properties", "")
	var props map[string]string
	if err := json.Unmarshal([]byte(body), &props); code != 200 || err != nil {
		t.Fatalf("GET /status/properties: %d %s (%v)", code, body, err)
	}
	if props["worker-capacity"] != "3" || props["version"] != "test" || props["auth"] != "off" {
		t.Errorf("properties = %v", props)
	}
}

// TestStatusPropertiesHidesSecrets: with basic auth on, /status/properties (behind auth, as
// in Druid) names the user but never the password, as Druid hides
// druid.metadata.storage.connector.password and the like; the isLeader checks are open.
func TestStatusPropertiesHidesSecrets(t *testing.T) {
	const password = "s3cret-Pa55"
	eng := enginetest.Start(t, func(o *daemon.Options) {
		o.Username, o.Password = "admin", password
		o.Properties = map[string]string{"metadata-store": "postgres"}
	})
	if code, _ := send(t, eng.URL, "GET", "/status/properties", ""); code != 401 {
		t.Errorf("GET /status/properties without credentials: %d, want 401", code)
	}
	// Druid lists the isLeader checks in UNSECURED_PATHS (CliOverlord, CliCoordinator), for
	// load balancers; the leader URL itself stays behind auth (StateResourceFilter).
	for _, p := range []string{"/druid/indexer/v1/isLeader", "/druid/coordinator/v1/isLeader"} {
		if code, body := send(t, eng.URL, "GET", p, ""); code != 200 || strings.TrimSpace(body) != `{"leader":true}` {
			t.Errorf("GET %s without credentials: %d %s, want 200", p, code, body)
		}
	}
	if code, _ := send(t, eng.URL, "GET", "/druid/indexer/v1/leader", ""); code != 401 {
		t.Errorf("GET /druid/indexer/v1/leader without credentials: %d, want 401", code)
	}
	req, _ := http.NewRequest("GET", eng.URL+"/status/properties", nil)
	req.SetBasicAuth("admin", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var props map[string]string
	if err := json.Unmarshal(b, &props); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET /status/properties: %d %s (%v)", resp.StatusCode, b, err)
	}
	if strings.Contains(string(b), password) {
		t.Errorf("properties leak the password: %s", b)
	}
	if props["auth"] != "basic" || props["auth-username"] != "admin" || props["metadata-store"] != "postgres" {
		t.Errorf("properties = %v", props)
	}
}
