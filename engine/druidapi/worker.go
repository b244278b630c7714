package druidapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// WorkerConfigKey is the name Druid keeps the worker behaviour config under in druid_config
// and druid_audit (WorkerBehaviorConfig.CONFIG_KEY).
const WorkerConfigKey = "worker.config"

// Worker select strategies (WorkerSelectStrategy types) that kafka-indexer's leader applies.
const (
	// EqualDistribution places a task on the live worker with the most free slots.
	EqualDistribution = "equalDistribution"
	// FillCapacity places a task on the busiest live worker that still has a free slot.
	FillCapacity = "fillCapacity"
)

// WorkerBehaviorConfig is Druid's DefaultWorkerBehaviorConfig, the body of GET and POST
// /druid/indexer/v1/worker: {"type":"default","selectStrategy":{"type":…},"autoScaler":null}.
type WorkerBehaviorConfig struct {
	Type           string               `json:"type"`
	SelectStrategy WorkerSelectStrategy `json:"selectStrategy"`
	// AutoScaler is always null: the workers are the nodes started with the worker role.
	AutoScaler json.RawMessage `json:"autoScaler"`
}

// WorkerSelectStrategy is Druid's WorkerSelectStrategy, of the types this engine applies.
type WorkerSelectStrategy struct {
	Type string `json:"type"`
}

// DefaultWorkerBehaviorConfig is the config that applies when none is stored: strategy (the
// --worker-select-strategy) and no autoscaler.
func DefaultWorkerBehaviorConfig(strategy string) WorkerBehaviorConfig {
	return WorkerBehaviorConfig{Type: "default", SelectStrategy: WorkerSelectStrategy{Type: strategy}, AutoScaler: json.RawMessage("null")}
}

// druidOnlyStrategies are Druid's other strategy types: known, not applied here.
var druidOnlyStrategies = map[string]bool{
	"fillCapacityWithAffinity": true, "equalDistributionWithCategorySpec": true,
	"fillCapacityWithCategorySpec": true, "javascript": true,
}

// ParseWorkerBehaviorConfig decodes and checks a POST /worker body the way Druid's Jackson
// types read it (a missing type is "default", a missing or typeless selectStrategy is
// equalDistribution), and refuses what this engine would not apply, naming the field: a
// strategy other than equalDistribution and fillCapacity, an affinityConfig, an autoscaler,
// unknown fields.
func ParseWorkerBehaviorConfig(b []byte) (WorkerBehaviorConfig, error) {
	top, err := jsonObject(b, "")
	if err != nil {
		return WorkerBehaviorConfig{}, err
	}
	cfg := DefaultWorkerBehaviorConfig(EqualDistribution)
	for _, k := range slices.Sorted(maps.Keys(top)) {
		v := top[k]
		switch k {
		case "type":
			var typ string
			if err := json.Unmarshal(v, &typ); err != nil {
				return cfg, fmt.Errorf("type: must be a string")
			}
			if typ != "default" {
				return cfg, fmt.Errorf("type: %q is not supported; the worker behaviour config is of type \"default\"", typ)
			}
		case "selectStrategy":
			if isNull(v) {
				continue
			}
			st, err := jsonObject(v, "selectStrategy")
			if err != nil {
				return cfg, err
			}
			// The type first: an unsupported strategy is named before its own fields are.
			keys := slices.Sorted(maps.Keys(st))
			if _, ok := st["type"]; ok {
				keys = append([]string{"type"}, slices.DeleteFunc(keys, func(k string) bool { return k == "type" })...)
			}
			for _, sk := range keys {
				sv := st[sk]
				switch sk {
				case "type":
					var typ string
					if err := json.Unmarshal(sv, &typ); err != nil {
						return cfg, fmt.Errorf("selectStrategy.type: must be a string")
					}
					switch {
					case typ == EqualDistribution || typ == FillCapacity:
						cfg.SelectStrategy.Type = typ
					case druidOnlyStrategies[typ]:
						return cfg, fmt.Errorf("selectStrategy.type: %q is not supported; use %q or %q (every worker here has the default category and no affinity)", typ, EqualDistribution, FillCapacity)
					default:
						return cfg, fmt.Errorf("selectStrategy.type: %q is not a worker select strategy; use %q or %q", typ, EqualDistribution, FillCapacity)
					}
				case "affinityConfig":
					if !isNull(sv) {
						return cfg, fmt.Errorf("selectStrategy.affinityConfig: not supported; every worker takes tasks of every datasource")
					}
				default:
					return cfg, fmt.Errorf("selectStrategy.%s: unknown field", sk)
				}
			}
		case "autoScaler":
			if !isNull(v) {
				return cfg, fmt.Errorf("autoScaler: not supported; must be null (the workers are the nodes started with the worker role)")
			}
		default:
			return cfg, fmt.Errorf("%s: unknown field", k)
		}
	}
	return cfg, nil
}

// jsonObject decodes b as one JSON object; path names it in errors ("" for the body).
func jsonObject(b []byte, path string) (map[string]json.RawMessage, error) {
	name := path
	if name == "" {
		name = "body"
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: must be a JSON object: %v", name, strings.TrimPrefix(err.Error(), "json: "))
	}
	if m == nil {
		return nil, fmt.Errorf("%s: must be a JSON object, not null", name)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: unexpected data after the JSON object", name)
	}
	return m, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }
