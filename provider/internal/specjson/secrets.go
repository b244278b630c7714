package specjson

import (
	"encoding/json"
	"fmt"
	"strings"
)

// LooksSecret reports whether a Kafka consumer property usually carries a
// credential (sasl.jaas.config, ssl.key.password, ...). Such properties are
// removed from every spec the provider stores, and the provider warns when a
// spec declares one in clear.
func LooksSecret(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"password", "secret", "jaas", "token", "credential"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// ioConfigs returns the ioConfig objects of a decoded spec: the top-level
// one and the one inside "spec", whichever exist.
func ioConfigs(top map[string]any) []map[string]any {
	var out []map[string]any
	if io, ok := top["ioConfig"].(map[string]any); ok {
		out = append(out, io)
	}
	if inner, ok := top["spec"].(map[string]any); ok {
		if io, ok := inner["ioConfig"].(map[string]any); ok {
			out = append(out, io)
		}
	}
	return out
}

// Prepare builds the body to POST from the user's spec: secrets are merged
// into ioConfig.consumerProperties (overriding keys of the same name) and the
// top-level "suspended" flag is set, because posting a spec without it
// resumes a suspended supervisor (Druid's SeekableStreamSupervisorSpec).
func Prepare(raw string, secrets map[string]string, suspended bool) (json.RawMessage, error) {
	v, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("spec must be a JSON object, got %s", kind(v))
	}
	if len(secrets) > 0 {
		ios := ioConfigs(top)
		if len(ios) == 0 {
			return nil, fmt.Errorf("spec has no ioConfig to merge consumer secrets into")
		}
		for _, io := range ios {
			cp, _ := io["consumerProperties"].(map[string]any)
			if cp == nil {
				cp = map[string]any{}
				io["consumerProperties"] = cp
			}
			for k, s := range secrets {
				cp[k] = s
			}
		}
	}
	top["suspended"] = suspended
	s, err := Marshal(top)
	return json.RawMessage(s), err
}

// Redact removes from the decoded spec v (any shape) every consumer property
// named in keys or that LooksSecret, so the server's echo can be stored in
// state without credentials in clear. It returns v.
func Redact(v any, keys map[string]bool) any {
	top, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, io := range ioConfigs(top) {
		cp, _ := io["consumerProperties"].(map[string]any)
		for k := range cp {
			if keys[k] || LooksSecret(k) {
				delete(cp, k)
			}
		}
	}
	return v
}

// ConsumerProperties returns the string-valued ioConfig.consumerProperties of
// a normalised spec.
func ConsumerProperties(d Doc) map[string]string {
	out := map[string]string{}
	io, _ := d["ioConfig"].(map[string]any)
	cp, _ := io["consumerProperties"].(map[string]any)
	for k, v := range cp {
		switch t := v.(type) {
		case string:
			out[k] = t
		default:
			out[k] = fmt.Sprint(t)
		}
	}
	return out
}

// Suspended reports the top-level "suspended" flag of a spec echo.
func Suspended(raw string) bool {
	v, err := Parse(raw)
	if err != nil {
		return false
	}
	top, _ := v.(map[string]any)
	b, _ := top["suspended"].(bool)
	return b
}

// DataSource returns dataSchema.dataSource of a normalised spec.
func DataSource(d Doc) string {
	ds, _ := d["dataSchema"].(map[string]any)
	s, _ := ds["dataSource"].(string)
	return s
}

// ID returns the supervisor id a spec gets: the top-level "id" when set
// (Druid ≥ 34), else the datasource.
func ID(d Doc) string {
	if s, ok := d["id"].(string); ok && s != "" {
		return s
	}
	return DataSource(d)
}
