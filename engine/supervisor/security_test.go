package supervisor_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/kafkatest"
)

// securedSpec is supervisorSpec with extra consumer properties.
func securedSpec(t *testing.T, broker string, props map[string]any) []byte {
	var s map[string]any
	if err := json.Unmarshal(supervisorSpec(broker, "events", 1, 1, nil), &s); err != nil {
		t.Fatal(err)
	}
	cp := s["spec"].(map[string]any)["ioConfig"].(map[string]any)["consumerProperties"].(map[string]any)
	for k, v := range props {
		cp[k] = v
	}
	b, _ := json.Marshal(s)
	return b
}

// produceSecuredIDs writes events with ids 0..n-1 to partition 0 of "events" through the given
// client options.
func produceSecuredIDs(t *testing.T, n int, opts ...kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.DefaultProduceTopic("events"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for id := range n {
		b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": id, "host": fmt.Sprintf("h%d", id%5), "value": 1})
		recs = append(recs, &kgo.Record{Value: b})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// ingestExactlyOnce runs a supervisor with the spec and waits until all n rows are published,
// then checks each was published exactly once and that the supervisor reported no errors.
func ingestExactlyOnce(t *testing.T, raw []byte, n int, opts ...enginetest.Option) {
	t.Helper()
	e := enginetest.Start(t, opts...)
	c, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, fmt.Sprintf("offset %d published for partition 0", n), 60*time.Second, func() (map[druidapi.Partition]int64, bool) {
		md, err := e.Store.GetDataSourceMetadata(ctx, "events")
		if err != nil {
			return nil, false
		}
		return md.Offsets, md.Offsets[druidapi.Partition{ID: 0}] == int64(n)
	})
	checkExactlyOnce(t, e, int64(n))
	rep, err := c.SupervisorStatus(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Payload.RecentErrors) > 0 {
		t.Fatalf("recentErrors: %+v", rep.Payload.RecentErrors)
	}
}

// TestSupervisorOverTLSAndSCRAM ingests from a broker that requires TLS with a client
// certificate and SCRAM-SHA-256 (SASL_SSL), the client using a keytool JKS keystore and a
// PKCS12 truststore whose passwords come from the dynamic config provider.
func TestSupervisorOverTLSAndSCRAM(t *testing.T) {
	f := kafkatest.NewTLS(t)
	srv, seen := f.ServerConfig(t, "127.0.0.1")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"), kfake.TLS(srv),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "druid", "scram-secret-1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	broker := cluster.ListenAddrs()[0]

	// The producer is configured by hand (crypto/tls and franz-go), not through the code under test.
	pair, err := tls.X509KeyPair([]byte(f.ClientCertPEM), []byte(f.ClientKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(f.CA)
	const rows = 300
	produceSecuredIDs(t, rows, kgo.SeedBrokers(broker), kgo.DialTLSConfig(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}),
		kgo.SASL(scram.Auth{User: "druid", Pass: "scram-secret-1"}.AsSha256Mechanism()))

	var logs lockedBuffer
	logTo := func(o *daemon.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) }
	t.Setenv("KI_TEST_STORE_PW", kafkatest.StorePassword)
	t.Setenv("KI_TEST_KEY_PW", kafkatest.KeyPassword)
	t.Setenv("KI_TEST_JAAS", `org.apache.kafka.common.security.scram.ScramLoginModule required username="druid" password="scram-secret-1";`)
	ingestExactlyOnce(t, securedSpec(t, broker, map[string]any{
		"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256",
		"ssl.keystore.type": "JKS", "ssl.keystore.location": f.KeyJKS,
		"ssl.truststore.type": "PKCS12", "ssl.truststore.location": f.TrustPKCS12,
		"client.dns.lookup": "use_all_dns_ips", // Java-only: ignored with a warning
		"druid.dynamic.config.provider": map[string]any{"type": "environment", "variables": map[string]any{
			"ssl.keystore.password": "KI_TEST_STORE_PW", "ssl.truststore.password": "KI_TEST_STORE_PW",
			"ssl.key.password": "KI_TEST_KEY_PW", "sasl.jaas.config": "KI_TEST_JAAS"}},
	}), rows, logTo)
	if names := seen.Names(); !slices.Contains(names, kafkatest.ClientKeytool) {
		t.Fatalf("client certificates the broker saw: %v, want the keytool one (%s)", names, kafkatest.ClientKeytool)
	}
	log := logs.String()
	if n := strings.Count(log, "consumerProperties ignored"); n != 1 || !strings.Contains(log, "client.dns.lookup") {
		t.Errorf("%d warnings about ignored consumerProperties (want 1, naming client.dns.lookup) in the log:\n%s", n, log)
	}
	for _, secret := range []string{"scram-secret-1", kafkatest.StorePassword, kafkatest.KeyPassword} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains the secret %q", secret)
		}
	}
}

// lockedBuffer is a log sink safe for the engine's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSupervisorOAuthBearer ingests from a broker that accepts only OAUTHBEARER tokens issued
// by a loopback client-credentials endpoint.
func TestSupervisorOAuthBearer(t *testing.T) {
	idp := kafkatest.NewOAuth(t, "druid-ingest", "oauth-secret-3", "kafka.read", 3600)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	broker := cluster.ListenAddrs()[0]
	const rows = 200
	produceSecuredIDs(t, rows, kgo.SeedBrokers(broker))
	// Installed after producing: from here on every connection must log in with a token.
	kafkatest.AcceptSASL(cluster, "OAUTHBEARER", func(msg []byte) ([]byte, error) {
		tok, _, err := kafkatest.BearerToken(msg)
		if err != nil {
			return nil, err
		}
		if !idp.Valid(tok) {
			return nil, fmt.Errorf("token not issued by the identity provider")
		}
		return nil, nil
	})
	ingestExactlyOnce(t, securedSpec(t, broker, map[string]any{
		"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
		"sasl.oauthbearer.token.endpoint.url": idp.URL,
		"sasl.jaas.config":                    `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="druid-ingest" clientSecret="oauth-secret-3" scope="kafka.read";`,
	}), rows)
	if idp.Issued() == 0 {
		t.Fatal("no token was issued")
	}
}

// TestSupervisorBadKeystorePassword reports a wrong keystore password in recentErrors, naming
// the property and not repeating the password.
func TestSupervisorBadKeystorePassword(t *testing.T) {
	f := kafkatest.NewTLS(t)
	srv, _ := f.ServerConfig(t, "127.0.0.1")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"), kfake.TLS(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	e := enginetest.Start(t)
	c, err := client.New(e.URL, client.WithMaxRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	raw := securedSpec(t, cluster.ListenAddrs()[0], map[string]any{
		"security.protocol": "SSL", "ssl.keystore.location": f.KeyJKS, "ssl.keystore.password": "not-the-password-5",
		"ssl.truststore.location": f.TrustJKS, "ssl.truststore.password": kafkatest.StorePassword,
	})
	if _, err := c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	rep := waitUntil(t, "an error in recentErrors", 20*time.Second, func() (*client.SupervisorReport, bool) {
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		return rep, len(rep.Payload.RecentErrors) > 0
	})
	msg := rep.Payload.RecentErrors[0].Message
	if !strings.Contains(msg, "consumerProperties.ssl.keystore.password: wrong password") || strings.Contains(msg, "not-the-password-5") {
		t.Fatalf("recentErrors[0].message = %q, want it to name consumerProperties.ssl.keystore.password without the password", msg)
	}
}
