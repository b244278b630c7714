package spec

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// DynamicConfigProviderKey is the consumerProperties key that names a dynamic config provider
// (Druid's DynamicConfigProvider): {"type":"environment","variables":{"sasl.jaas.config":"ENV"}}.
// Its values are resolved only when a Kafka client is created, and never echoed resolved.
const DynamicConfigProviderKey = "druid.dynamic.config.provider"

type dynamicProvider struct {
	Type      string            `json:"type"`
	Variables map[string]string `json:"variables"`
}

func parseDynamicProvider(v any) (*dynamicProvider, error) {
	b, _ := json.Marshal(v)
	var p dynamicProvider
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("must be an object {\"type\":\"environment\",\"variables\":{…}}")
	}
	return &p, nil
}

func validateDynamicProvider(v any) error {
	const path = "ioConfig.consumerProperties." + DynamicConfigProviderKey
	p, err := parseDynamicProvider(v)
	if err != nil {
		return fieldErr(path, err.Error())
	}
	if p.Type != "environment" {
		return fieldErr(path+".type", fmt.Sprintf("unknown dynamic config provider %q (expected \"environment\")", p.Type))
	}
	for k, env := range p.Variables {
		if env == "" {
			return fieldErr(path+".variables."+k, "must name an environment variable")
		}
	}
	return nil
}

func dynamicProvides(props map[string]any, key string) bool {
	p, err := parseDynamicProvider(props[DynamicConfigProviderKey])
	if err != nil {
		return false
	}
	_, ok := p.Variables[key]
	return ok
}

// ResolveConsumerProperties turns consumerProperties into the flat string map a Kafka client
// needs: values become strings, password-provider objects ({"type":"default","password":…} or
// {"type":"environment","variable":…}) and the dynamic config provider's variables are looked up
// with getenv. Call it only when creating a client, and never store or echo the result.
func ResolveConsumerProperties(props map[string]any, getenv func(string) (string, bool)) (map[string]string, error) {
	return ResolveProperties("consumerProperties", props, getenv)
}

// ResolveProperties is ResolveConsumerProperties for any map Druid resolves the same way (a
// schema registry decoder's config and headers, say); path prefixes its errors.
func ResolveProperties(path string, props map[string]any, getenv func(string) (string, bool)) (map[string]string, error) {
	out := make(map[string]string, len(props))
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == DynamicConfigProviderKey {
			continue
		}
		v, err := propertyString(path, k, props[k], getenv)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	if raw, ok := props[DynamicConfigProviderKey]; ok {
		p, err := parseDynamicProvider(raw)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %v", path, DynamicConfigProviderKey, err)
		}
		for k, env := range p.Variables {
			v, ok := getenv(env)
			if !ok {
				return nil, fmt.Errorf("%s.%s: environment variable %s (for %s) is not set", path, DynamicConfigProviderKey, env, k)
			}
			out[k] = v
		}
	}
	return out, nil
}

func propertyString(path, key string, v any, getenv func(string) (string, bool)) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		return x.String(), nil
	case nil:
		return "", nil
	case map[string]any:
		switch x["type"] {
		case "default":
			s, _ := x["password"].(string)
			return s, nil
		case "environment":
			name, _ := x["variable"].(string)
			s, ok := getenv(name)
			if !ok {
				return "", fmt.Errorf("%s.%s: environment variable %s is not set", path, key, name)
			}
			return s, nil
		}
	}
	return "", fmt.Errorf("%s.%s: unsupported value %s", path, key, describe(v))
}

// SASLMechanisms are the sasl.mechanism values the engine speaks.
var SASLMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "AWS_MSK_IAM"}

// StoreTypes are the ssl.keystore.type and ssl.truststore.type values the engine reads.
var StoreTypes = []string{"JKS", "PKCS12", "PEM"}

// consumerIntProperties are the numeric consumer properties the engine maps onto its client.
var consumerIntProperties = []string{"fetch.max.bytes", "max.partition.fetch.bytes", "fetch.max.wait.ms", "request.timeout.ms"}

