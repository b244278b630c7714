// Package schemaregistry fetches writer schemas from a Confluent-compatible schema registry for the
// Avro and Protobuf decoders (Druid's `schema_registry` avroBytesDecoder and protoBytesDecoder).
//
// It owns three decisions the decoders share: how Druid's decoder settings (`url`/`urls`,
// `capacity`, `config`, `headers`) become an HTTP client; a bounded cache, so a busy topic asks the
// registry once per schema id; and the difference between "this id does not exist" (ErrNotFound:
// the record is bad, an ordinary parse exception) and "the registry cannot answer" (an
// *UnavailableError: retry, never throw the record away).
package schemaregistry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// DefaultCapacity bounds the schema cache when the spec gives no capacity. Druid's default is
// unbounded (Integer.MAX_VALUE); a bound keeps a topic with ever-new schema ids from growing the
// heap without limit, and 1,000 distinct writer schemas per decoder is far above what topics use.
const DefaultCapacity = 1000

// notFoundTTL is how long an id the registry said it does not know is remembered, so a stream of
// records with a bad id is a stream of parse exceptions, not a stream of registry requests.
const notFoundTTL = time.Minute

// Options are a decoder's registry settings, with secrets already resolved (see
// spec.ResolveProperties for the dynamic config provider).
type Options struct {
	// URLs of the registry; the client fails over between them. Required.
	URLs []string
	// Capacity is the number of schemas cached (least recently used evicted); 0 means
	// DefaultCapacity.
	Capacity int
	// Config is the Confluent client configuration Druid passes through. Understood:
	// basic.auth.credentials.source (USER_INFO, URL), basic.auth.user.info ("user:password"),
	// bearer.auth.credentials.source (STATIC_TOKEN), bearer.auth.token,
	// schema.registry.ssl.truststore.location (+ .type PEM), and
	// schema.registry.ssl.endpoint.identification.algorithm ("" disables host name checks).
	Config map[string]string
	// Headers are sent with every request (Druid's `headers`).
	Headers map[string]string
	// Timeout bounds one request; 0 means 10 s.
	Timeout time.Duration
}

// Schema is a writer schema and, for Protobuf, every schema it references, transitively.
type Schema struct {
	ID   int
	Type sr.SchemaType
	Text string
	// References are the referenced schemas in dependency order (a schema after the ones it
	// imports), each under the name the referencing schema uses for it (a .proto file name for
	// Protobuf, a full type name for Avro).
	References []Reference
}

// Reference is one referenced schema.
type Reference struct {
	Name string
	Text string
}

// ErrNotFound means the registry answered that it does not know the schema id: the record
// names a schema that does not exist, which no retry will fix.
var ErrNotFound = errors.New("schema not found in the registry")

// UnavailableError means the registry could not answer (unreachable, 5xx, refused credentials):
// the caller retries the record later rather than count it unparseable.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string { return "schema registry unavailable: " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// IsUnavailable reports whether err means "retry later".
func IsUnavailable(err error) bool {
	if err == nil {
		// The common case, on every record: without this the target of errors.As escapes
		// and costs an allocation per call.
		return false
	}
	var u *UnavailableError
	return errors.As(err, &u)
}

// Registry is a cached registry client. It is safe for concurrent use.
type Registry struct {
	cl       *sr.Client
	capacity int

	mu       sync.Mutex
	cache    map[int]*cacheEntry
	order    []int // ids, least recently used first; len ≤ capacity
	notFound map[int]time.Time
	now      func() time.Time
}

type cacheEntry struct{ schema *Schema }

