package spec

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ids (task ids, supervisor ids, datasource names) end up as file names (a task's work
// directory, its report file, deep-storage and segment-cache directories) and as keys in the
// metadata store, so every id that arrives in a request or a spec passes ValidateID or
// ValidateDataSource first.

// MaxIDLength bounds a task id in bytes: `<id>.json`, the completion report, must still fit a
// 255-byte file name, and the id must stay far below PostgreSQL's btree key limit (~2,700 bytes).
const MaxIDLength = 250

// MaxDataSourceLength bounds a datasource name and a supervisor id in bytes. A supervisor names
// its tasks index_kafka_<dataSource>_<15 hex>_<8 letters> (TaskIDOverhead bytes more), and those
// task ids must still pass ValidateID.
const MaxDataSourceLength = 200

// TaskIDOverhead is how many bytes a supervisor adds to the datasource to name a task:
// "index_kafka_" + dataSource + "_" + 15 hex digits + "_" + 8 letters.
const TaskIDOverhead = len("index_kafka_") + 1 + 15 + 1 + 8

// ValidateID checks an id with Druid's rules (IdUtils.validateId) and ours: not empty, valid
// UTF-8, at most MaxIDLength bytes, not starting with '.', no '/' or '\', no "..", and no control
// characters or whitespace other than a plain space. The error is a *FieldError naming field and
// the broken rule, so the API answers 400; the value itself is not echoed, as it may be huge.
func ValidateID(field, value string) error {
	return validateID(field, value, MaxIDLength)
}

// ValidateDataSource is ValidateID with the shorter MaxDataSourceLength bound, for datasource
// names and supervisor ids.
func ValidateDataSource(field, value string) error {
	return validateID(field, value, MaxDataSourceLength)
}

func validateID(field, value string, max int) error {
	switch {
	case value == "":
		return fieldErr(field, "must not be empty")
	case len(value) > max:
		return fieldErr(field, fmt.Sprintf("must be at most %d bytes, got %d", max, len(value)))
	case !utf8.ValidString(value):
		return fieldErr(field, "must be valid UTF-8")
	case strings.HasPrefix(value, "."):
		return fieldErr(field, "must not start with '.'")
	case strings.Contains(value, "/"):
		return fieldErr(field, "must not contain '/'")
	case strings.Contains(value, `\`):
		return fieldErr(field, `must not contain '\'`)
	case strings.Contains(value, ".."):
		return fieldErr(field, "must not contain '..'")
	}
	for i, r := range value {
		if r != ' ' && (unicode.IsControl(r) || unicode.IsSpace(r)) {
			return fieldErr(field, fmt.Sprintf("must not contain control or whitespace characters other than space (found %U at byte %d)", r, i))
		}
	}
	return nil
}
