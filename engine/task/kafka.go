package task

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// ClientOptions turns Kafka consumer properties (Java client names, as Druid passes them to
// KafkaConsumer) into franz-go options. Secrets from the dynamic config provider and password
// providers are resolved here, at client creation, and nowhere else. Properties the engine
// does not map are ignored (IgnoredConsumerProperties lists them, for a warning).
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

// mappedConsumerProperties are the consumer properties ClientOptions turns into client
// settings.
var mappedConsumerProperties = []string{
	"bootstrap.servers", "isolation.level", "client.id",
	"fetch.max.bytes", "max.partition.fetch.bytes", "fetch.max.wait.ms", "request.timeout.ms",
	"security.protocol",
	"sasl.mechanism", "sasl.jaas.config", "sasl.username", "sasl.password",
	"sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.scope",
	"sasl.oauthbearer.client.credentials.client.id", "sasl.oauthbearer.client.credentials.client.secret",
	"ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.certificates",
	"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
	"ssl.keystore.key", "ssl.keystore.certificate.chain",
	"ssl.endpoint.identification.algorithm",
	"ssl.ca.location", "ssl.certificate.location", "ssl.key.location",
}

// quietConsumerProperties are ignored without a warning: Druid itself overrides them (the
// deserializers, auto commit, auto.offset.reset, group.id), or they only name the Java class
// implementing a mechanism the engine implements natively.
var quietConsumerProperties = []string{
	"key.deserializer", "value.deserializer", "enable.auto.commit", "auto.offset.reset", "group.id",
	"sasl.login.callback.handler.class", "sasl.client.callback.handler.class",
}

// IgnoredConsumerProperties lists, sorted, the consumer properties (including those the
// dynamic config provider supplies) that only the Java client would use, so a supervisor can
// warn about them once. Values are never read.
func IgnoredConsumerProperties(props map[string]any) []string {
	var out []string
	for _, k := range spec.ConsumerPropertyKeys(props) {
		if k != spec.DynamicConfigProviderKey && !slices.Contains(mappedConsumerProperties, k) && !slices.Contains(quietConsumerProperties, k) {
			out = append(out, k)
		}
	}
	return out
}
