package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
)

// TestStatusPropertiesOmitSecrets runs the daemon on PostgreSQL with a password in
// --metadata-uri and basic auth on, and checks that GET /status/properties (Druid's
// StatusResource, which drops druid.server.hiddenProperties such as the metadata password)
// answers the settings as a flat map of strings without the URI or either password.
func TestStatusPropertiesOmitSecrets(t *testing.T) {
	const dbPassword, apiPassword = "db-Secret-42", "api-Secret-43"
	u, err := url.Parse(metadatatest.FreshPostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), dbPassword) // the test server trusts local users
	c := &serveConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), WorkerCapacity: 2, MaxBodyBytes: 1 << 20,
		LogFormat: "text", LogLevel: "error", MetadataURI: u.String(), AuthUsername: "admin", AuthPassword: apiPassword}
	d, err := startDaemon(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	req, _ := http.NewRequest("GET", "http://"+d.Addr()+"/status/properties", nil)
	req.SetBasicAuth("admin", apiPassword)
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
	for _, secret := range []string{dbPassword, apiPassword, u.Host} {
		if strings.Contains(string(b), secret) {
			t.Errorf("properties hold %q: %s", secret, b)
		}
	}
	if props["metadata-store"] != "postgres" || props["worker-capacity"] != "2" || props["auth"] != "basic" || props["listen"] != "127.0.0.1:0" {
		t.Errorf("properties = %v", props)
	}
}
