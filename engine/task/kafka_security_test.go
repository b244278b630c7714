package task

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/kafkatest"
)

// pingWith builds a client from consumer properties and asks the broker for its metadata, which
// needs a connection that passed TLS and SASL.
func pingWith(t *testing.T, props map[string]any, getenv func(string) (string, bool)) error {
	t.Helper()
	opts, err := ClientOptions(props, getenv)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(append(opts, kgo.RetryTimeout(3*time.Second), kgo.RequestRetries(1))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

func noEnv(string) (string, bool) { return "", false }

// TestClientOptionsTLSStores connects to a TLS broker that requires a client certificate, with
// truststores and keystores keytool wrote (JKS and PKCS12) and with PEM files and strings,
// and checks which client certificate the broker saw.
func TestClientOptionsTLSStores(t *testing.T) {
	f := kafkatest.NewTLS(t)
	srv, seen := f.ServerConfig(t, "127.0.0.1")
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	broker := c.ListenAddrs()[0]
	base := func(kv ...string) map[string]any {
		p := map[string]any{"bootstrap.servers": broker, "security.protocol": "SSL"}
		for i := 0; i < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	for _, c := range []struct {
		name   string
		props  map[string]any
		client string
	}{
		{"JKS", base("ssl.truststore.location", f.TrustJKS, "ssl.truststore.password", kafkatest.StorePassword,
			"ssl.keystore.location", f.KeyJKS, "ssl.keystore.password", kafkatest.StorePassword, "ssl.key.password", kafkatest.KeyPassword), kafkatest.ClientKeytool},
		{"PKCS12", base("ssl.truststore.type", "PKCS12", "ssl.truststore.location", f.TrustPKCS12, "ssl.truststore.password", kafkatest.StorePassword,
			"ssl.keystore.type", "PKCS12", "ssl.keystore.location", f.KeyPKCS12, "ssl.keystore.password", kafkatest.StorePassword), kafkatest.ClientKeytool},
		// Java ≥ 9 reads PKCS#12 files through the JKS type too (keystore.type.compat).
		{"PKCS12 file with the default JKS type", base("ssl.truststore.location", f.TrustPKCS12, "ssl.truststore.password", kafkatest.StorePassword,
			"ssl.keystore.location", f.KeyPKCS12, "ssl.keystore.password", kafkatest.StorePassword), kafkatest.ClientKeytool},
		{"PEM files", base("ssl.truststore.type", "PEM", "ssl.truststore.location", f.CAFile,
			"ssl.keystore.type", "PEM", "ssl.keystore.location", f.ClientPEM), kafkatest.ClientGoPEM},
		{"PEM strings", base("ssl.truststore.type", "PEM", "ssl.truststore.certificates", readFile(t, f.CAFile),
			"ssl.keystore.type", "PEM", "ssl.keystore.key", f.ClientKeyPEM, "ssl.keystore.certificate.chain", f.ClientCertPEM), kafkatest.ClientGoPEM},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(seen.Names())
			if err := pingWith(t, c.props, noEnv); err != nil {
				t.Fatal(err)
			}
			names := seen.Names()[before:]
			if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return n != c.client }) {
				t.Fatalf("client certificates seen by the broker: %v, want only %s", names, c.client)
			}
		})
	}

	t.Run("password from the dynamic config provider", func(t *testing.T) {
		props := base("ssl.truststore.location", f.TrustJKS, "ssl.keystore.location", f.KeyJKS)
		props["druid.dynamic.config.provider"] = map[string]any{"type": "environment", "variables": map[string]any{
			"ssl.truststore.password": "TRUST_PW", "ssl.keystore.password": "TRUST_PW", "ssl.key.password": "KEY_PW"}}
		env := map[string]string{"TRUST_PW": kafkatest.StorePassword, "KEY_PW": kafkatest.KeyPassword}
		if err := pingWith(t, props, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
			t.Fatal(err)
		}
	})

	for _, c := range []struct {
		name  string
		props map[string]any
		want  string
	}{
		{"wrong JKS store password", base("ssl.keystore.location", f.KeyJKS, "ssl.keystore.password", "nope-123", "ssl.key.password", kafkatest.KeyPassword), "consumerProperties.ssl.keystore.password: wrong password"},
		{"wrong JKS key password", base("ssl.keystore.location", f.KeyJKS, "ssl.keystore.password", kafkatest.StorePassword, "ssl.key.password", "nope-123"), "consumerProperties.ssl.key.password: cannot decrypt key"},
		{"wrong PKCS12 password", base("ssl.truststore.type", "PKCS12", "ssl.truststore.location", f.TrustPKCS12, "ssl.truststore.password", "nope-123"), "consumerProperties.ssl.truststore.password: wrong password"},
		{"missing truststore", base("ssl.truststore.location", filepath.Join(t.TempDir(), "absent.jks"), "ssl.truststore.password", "nope-123"), "consumerProperties.ssl.truststore.location: open "},
		{"PEM file as PKCS12", base("ssl.keystore.type", "PKCS12", "ssl.keystore.location", f.ClientPEM, "ssl.keystore.password", "nope-123"), "consumerProperties.ssl.keystore.location: not a PKCS12 keystore"},
		{"truststore of another CA", base("ssl.truststore.type", "PEM", "ssl.truststore.location", kafkatest.OtherCAFile(t),
			"ssl.keystore.type", "PEM", "ssl.keystore.location", f.ClientPEM), "certificate signed by unknown authority"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := pingWith(t, c.props, noEnv)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "nope-123") {
				t.Fatalf("the error repeats the password: %v", err)
			}
		})
	}
}