// validateSecurityProperties checks what can be checked before any client exists: the names
// of protocols, mechanisms and store types, the shape of the JAAS line, and which properties go
// together. Values given through a password provider or the dynamic config provider are only
// known when a task starts, so they are checked there. Messages never repeat a value that may
// be secret.
func validateSecurityProperties(props map[string]any) error {
	const path = "ioConfig.consumerProperties."
	lit := func(k string) (string, bool) {
		switch v := props[k].(type) {
		case string:
			return v, true
		case float64, bool, json.Number:
			s, _ := propertyString("consumerProperties", k, v, nil)
			return s, true
		}
		return "", false
	}
	given := func(k string) bool {
		_, ok := props[k]
		return ok || dynamicProvides(props, k)
	}
	for _, k := range consumerIntProperties {
		if v, ok := lit(k); ok {
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				return fieldErr(path+k, fmt.Sprintf("must be a positive integer, got %q", v))
			}
		}
	}
	proto, _ := lit("security.protocol")
	proto = strings.ToUpper(proto)
	switch proto {
	case "", "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL":
	default:
		return fieldErr(path+"security.protocol", fmt.Sprintf("unknown protocol %q (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)", proto))
	}
	mech, _ := lit("sasl.mechanism")
	mech = strings.ToUpper(mech)
	switch {
	case mech == "" || slices.Contains(SASLMechanisms, mech):
	case mech == "GSSAPI":
		return fieldErr(path+"sasl.mechanism", "Kerberos (GSSAPI) is not supported; use one of "+strings.Join(SASLMechanisms, ", "))
	default:
		return fieldErr(path+"sasl.mechanism", fmt.Sprintf("unsupported mechanism %q (%s)", mech, strings.Join(SASLMechanisms, ", ")))
	}
	// Like the Java client, the JAAS line is read only for a SASL protocol.
	if jaas, ok := lit("sasl.jaas.config"); ok && strings.HasPrefix(proto, "SASL") {
		j, err := ParseJAAS(jaas)
		if err != nil {
			return fieldErr(path+"sasl.jaas.config", err.Error())
		}
		if (mech == "" || mech == "PLAIN" || strings.HasPrefix(mech, "SCRAM")) &&
			j.Options["username"] == "" && !given("sasl.username") {
			return fieldErr(path+"sasl.jaas.config", "no username found (…LoginModule required username=\"…\" password=\"…\";)")
		}
		if mech == "OAUTHBEARER" && j.Options["clientId"] == "" && !given("sasl.oauthbearer.client.credentials.client.id") && !isFileURL(props["sasl.oauthbearer.token.endpoint.url"]) {
			return fieldErr(path+"sasl.jaas.config", "OAUTHBEARER needs clientId (OAuthBearerLoginModule required clientId=\"…\" clientSecret=\"…\";)")
		}
	}
	if mech == "OAUTHBEARER" && strings.HasPrefix(proto, "SASL") {
		const k = "sasl.oauthbearer.token.endpoint.url"
		if !given(k) {
			return fieldErr(path+k, "missing (OAUTHBEARER needs the token endpoint of the identity provider)")
		}
		if v, ok := lit(k); ok {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") {
				return fieldErr(path+k, "must be an http(s):// or file:// URL")
			}
		}
	}
	for _, k := range []string{"ssl.keystore.type", "ssl.truststore.type"} {
		if v, ok := lit(k); ok && !slices.Contains(StoreTypes, strings.ToUpper(v)) {
			return fieldErr(path+k, fmt.Sprintf("unknown store type %q (JKS, PKCS12 or PEM)", v))
		}
	}
	if v, ok := lit("ssl.endpoint.identification.algorithm"); ok && v != "" && !strings.EqualFold(v, "https") {
		return fieldErr(path+"ssl.endpoint.identification.algorithm", fmt.Sprintf("must be \"https\" (verify the broker's host name) or \"\" (do not), got %q", v))
	}
	ksType, _ := lit("ssl.keystore.type")
	tsType, _ := lit("ssl.truststore.type")
	if given("ssl.keystore.certificate.chain") != given("ssl.keystore.key") {
		return fieldErr(path+"ssl.keystore.key", "ssl.keystore.key and ssl.keystore.certificate.chain go together (PEM strings of the key and its certificates)")
	}
	if given("ssl.keystore.key") {
		if !strings.EqualFold(ksType, "PEM") {
			return fieldErr(path+"ssl.keystore.type", "must be PEM when ssl.keystore.key is given")
		}
		if given("ssl.keystore.location") {
			return fieldErr(path+"ssl.keystore.location", "cannot be combined with ssl.keystore.key; use one of them")
		}
	}
	if given("ssl.truststore.certificates") {
		if !strings.EqualFold(tsType, "PEM") {
			return fieldErr(path+"ssl.truststore.type", "must be PEM when ssl.truststore.certificates is given")
		}
		if given("ssl.truststore.location") {
			return fieldErr(path+"ssl.truststore.location", "cannot be combined with ssl.truststore.certificates; use one of them")
		}
	}
	return nil
}

func isFileURL(v any) bool {
	s, _ := v.(string)
	return strings.HasPrefix(s, "file:")
}

// ConsumerPropertyKeys lists, sorted, the keys of consumerProperties together with those the
// dynamic config provider supplies, without resolving any value.
func ConsumerPropertyKeys(props map[string]any) []string {
	keys := map[string]bool{}
	for k := range props {
		keys[k] = true
	}
	if p, err := parseDynamicProvider(props[DynamicConfigProviderKey]); err == nil && props[DynamicConfigProviderKey] != nil {
		for k := range p.Variables {
			keys[k] = true
		}
	}
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
