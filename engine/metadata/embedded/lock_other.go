//go:build !unix

package embedded

import "os"

// lockDir is a no-op where flock does not exist: there, nothing stops a second
// process from opening the same store.
func lockDir(string) (*os.File, error) { return nil, nil }
