package supervisor_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
)

// TestHealthThresholdsFromDaemon runs a supervisor on a topic that does not exist, so every
// run fails, in an engine started with --supervisor-unhealthiness-threshold 1 and in one with
// Druid's default of 3: after the first failed run the first is unhealthy, the second is still
// healthy.
func TestHealthThresholdsFromDaemon(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	broker := cluster.ListenAddrs()[0]
	for _, c := range []struct {
		name        string
		th          supervisor.Thresholds
		wantHealthy bool
		wantState   string
	}{
		{"unhealthiness=1", supervisor.Thresholds{UnhealthinessThreshold: 1}, false, "UNHEALTHY_SUPERVISOR"},
		{"defaults", supervisor.Thresholds{}, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := enginetest.Start(t, func(o *daemon.Options) { o.SupervisorThresholds = c.th })
			cl, err := client.New(e.URL, client.WithMaxRetries(1))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			// One run every 2 s, so the report after the first failed run is seen.
			raw := withIOConfig(supervisorSpec(broker, "absent", 1, 1, nil), "events", map[string]any{"period": "PT2S"})
			if _, err := cl.CreateOrUpdateSupervisor(ctx, raw); err != nil {
				t.Fatal(err)
			}
			rep := waitUntil(t, "the first failed run", 10*time.Second, func() (*client.SupervisorReport, bool) {
				rep, err := cl.SupervisorStatus(ctx, "events")
				if err != nil {
					t.Fatal(err)
				}
				return rep, len(rep.Payload.RecentErrors) > 0
			})
			if n := len(rep.Payload.RecentErrors); n != 1 || rep.Payload.Healthy != c.wantHealthy || (c.wantState != "" && rep.Payload.State != c.wantState) {
				t.Fatalf("after the first failed run: %d errors, healthy %v, state %s; want 1, %v, %s",
					n, rep.Payload.Healthy, rep.Payload.State, c.wantHealthy, c.wantState)
			}
		})
	}
}
