package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Prefix is the path the console's files are served under.
const Prefix = "/console/"

// Handler serves the console: the SPA's index at / and at any path under /console/ that is not
// one of its files (views are addressed by the URL fragment, so deep links and reloads land on
// the index), and its modules and stylesheet under /console/. The handler does no auth of its
// own; mount it behind the API's.
func Handler() http.Handler {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		panic(err)
	}
	fileServer := http.FileServer(http.FS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files change with the binary; revalidating each load keeps an upgraded engine
		// from running a stale mix of modules.
		w.Header().Set("Cache-Control", "no-cache")
		// Everything the console loads comes from this server; inline scripts and other
		// origins are refused, which blunts any markup injected through API data.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if r.URL.Path == "/" || name == "" || name == "index.html" || !isFile(static, name) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(index)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		fileServer.ServeHTTP(w, r2)
	})
}

// isFile reports whether name is a regular file of the console (not a directory: directory
// listings are never served).
func isFile(static fs.FS, name string) bool {
	name = path.Clean(name)
	if !fs.ValidPath(name) {
		return false
	}
	st, err := fs.Stat(static, name)
	return err == nil && st.Mode().IsRegular()
}