// TestClientOptionsEndpointIdentification connects to a broker whose certificate names
// another host: refused by default (ssl.endpoint.identification.algorithm=https), accepted
// with "" as long as the chain verifies.
func TestClientOptionsEndpointIdentification(t *testing.T) {
	f := kafkatest.NewPEM(t)
	srv, _ := f.ServerConfig(t, "broker.example.invalid")
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	props := func(trust string, kv ...string) map[string]any {
		p := map[string]any{"bootstrap.servers": c.ListenAddrs()[0], "security.protocol": "SSL",
			"ssl.truststore.type": "PEM", "ssl.truststore.location": trust, "ssl.keystore.type": "PEM", "ssl.keystore.location": f.ClientPEM}
		for i := 0; i < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	if err := pingWith(t, props(f.CAFile), noEnv); err == nil || !strings.Contains(err.Error(), "cannot validate certificate for 127.0.0.1") {
		t.Fatalf("default host-name verification: err = %v, want a host-name mismatch", err)
	}
	if err := pingWith(t, props(f.CAFile, "ssl.endpoint.identification.algorithm", ""), noEnv); err != nil {
		t.Fatalf("without host-name verification: %v", err)
	}
	if err := pingWith(t, props(kafkatest.OtherCAFile(t), "ssl.endpoint.identification.algorithm", ""), noEnv); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("without host-name verification, untrusted chain: err = %v, want unknown authority", err)
	}
}

