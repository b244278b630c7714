package index

import "github.com/kafka-indexer/terraform-provider-kafka/engine/input"

// The task feeds parsed rows straight in.
var _ InputRow = (*input.Row)(nil)
