package spec

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestValidateSecurityProperties checks the consumer properties that can be judged before a
// client exists: each bad value is refused with the path of its key, and secrets given
// through providers are left for task start.
func TestValidateSecurityProperties(t *testing.T) {
	spec := func(props map[string]any) []byte {
		props["bootstrap.servers"] = "b:9092"
		b, _ := json.Marshal(map[string]any{"type": "kafka", "dataSchema": map[string]any{"dataSource": "d"},
			"ioConfig": map[string]any{"topic": "t", "inputFormat": map[string]any{"type": "json"}, "consumerProperties": props}})
		return b
	}
	const scram = `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="secret-pw";`
	const oauth = `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="c" clientSecret="secret-pw";`
	tests := []struct {
		name  string
		props map[string]any
		want  string // empty: accepted
	}{
		{"SCRAM", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": scram}, ""},
		{"OAUTHBEARER", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.jaas.config": oauth, "sasl.oauthbearer.token.endpoint.url": "https://idp/token"}, ""},
		{"MSK IAM", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "AWS_MSK_IAM", "sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;"}, ""},
		{"stores", map[string]any{"security.protocol": "SSL", "ssl.keystore.type": "pkcs12", "ssl.truststore.type": "JKS", "ssl.endpoint.identification.algorithm": ""}, ""},
		{"jaas from the dynamic provider", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
			DynamicConfigProviderKey: map[string]any{"type": "environment", "variables": map[string]any{"sasl.jaas.config": "JAAS"}}}, ""},
		{"Java-only property", map[string]any{"client.dns.lookup": "use_all_dns_ips", "reconnect.backoff.ms": 50}, ""},

		{"unknown protocol", map[string]any{"security.protocol": "TLS"}, `ioConfig.consumerProperties.security.protocol: unknown protocol "TLS"`},
		{"GSSAPI", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI"}, "ioConfig.consumerProperties.sasl.mechanism: Kerberos (GSSAPI) is not supported"},
		{"unknown mechanism", map[string]any{"sasl.mechanism": "SCRAM-SHA-1"}, `ioConfig.consumerProperties.sasl.mechanism: unsupported mechanism "SCRAM-SHA-1"`},
		{"jaas without SASL", map[string]any{"sasl.jaas.config": "not a JAAS line"}, ""},
		{"jaas without ;", map[string]any{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="secret-pw"`}, "ioConfig.consumerProperties.sasl.jaas.config: must end with ';'"},
		{"jaas without username", map[string]any{"security.protocol": "SASL_SSL", "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required password="secret-pw";`}, "ioConfig.consumerProperties.sasl.jaas.config: no username found"},
		{"jaas bad flag", map[string]any{"security.protocol": "SASL_SSL", "sasl.jaas.config": `x.PlainLoginModule mandatory username="u";`}, `ioConfig.consumerProperties.sasl.jaas.config: unknown login module flag "mandatory"`},
		{"OAUTHBEARER without endpoint", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.jaas.config": oauth}, "ioConfig.consumerProperties.sasl.oauthbearer.token.endpoint.url: missing"},
		{"OAUTHBEARER bad endpoint", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.jaas.config": oauth, "sasl.oauthbearer.token.endpoint.url": "idp:443"}, "ioConfig.consumerProperties.sasl.oauthbearer.token.endpoint.url: must be an http(s):// or file:// URL"},
		{"OAUTHBEARER without clientId", map[string]any{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.token.endpoint.url": "https://idp/token",
			"sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"}, "ioConfig.consumerProperties.sasl.jaas.config: OAUTHBEARER needs clientId"},
		{"unknown keystore type", map[string]any{"ssl.keystore.type": "BKS"}, `ioConfig.consumerProperties.ssl.keystore.type: unknown store type "BKS"`},
		{"unknown truststore type", map[string]any{"ssl.truststore.type": "JCEKS"}, `ioConfig.consumerProperties.ssl.truststore.type: unknown store type "JCEKS"`},
		{"endpoint identification", map[string]any{"ssl.endpoint.identification.algorithm": "http"}, "ioConfig.consumerProperties.ssl.endpoint.identification.algorithm: must be"},
		{"PEM key without chain", map[string]any{"ssl.keystore.type": "PEM", "ssl.keystore.key": "-----BEGIN PRIVATE KEY-----"}, "ioConfig.consumerProperties.ssl.keystore.key: ssl.keystore.key and ssl.keystore.certificate.chain go together"},
		{"PEM key with JKS type", map[string]any{"ssl.keystore.key": "k", "ssl.keystore.certificate.chain": "c"}, "ioConfig.consumerProperties.ssl.keystore.type: must be PEM"},
		{"PEM certificates and location", map[string]any{"ssl.truststore.type": "PEM", "ssl.truststore.certificates": "c", "ssl.truststore.location": "/x.pem"}, "ioConfig.consumerProperties.ssl.truststore.location: cannot be combined"},
		{"fetch.max.bytes", map[string]any{"fetch.max.bytes": "lots"}, `ioConfig.consumerProperties.fetch.max.bytes: must be a positive integer, got "lots"`},
		{"request.timeout.ms", map[string]any{"request.timeout.ms": 0}, `ioConfig.consumerProperties.request.timeout.ms: must be a positive integer, got "0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(spec(tt.props))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "secret-pw"):
				t.Fatalf("the error repeats a secret: %v", err)
			}
		})
	}
}

func TestParseJAAS(t *testing.T) {
	j, err := ParseJAAS(` org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule Required clientId="a b" clientSecret='s\'q' scope=kafka extension_x="1";`)
	if err != nil {
		t.Fatal(err)
	}
	if j.Module != "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule" || j.Flag != "required" ||
		j.Options["clientId"] != "a b" || j.Options["clientSecret"] != "s'q" || j.Options["scope"] != "kafka" || j.Options["extension_x"] != "1" {
		t.Fatalf("parsed %+v", j)
	}
	for _, bad := range []string{`M required a="1"`, `M required a=;`, `M required a="1;`, `M;`, `M required ="1";`} {
		if _, err := ParseJAAS(bad); err == nil {
			t.Errorf("ParseJAAS(%q) accepted", bad)
		}
	}
}