// New builds a client from o. It does not contact the registry.
func New(o Options) (*Registry, error) {
	urls := make([]string, 0, len(o.URLs))
	for _, u := range o.URLs {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, strings.TrimRight(u, "/"))
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("url: required (the schema registry's address)")
	}
	opts := []sr.ClientOpt{sr.URLs(urls...), sr.UserAgent("kafka-indexer")}
	for i, raw := range urls {
		pu, err := url.Parse(raw)
		if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
			return nil, fmt.Errorf("urls[%d]: %q is not an http(s) URL", i, raw)
		}
	}
	auth, err := authOption(o.Config, urls)
	if err != nil {
		return nil, err
	}
	if auth != nil {
		opts = append(opts, auth)
	}
	if len(o.Headers) > 0 {
		h := make(http.Header, len(o.Headers))
		for k, v := range o.Headers {
			h.Set(k, v)
		}
		opts = append(opts, sr.PreReq(func(req *http.Request) error {
			for k, vs := range h {
				req.Header[k] = vs
			}
			return nil
		}))
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tlsCfg, err := tlsConfig(o.Config)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	opts = append(opts, sr.HTTPClient(&http.Client{Timeout: timeout, Transport: transport}))
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	capacity := o.Capacity
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Registry{cl: cl, capacity: capacity, cache: map[int]*cacheEntry{},
		notFound: map[int]time.Time{}, now: time.Now}, nil
}

func authOption(cfg map[string]string, urls []string) (sr.ClientOpt, error) {
	switch src := strings.ToUpper(cfg["basic.auth.credentials.source"]); src {
	case "", "USER_INFO":
		if info, ok := cfg["basic.auth.user.info"]; ok {
			user, pass, found := strings.Cut(info, ":")
			if !found {
				return nil, errors.New(`config.basic.auth.user.info: must be "user:password"`)
			}
			return sr.BasicAuth(user, pass), nil
		}
		if src == "USER_INFO" {
			return nil, errors.New("config.basic.auth.user.info: required when basic.auth.credentials.source is USER_INFO")
		}
	case "URL":
		pu, _ := url.Parse(urls[0])
		if pu.User == nil {
			return nil, errors.New("config.basic.auth.credentials.source: URL, but the registry URL has no user info")
		}
		pass, _ := pu.User.Password()
		return sr.BasicAuth(pu.User.Username(), pass), nil
	default:
		return nil, fmt.Errorf("config.basic.auth.credentials.source: %q is not supported (USER_INFO or URL)", src)
	}
	switch src := strings.ToUpper(cfg["bearer.auth.credentials.source"]); src {
	case "", "STATIC_TOKEN":
		if tok, ok := cfg["bearer.auth.token"]; ok {
			return sr.BearerToken(tok), nil
		}
		if src == "STATIC_TOKEN" {
			return nil, errors.New("config.bearer.auth.token: required when bearer.auth.credentials.source is STATIC_TOKEN")
		}
	default:
		return nil, fmt.Errorf("config.bearer.auth.credentials.source: %q is not supported (STATIC_TOKEN)", src)
	}
	return nil, nil
}

func tlsConfig(cfg map[string]string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if loc := cfg["schema.registry.ssl.truststore.location"]; loc != "" {
		if t := strings.ToUpper(cfg["schema.registry.ssl.truststore.type"]); t != "" && t != "PEM" {
			return nil, fmt.Errorf("config.schema.registry.ssl.truststore.type: %q is not supported for the registry (PEM)", t)
		}
		pem, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("config.schema.registry.ssl.truststore.location: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("config.schema.registry.ssl.truststore.location: %s holds no PEM certificate", loc)
		}
		c.RootCAs = pool
	}
	if alg, ok := cfg["schema.registry.ssl.endpoint.identification.algorithm"]; ok && alg == "" {
		// Java's way to turn off host name verification; the chain is still verified.
		roots := c.RootCAs
		c.InsecureSkipVerify = true
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, cert := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(cert)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	}
	return c, nil
}

