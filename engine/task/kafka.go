package task

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// ClientOptions turns Kafka consumer properties (Java client names, as Druid passes them to
// KafkaConsumer) into franz-go options. Secrets from the dynamic config provider and password
// providers are resolved here, at client creation, and nowhere else. Properties that only
// matter to the Java client (deserializers, group.id, auto.offset.reset…) are ignored.
func ClientOptions(props map[string]any, getenv func(string) (string, bool)) ([]kgo.Opt, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	p, err := spec.ResolveConsumerProperties(props, getenv)
	if err != nil {
		return nil, err
	}
	brokers := splitList(p["bootstrap.servers"])
	if len(brokers) == 0 {
		return nil, fmt.Errorf("consumerProperties.bootstrap.servers: missing")
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		// Druid reads committed data only unless told otherwise.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Never silently jump to another offset: an out-of-range offset must surface so the
		// task can fail or reset as resetOffsetAutomatically says.
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		// Modest fetch buffers: 2 MiB is ~10,000 rows of a partition per fetch, plenty to keep a
		// task busy, while franz-go's defaults would hold ~10× more memory per task.
		kgo.FetchMaxBytes(16 << 20),
		kgo.FetchMaxPartitionBytes(2 << 20),
	}
	if v := p["isolation.level"]; v == "read_uncommitted" {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	}
	if v := p["client.id"]; v != "" {
		opts = append(opts, kgo.ClientID(v))
	}
	for _, n := range []struct {
		key string
		opt func(int) kgo.Opt
	}{
		{"fetch.max.bytes", func(n int) kgo.Opt { return kgo.FetchMaxBytes(int32(n)) }},
		{"max.partition.fetch.bytes", func(n int) kgo.Opt { return kgo.FetchMaxPartitionBytes(int32(n)) }},
		{"fetch.max.wait.ms", func(n int) kgo.Opt { return kgo.FetchMaxWait(time.Duration(n) * time.Millisecond) }},
		{"request.timeout.ms", func(n int) kgo.Opt { return kgo.RequestTimeoutOverhead(time.Duration(n) * time.Millisecond) }},
	} {
		if v, ok := p[n.key]; ok {
			i, err := strconv.Atoi(v)
			if err != nil || i <= 0 {
				return nil, fmt.Errorf("consumerProperties.%s: %q is not a positive integer", n.key, v)
			}
			opts = append(opts, n.opt(i))
		}
	}
	proto := strings.ToUpper(p["security.protocol"])
	switch proto {
	case "", "PLAINTEXT":
	case "SSL", "SASL_SSL", "SASL_PLAINTEXT":
	default:
		return nil, fmt.Errorf("consumerProperties.security.protocol: unknown protocol %q (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)", p["security.protocol"])
	}
	if proto == "SSL" || proto == "SASL_SSL" {
		cfg, err := tlsConfig(p)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if strings.HasPrefix(proto, "SASL") {
		m, err := saslMechanism(p)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

func splitList(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// tlsConfig builds TLS settings. Java keystores cannot be read here, so PEM files are named
// with librdkafka's property names (ssl.ca.location, ssl.certificate.location,
// ssl.key.location); ssl.endpoint.identification.algorithm="" turns host verification off.
func tlsConfig(p map[string]string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca := p["ssl.ca.location"]; ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("consumerProperties.ssl.ca.location: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("consumerProperties.ssl.ca.location: no PEM certificates in %s", ca)
		}
		cfg.RootCAs = pool
	}
	if cert, key := p["ssl.certificate.location"], p["ssl.key.location"]; cert != "" || key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("consumerProperties.ssl.certificate.location/ssl.key.location: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if v, ok := p["ssl.endpoint.identification.algorithm"]; ok && v == "" {
		cfg.InsecureSkipVerify = true
	}
	if p["ssl.truststore.location"] != "" || p["ssl.keystore.location"] != "" {
		return nil, fmt.Errorf("consumerProperties.ssl.truststore.location: Java keystores are not supported; give PEM files as ssl.ca.location, ssl.certificate.location and ssl.key.location")
	}
	return cfg, nil
}

var jaasField = regexp.MustCompile(`(username|password)\s*=\s*"([^"]*)"|(username|password)\s*=\s*'([^']*)'`)

// saslMechanism reads sasl.mechanism and the credentials from sasl.jaas.config
// (… PlainLoginModule required username="u" password="p";) or from sasl.username/sasl.password.
func saslMechanism(p map[string]string) (sasl.Mechanism, error) {
	user, pass := p["sasl.username"], p["sasl.password"]
	for _, m := range jaasField.FindAllStringSubmatch(p["sasl.jaas.config"], -1) {
		key, val := m[1], m[2]
		if key == "" {
			key, val = m[3], m[4]
		}
		if key == "username" {
			user = val
		} else {
			pass = val
		}
	}
	if user == "" {
		return nil, fmt.Errorf("consumerProperties.sasl.jaas.config: no username found")
	}
	switch mech := strings.ToUpper(p["sasl.mechanism"]); mech {
	case "", "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	default:
		return nil, fmt.Errorf("consumerProperties.sasl.mechanism: unsupported mechanism %q (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", p["sasl.mechanism"])
	}
}
