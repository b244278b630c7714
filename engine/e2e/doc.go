// Package e2e holds end-to-end tests that cross every layer of the engine in one process: a
// kfake broker, a supervisor, its tasks, published segments, the segment loader and the native
// query API, checked against values computed independently from the produced events.
package e2e
