package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// UnknownFields says what Decode does with a key no Druid version's spec has
// (--unknown-spec-fields).
type UnknownFields int

const (
	// UnknownFieldsReject refuses the spec with a FieldError (the default).
	UnknownFieldsReject UnknownFields = iota
	// UnknownFieldsWarn drops the key and reports it in Supervisor.Warnings.
	UnknownFieldsWarn
	// UnknownFieldsIgnore drops the key silently, as Druid does.
	UnknownFieldsIgnore
)

// ParseUnknownFields reads reject, warn or ignore.
func ParseUnknownFields(s string) (UnknownFields, error) {
	switch s {
	case "reject", "":
		return UnknownFieldsReject, nil
	case "warn":
		return UnknownFieldsWarn, nil
	case "ignore":
		return UnknownFieldsIgnore, nil
	}
	return 0, fmt.Errorf("unknown-spec-fields: %q is not reject, warn or ignore", s)
}

func (u UnknownFields) String() string {
	switch u {
	case UnknownFieldsWarn:
		return "warn"
	case UnknownFieldsIgnore:
		return "ignore"
	}
	return "reject"
}

// DecodeOptions tunes DecodeWith; the zero value is Decode's behaviour.
type DecodeOptions struct {
	UnknownFields UnknownFields
}

// legacyFields are keys some Druid version's Kafka supervisor spec has that have no effect
// here, with the reason given in the warning. They are accepted whatever their value, kept in
// the section's Legacy map and echoed exactly as submitted, so a spec written for any Druid
// version round-trips.
var legacyFields = map[reflect.Type]map[string]string{
	reflect.TypeFor[TuningConfig](): {
		"buildV9Directly":      "Druid 0.9 to 0.12; segments are always built in kafka-indexer's own format (docs/segment-format.md), not Druid's v9",
		"basePersistDirectory": "Druid 0.12 and older; persists go under the daemon's data directory",
		"maxColumnsToMerge":    "segments are merged in one pass",
		"partitionsSpec":       "streaming segments are always dynamically partitioned by maxRowsPerSegment and maxTotalRows",
	},
	reflect.TypeFor[IOConfig](): {
		"skipOffsetGaps":           "Druid 0.12 to 0.15; offset gaps are always tolerated",
		"serverPriorityToReplicas": "a single node has no server priorities; replicas run on it",
	},
}

// LegacyFieldNames lists the accepted-but-ineffective keys of a section ("tuningConfig" or
// "ioConfig"), for documentation and tests.
func LegacyFieldNames(section string) []string {
	t := map[string]reflect.Type{"tuningConfig": reflect.TypeFor[TuningConfig](), "ioConfig": reflect.TypeFor[IOConfig]()}[section]
	var out []string
	for k := range legacyFields[t] {
		out = append(out, k)
	}
	return out
}

// pickLegacy returns the legacy keys of a section object as submitted; nil when there are none.
func pickLegacy(raw []byte, t reflect.Type) map[string]json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	var out map[string]json.RawMessage
	for k, v := range obj {
		if _, ok := legacyFields[t][k]; ok {
			if out == nil {
				out = map[string]json.RawMessage{}
			}
			out[k] = v
		}
	}
	return out
}

// addLegacy puts legacy keys into an echoed section.
func addLegacy(out map[string]any, legacy map[string]json.RawMessage) map[string]any {
	for k, v := range legacy {
		if _, known := out[k]; !known {
			out[k] = v
		}
	}
	return out
}
