package supervisor

import (
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TestTaskIDsOfLongestDataSource: the task ids and base sequence names a supervisor derives
// from the longest datasource spec validation accepts are themselves valid task ids, so a
// long name is refused at submit rather than failing every task it creates.
func TestTaskIDsOfLongestDataSource(t *testing.T) {
	ds := strings.Repeat("é", spec.MaxDataSourceLength/2)
	if err := spec.ValidateDataSource("dataSource", ds); err != nil {
		t.Fatal(err)
	}
	base := baseSequenceName(ds, []byte(`{}`), []byte(`{}`), task.Offsets{{ID: 0}: 0}, nil, nil)
	id := taskID(base)
	if len(id) != len(ds)+spec.TaskIDOverhead {
		t.Errorf("task id is %d bytes, TaskIDOverhead says %d", len(id), len(ds)+spec.TaskIDOverhead)
	}
	for field, v := range map[string]string{"id": id, "ioConfig.baseSequenceName": base, "groupId": "index_kafka_" + ds} {
		if err := spec.ValidateID(field, v); err != nil {
			t.Errorf("%s derived from a %d-byte datasource: %v", field, len(ds), err)
		}
	}
}