// TestClientOptionsSCRAM authenticates with SCRAM-SHA-512 against kfake's own SASL, the
// password coming through the dynamic config provider.
func TestClientOptionsSCRAM(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "ingest", "scram-pw-9"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	props := func(jaasEnv string) map[string]any {
		return map[string]any{"bootstrap.servers": c.ListenAddrs()[0], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512",
			"druid.dynamic.config.provider": map[string]any{"type": "environment", "variables": map[string]any{"sasl.jaas.config": jaasEnv}}}
	}
	env := map[string]string{
		"GOOD": `org.apache.kafka.common.security.scram.ScramLoginModule required username="ingest" password="scram-pw-9";`,
		"BAD":  `org.apache.kafka.common.security.scram.ScramLoginModule required username="ingest" password="wrong-pw";`,
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := pingWith(t, props("GOOD"), getenv); err != nil {
		t.Fatal(err)
	}
	if err := pingWith(t, props("BAD"), getenv); err == nil {
		t.Fatal("a wrong SCRAM password was accepted")
	}
}

// TestClientOptionsOAuthBearer logs in with a token from a client-credentials endpoint; the
// broker side (a kfake hook) accepts only tokens that endpoint issued.
func TestClientOptionsOAuthBearer(t *testing.T) {
	idp := kafkatest.NewOAuth(t, "druid-ingest", "oauth-secret-7", "kafka", 3600)
	tlsIdP := kafkatest.NewOAuthTLS(t, "druid-ingest", "oauth-secret-7", "", 3600)
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var exts []map[string]string
	kafkatest.AcceptSASL(c, "OAUTHBEARER", func(msg []byte) ([]byte, error) {
		tok, ext, err := kafkatest.BearerToken(msg)
		if err != nil {
			return nil, err
		}
		if !idp.Valid(tok) && !tlsIdP.Valid(tok) {
			return nil, fmt.Errorf("token not issued by the identity provider")
		}
		exts = append(exts, ext)
		return nil, nil
	})
	props := func(secret string) map[string]any {
		return map[string]any{"bootstrap.servers": c.ListenAddrs()[0], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
			"sasl.oauthbearer.token.endpoint.url": idp.URL,
			"sasl.login.callback.handler.class":   "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
			"sasl.jaas.config": `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="druid-ingest" clientSecret="` + secret +
				`" scope="kafka" extension_logicalCluster="lkc-1";`}
	}
	if err := pingWith(t, props("oauth-secret-7"), noEnv); err != nil {
		t.Fatal(err)
	}
	if idp.Issued() == 0 || len(exts) == 0 || exts[0]["logicalCluster"] != "lkc-1" {
		t.Fatalf("tokens issued %d, extensions seen %v", idp.Issued(), exts)
	}
	err = pingWith(t, props("wrong-secret"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("wrong client secret: err = %v, want the endpoint's invalid_client without the secret", err)
	}

	// HTTPS: the identity provider is trusted through ssl.* options in the JAAS line.
	https := func(sslOpts string) map[string]any {
		return map[string]any{"bootstrap.servers": c.ListenAddrs()[0], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
			"sasl.oauthbearer.token.endpoint.url": tlsIdP.URL,
			"sasl.jaas.config":                    `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="druid-ingest" clientSecret="oauth-secret-7"` + sslOpts + `;`}
	}
	if err := pingWith(t, https(` ssl.truststore.type="PEM" ssl.truststore.location="`+tlsIdP.CAFile+`"`), noEnv); err != nil {
		t.Fatalf("HTTPS token endpoint with its CA in the JAAS line: %v", err)
	}
	if err := pingWith(t, https(""), noEnv); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("HTTPS token endpoint with system roots: err = %v, want unknown authority", err)
	}

	// file://: the token is read from a file at each login.
	tokFile := filepath.Join(t.TempDir(), "token")
	fileProps := map[string]any{"bootstrap.servers": c.ListenAddrs()[0], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
		"sasl.oauthbearer.token.endpoint.url": "file://" + tokFile,
		"sasl.jaas.config":                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"}
	for _, c := range []struct {
		token string
		ok    bool
	}{{idp.Issue() + "\n", true}, {"not-issued\n", false}} {
		if err := os.WriteFile(tokFile, []byte(c.token), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := pingWith(t, fileProps, noEnv); (err == nil) != c.ok {
			t.Fatalf("token file %q: err = %v, want success %v", c.token, err, c.ok)
		}
	}
}

// TestTokenCacheRefresh checks the cached token is reused until 80% of its lifetime has
// passed, then fetched again.
func TestTokenCacheRefresh(t *testing.T) {
	idp := kafkatest.NewOAuth(t, "id", "secret", "", 100)
	now := time.Unix(1_700_000_000, 0)
	tc := &tokenCache{cfg: &clientcredentials.Config{ClientID: "id", ClientSecret: "secret", TokenURL: idp.URL, AuthStyle: oauth2.AuthStyleInHeader},
		http: http.DefaultClient, now: func() time.Time { return now }}
	ctx := context.Background()
	first, err := tc.token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(79 * time.Second)
	if tok, _ := tc.token(ctx); tok != first || idp.Issued() != 1 {
		t.Fatalf("at 79%% of the lifetime: token %q (first %q), %d issued; want the cached one", tok, first, idp.Issued())
	}
	now = now.Add(2 * time.Second)
	if tok, _ := tc.token(ctx); tok == first || idp.Issued() != 2 {
		t.Fatalf("at 81%% of the lifetime: token %q, %d issued; want a new one", tok, idp.Issued())
	}
}

// TestClientOptionsMSKIAM logs in with AWS_MSK_IAM using credentials from the environment and
// from a named profile; the broker side (a kfake hook) checks the access key and recomputes
// the SigV4 signature with the secret key.
func TestClientOptionsMSKIAM(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[msk-reader]\naws_access_key_id = AKIAPROFILE0000001\naws_secret_access_key = profile-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAENV00000000001", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-session",
		"AWS_REGION": "eu-west-1", "AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	secrets := map[string]string{"AKIAENV00000000001": "env-secret", "AKIAPROFILE0000001": "profile-secret"}
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var seen []map[string]string
	kafkatest.AcceptSASL(c, "AWS_MSK_IAM", func(msg []byte) ([]byte, error) {
		var p map[string]string
		if err := json.Unmarshal(msg, &p); err != nil {
			return nil, err
		}
		if err := checkMSKSignature(p, secrets); err != nil {
			return nil, err
		}
		seen = append(seen, p)
		return []byte(`{"version":"2020_10_22","request-id":"test"}`), nil
	})
	props := func(jaas string) map[string]any {
		return map[string]any{"bootstrap.servers": c.ListenAddrs()[0], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "AWS_MSK_IAM",
			"sasl.jaas.config":                   jaas,
			"sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler"}
	}
	if err := pingWith(t, props("software.amazon.msk.auth.iam.IAMLoginModule required;"), noEnv); err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || !strings.HasPrefix(seen[0]["x-amz-credential"], "AKIAENV00000000001/") || seen[0]["x-amz-security-token"] != "env-session" {
		t.Fatalf("environment credentials: broker saw %v", seen)
	}
	seen = nil
	if err := pingWith(t, props(`software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="msk-reader";`), noEnv); err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || !strings.HasPrefix(seen[0]["x-amz-credential"], "AKIAPROFILE0000001/") {
		t.Fatalf("profile credentials: broker saw %v", seen)
	}
	if err := pingWith(t, props(`software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="absent";`), noEnv); err == nil || !strings.Contains(err.Error(), "consumerProperties.sasl.jaas.config") {
		t.Fatalf("unknown profile: err = %v", err)
	}

	// awsRoleArn: the environment credentials assume the role through STS (a loopback server
	// speaking STS's query protocol), and the broker sees the role's credentials.
	var assumed []url.Values
	stsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "AssumeRole" ||
			!strings.Contains(r.Header.Get("Authorization"), "Credential=AKIAENV00000000001/") {
			http.Error(w, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>", http.StatusForbidden)
			return
		}
		assumed = append(assumed, r.PostForm)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>`+
			`<AccessKeyId>ASIAROLE0000000001</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-session</SessionToken>`+
			`<Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>%s/s</Arn><AssumedRoleId>AROA1:s</AssumedRoleId></AssumedRoleUser>`+
			`</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339), r.PostForm.Get("RoleArn"))
	}))
	t.Cleanup(stsSrv.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", stsSrv.URL)
	secrets["ASIAROLE0000000001"] = "role-secret"
	seen = nil
	const role = "arn:aws:iam::123456789012:role/msk_client_role"
	if err := pingWith(t, props(`software.amazon.msk.auth.iam.IAMLoginModule required awsRoleArn="`+role+`" awsRoleSessionName="druid-ingest";`), noEnv); err != nil {
		t.Fatal(err)
	}
	if len(assumed) == 0 || assumed[0].Get("RoleArn") != role || assumed[0].Get("RoleSessionName") != "druid-ingest" {
		t.Fatalf("AssumeRole requests: %v", assumed)
	}
	if len(seen) == 0 || !strings.HasPrefix(seen[0]["x-amz-credential"], "ASIAROLE0000000001/") || seen[0]["x-amz-security-token"] != "role-session" {
		t.Fatalf("role credentials: broker saw %v", seen)
	}
}

