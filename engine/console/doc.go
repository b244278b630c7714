// Package console is the engine's web console: a small single-page application (plain ES
// modules, CSS and HTML under static/, embedded with go:embed, no build step) that the daemon
// serves at / and /console/. Like Druid's web console it speaks only the public Overlord and
// Coordinator REST API (supervisors, tasks, segment metadata), so it needs no server code of its
// own beyond serving its files, and the API's basic auth covers it: the browser asks for the
// credentials once and its fetch calls carry them.
//
// docs/console.md describes the views.
package console
