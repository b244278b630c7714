package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Client talks to one Overlord (or Router) endpoint. It is safe for
// concurrent use.
type Client struct {
	cfg  config
	base *url.URL
	rc   *retryablehttp.Client

	infoMu sync.Mutex
	info   *ServerInfo // cached after the first successful ServerInfo
}

// LogFunc receives one event per HTTP attempt and per answer. fields holds
// method, url, attempt and status; never credentials.
type LogFunc func(ctx context.Context, msg string, fields map[string]any)

// Opt configures a Client.
type Opt interface{ apply(*config) }

type opt struct{ fn func(*config) }

func (o opt) apply(c *config) { o.fn(c) }

type config struct {
	username, password string
	headers            http.Header
	httpClient         *http.Client
	tlsConfig          *tls.Config
	caCertPEM          []byte
	insecureSkipVerify bool
	timeout            time.Duration
	timeoutSet         bool
	maxRetries         int
	retryWaitMin       time.Duration
	retryWaitMax       time.Duration
	userAgent          string
	logf               LogFunc
}

func defaultConfig() config {
	return config{
		headers:      http.Header{},
		timeout:      60 * time.Second,
		maxRetries:   4,
		retryWaitMin: time.Second,
		retryWaitMax: 30 * time.Second,
		userAgent:    "kafka-indexer-client",
	}
}

func (c *config) validate() error {
	if c.maxRetries < 0 {
		return fmt.Errorf("max retries must be ≥ 0, got %d", c.maxRetries)
	}
	if c.timeout < 0 {
		return fmt.Errorf("timeout must be ≥ 0, got %s", c.timeout)
	}
	if c.retryWaitMin <= 0 || c.retryWaitMax < c.retryWaitMin {
		return fmt.Errorf("retry waits must satisfy 0 < min ≤ max, got %s and %s", c.retryWaitMin, c.retryWaitMax)
	}
	if c.httpClient != nil && (c.tlsConfig != nil || len(c.caCertPEM) > 0 || c.insecureSkipVerify) {
		return errors.New("WithHTTPClient cannot be combined with TLS options; configure the http.Client's transport instead")
	}
	if c.username == "" && c.password != "" {
		return errors.New("basic auth password given without a username")
	}
	return nil
}

// WithBasicAuth sends HTTP basic authentication (Druid's basic security
// extension) on every request.
func WithBasicAuth(user, password string) Opt {
	return opt{func(c *config) { c.username, c.password = user, password }}
}

// WithHeader adds a header to every request; it may be given several times.
func WithHeader(key, value string) Opt {
	return opt{func(c *config) { c.headers.Add(key, value) }}
}

// WithHeaders adds every header of h to every request.
func WithHeaders(h map[string]string) Opt {
	return opt{func(c *config) {
		for k, v := range h {
			c.headers.Add(k, v)
		}
	}}
}

// WithHTTPClient uses hc for requests instead of a pooled client built from
// the TLS options, which it excludes. Its Timeout is replaced by WithTimeout's
// value when that option is given.
func WithHTTPClient(hc *http.Client) Opt {
	return opt{func(c *config) { c.httpClient = hc }}
}

// WithTLSConfig sets the TLS configuration of the default transport.
func WithTLSConfig(tc *tls.Config) Opt {
	return opt{func(c *config) { c.tlsConfig = tc }}
}

// WithCACert trusts the PEM-encoded certificates in pem (in addition to the
// system pool) when verifying the server.
func WithCACert(pem []byte) Opt {
	return opt{func(c *config) { c.caCertPEM = pem }}
}

// WithInsecureSkipVerify disables verification of the server's certificate.
func WithInsecureSkipVerify(skip bool) Opt {
	return opt{func(c *config) { c.insecureSkipVerify = skip }}
}

// WithTimeout bounds each HTTP attempt (not the sum of retries; use the
// context for that). Zero means no limit. Default 60s.
func WithTimeout(d time.Duration) Opt {
	return opt{func(c *config) { c.timeout, c.timeoutSet = d, true }}
}

// WithMaxRetries sets how many times a failed attempt is retried. Default 4.
func WithMaxRetries(n int) Opt {
	return opt{func(c *config) { c.maxRetries = n }}
}

