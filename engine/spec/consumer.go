package spec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
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