// checkMSKSignature verifies an AWS_MSK_IAM payload the way the broker does: the SigV4
// presigned-request signature of kafka-cluster:Connect over the host header.
func checkMSKSignature(p map[string]string, secrets map[string]string) error {
	if p["version"] != "2020_10_22" || p["action"] != "kafka-cluster:Connect" || p["x-amz-algorithm"] != "AWS4-HMAC-SHA256" {
		return fmt.Errorf("unexpected payload header %v", p)
	}
	cred := strings.Split(p["x-amz-credential"], "/") // key/date/region/service/aws4_request
	if len(cred) != 5 || cred[3] != "kafka-cluster" {
		return fmt.Errorf("bad credential scope %q", p["x-amz-credential"])
	}
	secret, ok := secrets[cred[0]]
	if !ok {
		return fmt.Errorf("unknown access key")
	}
	q := url.Values{}
	for k, v := range p {
		switch k {
		case "version", "host", "user-agent", "x-amz-signature":
			continue
		case "action":
			k = "Action"
		case "x-amz-signedheaders":
			k = "X-Amz-SignedHeaders"
		default:
			// x-amz-date → X-Amz-Date
			parts := strings.Split(k, "-")
			for i, s := range parts {
				parts[i] = strings.ToUpper(s[:1]) + s[1:]
			}
			k = strings.Join(parts, "-")
		}
		q.Set(k, v)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var qs []string
	for _, k := range keys {
		qs = append(qs, url.QueryEscape(k)+"="+strings.ReplaceAll(url.QueryEscape(q.Get(k)), "+", "%20"))
	}
	empty := sha256.Sum256(nil)
	canonical := strings.Join([]string{"GET", "/", strings.Join(qs, "&"), "host:" + p["host"], "", "host", hex.EncodeToString(empty[:])}, "\n")
	ch := sha256.Sum256([]byte(canonical))
	scope := strings.Join(cred[1:], "/")
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", p["x-amz-date"], scope, hex.EncodeToString(ch[:])}, "\n")
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), cred[1])
	k = mac(k, cred[2])
	k = mac(k, cred[3])
	k = mac(k, "aws4_request")
	if want := hex.EncodeToString(mac(k, toSign)); p["x-amz-signature"] != want {
		return fmt.Errorf("signature mismatch")
	}
	return nil
}

// TestIgnoredConsumerProperties lists Java-only properties, including those the dynamic config
// provider supplies, and leaves mapped ones out.
func TestIgnoredConsumerProperties(t *testing.T) {
	got := IgnoredConsumerProperties(map[string]any{
		"bootstrap.servers": "b:9092", "isolation.level": "read_committed", "fetch.max.bytes": 1000, "group.id": "g",
		"client.dns.lookup": "use_all_dns_ips", "ssl.keymanager.algorithm": "SunX509", "reconnect.backoff.ms": 50,
		"druid.dynamic.config.provider": map[string]any{"type": "environment", "variables": map[string]any{"sasl.jaas.config": "J", "metadata.max.age.ms": "M"}},
	})
	want := []string{"client.dns.lookup", "metadata.max.age.ms", "reconnect.backoff.ms", "ssl.keymanager.algorithm"}
	if !slices.Equal(got, want) {
		t.Fatalf("ignored = %v, want %v", got, want)
	}
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