// WithRetryWait sets the bounds of the exponential backoff between retries.
// Default 1s and 30s; a Retry-After header on 429/503 takes precedence.
func WithRetryWait(min, max time.Duration) Opt {
	return opt{func(c *config) { c.retryWaitMin, c.retryWaitMax = min, max }}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Opt {
	return opt{func(c *config) { c.userAgent = ua }}
}

// WithLogger receives a debug event per attempt and per answer.
func WithLogger(f LogFunc) Opt {
	return opt{func(c *config) { c.logf = f }}
}

// New returns a client for the server at endpoint, e.g.
// "http://127.0.0.1:8090" (the base URL; API paths are appended). It starts
// nothing and contacts nobody.
func New(endpoint string, opts ...Opt) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o.apply(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("configure client: %w", err)
	}
	base, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("parse endpoint %q: %w", endpoint, err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("endpoint %q: want an absolute http or https URL", endpoint)
	}

	hc := cfg.httpClient
	if hc == nil {
		hc = cleanhttp.DefaultPooledClient()
		tc := cfg.tlsConfig
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		} else {
			tc = tc.Clone()
		}
		if len(cfg.caCertPEM) > 0 {
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(cfg.caCertPEM) {
				return nil, errors.New("configure client: CA certificate: no PEM certificate found")
			}
			tc.RootCAs = pool
		}
		if cfg.insecureSkipVerify {
			tc.InsecureSkipVerify = true //nolint:gosec // explicitly requested by the user.
		}
		hc.Transport.(*http.Transport).TLSClientConfig = tc
	} else {
		cp := *hc
		hc = &cp
	}
	if cfg.timeoutSet || cfg.httpClient == nil {
		hc.Timeout = cfg.timeout
	}

	c := &Client{cfg: cfg, base: base}
	c.rc = &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil, // the default logger writes to stderr; events go through LogFunc.
		RetryWaitMin: cfg.retryWaitMin,
		RetryWaitMax: cfg.retryWaitMax,
		RetryMax:     cfg.maxRetries,
		CheckRetry:   checkRetry,
		Backoff:      retryablehttp.DefaultBackoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if cfg.logf != nil {
		c.rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
			cfg.logf(r.Context(), "kafka-indexer API request", map[string]any{
				"method": r.Method, "url": r.URL.Redacted(), "attempt": attempt + 1,
			})
		}
		c.rc.ResponseLogHook = func(_ retryablehttp.Logger, r *http.Response) {
			cfg.logf(r.Request.Context(), "kafka-indexer API response", map[string]any{
				"method": r.Request.Method, "url": r.Request.URL.Redacted(), "status": r.StatusCode,
			})
		}
	}
	return c, nil
}

// Endpoint returns the base URL the client was created with.
func (c *Client) Endpoint() string { return c.base.String() }

type retryModeKey struct{}

type rawAnswerKey struct{}

// WithRawAnswer returns a context under which a method, besides decoding a 2xx answer into its
// typed result, copies the answer's body into *dst. It is for callers that print the server's
// own JSON (the CLI's -o json), so that fields a newer server adds are not lost in decoding.
// One context serves one call: each answer overwrites *dst.
func WithRawAnswer(ctx context.Context, dst *json.RawMessage) context.Context {
	return context.WithValue(ctx, rawAnswerKey{}, dst)
}

type retryMode int

const (
	_ retryMode = iota // the zero value: retryablehttp's default policy
	// retryNever: the request is not idempotent in effect (reset).
	retryNever
	// retryHealth: a 503 carrying {"healthy":false} is an answer, not a
	// transient failure.
	retryHealth
)

// checkRetry is retryablehttp's default policy (connection errors, 429, 5xx
// except 501), minus the per-request exceptions of retryMode.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	mode, _ := ctx.Value(retryModeKey{}).(retryMode)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if mode == retryNever {
		return false, nil
	}
	if mode == retryHealth && err == nil && resp.StatusCode == http.StatusServiceUnavailable {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr == nil && bytes.Contains(body, []byte(`"healthy"`)) {
			return false, nil
		}
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// Do sends one request to path (relative to the endpoint, with an optional
// query string) and decodes a 2xx answer into out. body may be nil,
// json.RawMessage, []byte (sent as is) or any value encoded as JSON. out may
// be nil (answer discarded), *json.RawMessage (raw bytes kept) or a pointer
// to decode into. A non-2xx answer returns *APIError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	_, err := c.do(ctx, method, path, body, out)
	return err
}

// do is Do that also returns the status code of a 2xx answer.
func (c *Client) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case json.RawMessage:
		raw = b
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("encode %s %s body: %w", method, path, err)
		}
	}
	u := c.base.String() + path
	var rb any
	if raw != nil {
		rb = raw
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, rb)
	if err != nil {
		return 0, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	for k, vs := range c.cfg.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.userAgent != "" {
		req.Header.Set("User-Agent", c.cfg.userAgent)
	}
	if c.cfg.username != "" {
		req.SetBasicAuth(c.cfg.username, c.cfg.password)
	}

	resp, err := c.rc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, newAPIError(method, path, resp.StatusCode, data)
	}
	if dst, ok := ctx.Value(rawAnswerKey{}).(*json.RawMessage); ok && dst != nil {
		*dst = append((*dst)[:0], data...)
	}
	switch o := out.(type) {
	case nil:
	case *json.RawMessage:
		*o = append((*o)[:0], data...)
	default:
		if len(bytes.TrimSpace(data)) == 0 {
			return resp.StatusCode, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}
