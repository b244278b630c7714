package validators

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// consumerPropertiesPath prefixes the engine's messages about ioConfig.consumerProperties.
const consumerPropertiesPath = "ioConfig.consumerProperties"

// EngineRules checks body, the spec the provider would POST (consumer secrets merged), with
// kafka-indexer's own spec rules (engine/spec.Decode): the checks behind the engine's
// validateOnly dry run, run in-process for a server that cannot dry-run a spec (Apache Druid
// stores whatever it is sent). The error's message names the JSON path, e.g.
// "ioConfig.taskCuont: unknown field".
//
// secretsKnown is false when consumer secrets are not known at plan time: the caller has merged
// a placeholder bootstrap.servers so the other rules run, and problems under
// ioConfig.consumerProperties, which the secrets may fix, are not reported.
func EngineRules(body json.RawMessage, secretsKnown bool) error {
	_, err := spec.Decode(body)
	if err == nil {
		return nil
	}
	var fe *spec.FieldError
	if !secretsKnown && errors.As(err, &fe) && strings.HasPrefix(fe.Path, consumerPropertiesPath) {
		return nil
	}
	return err
}

// PlaceholderBootstrapServers stands in for a bootstrap.servers that unknown consumer
// secrets will supply, so EngineRules can check the rest of the spec at plan time.
const PlaceholderBootstrapServers = "known-after-apply:9092"
