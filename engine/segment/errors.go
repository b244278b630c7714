package segment

import (
	"errors"
	"fmt"
)

// ErrCorrupt is returned, wrapped, when a segment's bytes cannot be trusted:
// bad magic, an unknown or unsupported format version, a CRC32C mismatch, a
// truncated or oversized field, trailing bytes after a decoded structure, or
// a meta.json that disagrees with the data file. Test with errors.Is.
var ErrCorrupt = errors.New("segment: corrupt")

// ErrClosed is returned by Writer methods called after Close, Finish or Abort.
var ErrClosed = errors.New("segment: writer closed")

// ErrNoColumn is returned, wrapped, when a Reader is asked for a column the
// segment does not have or for a column of another type.
var ErrNoColumn = errors.New("segment: no such column")

// corruptf wraps ErrCorrupt with a formatted explanation.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}
