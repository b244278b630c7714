package kafkatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// OAuth is an OAuth 2 token endpoint on loopback implementing the client-credentials grant
// (RFC 6749 §4.4) with HTTP Basic client authentication, as Kafka's OAUTHBEARER login calls
// it. Each call issues a new opaque token valid for ExpiresIn seconds.
type OAuth struct {
	// URL is the token endpoint (sasl.oauthbearer.token.endpoint.url).
	URL string
	// CAFile, for NewOAuthTLS, is the PEM certificate that makes URL trusted.
	CAFile string

	clientID, secret, scope string
	expiresIn               int

	mu     sync.Mutex
	issued []string
}

// NewOAuth starts a token endpoint for one client; scope, when not empty, must be requested.
func NewOAuth(t testing.TB, clientID, secret, scope string, expiresIn int) *OAuth {
	o := &OAuth{clientID: clientID, secret: secret, scope: scope, expiresIn: expiresIn}
	srv := httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(srv.Close)
	o.URL = srv.URL + "/oauth2/token"
	return o
}

// NewOAuthTLS is NewOAuth over HTTPS; CAFile is a PEM file with the server's certificate.
func NewOAuthTLS(t testing.TB, clientID, secret, scope string, expiresIn int) *OAuth {
	o := &OAuth{clientID: clientID, secret: secret, scope: scope, expiresIn: expiresIn}
	srv := httptest.NewTLSServer(http.HandlerFunc(o.serve))
	t.Cleanup(srv.Close)
	o.URL = srv.URL + "/oauth2/token"
	o.CAFile = filepath.Join(t.TempDir(), "idp-ca.pem")
	writePEM(t, o.CAFile, "CERTIFICATE", srv.Certificate().Raw)
	return o
}

func (o *OAuth) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, kind string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": kind})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/oauth2/token" {
		fail(http.StatusNotFound, "not_found")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != o.clientID || secret != o.secret {
		fail(http.StatusUnauthorized, "invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		fail(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	if o.scope != "" && !strings.Contains(" "+r.PostForm.Get("scope")+" ", " "+o.scope+" ") {
		fail(http.StatusBadRequest, "invalid_scope")
		return
	}
	tok := o.issue(id)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": o.expiresIn})
}

// Issue issues a token for the endpoint's client without an HTTP request, as an operator
// provisioning a token file would.
func (o *OAuth) Issue() string { return o.issue(o.clientID) }

func (o *OAuth) issue(id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	tok := fmt.Sprintf("token-%d-for-%s", len(o.issued)+1, id)
	o.issued = append(o.issued, tok)
	return tok
}

// Valid reports whether tok was issued by this endpoint.
func (o *OAuth) Valid(tok string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range o.issued {
		if t == tok {
			return true
		}
	}
	return false
}

// Issued is the number of tokens issued so far.
func (o *OAuth) Issued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.issued)
}

// BearerToken extracts the token from an OAUTHBEARER client's first message (RFC 7628
// §3.1: gs2 header, then \x01-separated key=value pairs, auth=Bearer <token>) and its
// extensions.
func BearerToken(msg []byte) (token string, extensions map[string]string, err error) {
	parts := strings.Split(string(msg), "\x01")
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "n,") {
		return "", nil, fmt.Errorf("not an OAUTHBEARER client message")
	}
	extensions = map[string]string{}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if k == "auth" {
			token, _ = strings.CutPrefix(v, "Bearer ")
		} else {
			extensions[k] = v
		}
	}
	if token == "" {
		return "", nil, fmt.Errorf("no bearer token in the OAUTHBEARER message")
	}
	return token, extensions, nil
}