// ByID returns the schema with the given id, from the cache or the registry. Errors are
// ErrNotFound (wrapped) or *UnavailableError.
func (r *Registry) ByID(ctx context.Context, id int) (*Schema, error) {
	r.mu.Lock()
	if e, ok := r.cache[id]; ok {
		r.touch(id)
		r.mu.Unlock()
		return e.schema, nil
	}
	if at, ok := r.notFound[id]; ok && r.now().Sub(at) < notFoundTTL {
		r.mu.Unlock()
		return nil, fmt.Errorf("schema id %d: %w", id, ErrNotFound)
	}
	r.mu.Unlock()

	s, err := r.fetch(ctx, id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if errors.Is(err, ErrNotFound) {
		if len(r.notFound) >= r.capacity {
			clear(r.notFound)
		}
		r.notFound[id] = r.now()
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if _, ok := r.cache[id]; !ok {
		if len(r.order) >= r.capacity {
			delete(r.cache, r.order[0])
			r.order = r.order[1:]
		}
		r.cache[id] = &cacheEntry{schema: s}
		r.order = append(r.order, id)
	}
	return r.cache[id].schema, nil
}

// touch moves id to the most recently used end. Caller holds mu.
func (r *Registry) touch(id int) {
	for i, x := range r.order {
		if x == id {
			copy(r.order[i:], r.order[i+1:])
			r.order[len(r.order)-1] = id
			return
		}
	}
}

func (r *Registry) fetch(ctx context.Context, id int) (*Schema, error) {
	s, err := r.cl.SchemaByID(ctx, id)
	if err != nil {
		return nil, classify(fmt.Sprintf("schema id %d", id), err)
	}
	out := &Schema{ID: id, Type: s.Type, Text: s.Schema}
	seen := map[string]bool{}
	if err := r.resolve(ctx, s.References, seen, &out.References, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// maxReferenceDepth stops a reference cycle in a broken registry from recursing forever.
const maxReferenceDepth = 32

func (r *Registry) resolve(ctx context.Context, refs []sr.SchemaReference, seen map[string]bool, out *[]Reference, depth int) error {
	if depth > maxReferenceDepth {
		return fmt.Errorf("schema references nest deeper than %d: %w", maxReferenceDepth, ErrNotFound)
	}
	for _, ref := range refs {
		if seen[ref.Name] {
			continue
		}
		seen[ref.Name] = true
		ss, err := r.cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			return classify(fmt.Sprintf("reference %q (subject %s version %d)", ref.Name, ref.Subject, ref.Version), err)
		}
		if err := r.resolve(ctx, ss.References, seen, out, depth+1); err != nil {
			return err
		}
		*out = append(*out, Reference{Name: ref.Name, Text: ss.Schema.Schema})
	}
	return nil
}

// classify maps a client error onto ErrNotFound or *UnavailableError.
func classify(what string, err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: %w (%s)", what, ErrNotFound, re.Error())
	}
	return &UnavailableError{Err: fmt.Errorf("%s: %w", what, err)}
}

// SplitConfluent splits a record in Confluent's wire format into its schema id and the datum:
// byte 0 is the magic byte (skipped unchecked, as Druid does), bytes 1–4 the big-endian schema id.
func SplitConfluent(b []byte) (id int, datum []byte, err error) {
	if len(b) < 5 {
		return 0, nil, fmt.Errorf("record of %d bytes is too short for the schema registry's 5-byte header", len(b))
	}
	return int(int32(binary.BigEndian.Uint32(b[1:5]))), b[5:], nil
}

// SplitConfluentProtobuf splits a Protobuf record in Confluent's wire format: the 5-byte header,
// then the message-index array (a zig-zag varint count, then that many zig-zag varint indexes; a
// single 0 byte means [0], the first message), then the message.
func SplitConfluentProtobuf(b []byte) (id int, indexes []int, msg []byte, err error) {
	id, rest, err := SplitConfluent(b)
	if err != nil {
		return 0, nil, nil, err
	}
	var h sr.ConfluentHeader
	indexes, msg, err = h.DecodeIndex(rest, 64)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("message indexes: %v", err)
	}
	if len(indexes) == 0 {
		indexes = []int{0}
	}
	return id, indexes, msg, nil
}
