package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/index"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/store"
)

// Backend is what the API reads; *node.Node implements it. Every method
// must be safe for concurrent use: the server calls them from many request
// goroutines while the node commits blocks.
type Backend interface {
	Genesis() *types.Genesis
	// Head returns the last committed block.
	Head() *types.Block
	// State returns the read-only state at the head (it may briefly lag
	// Head; the server checks the root).
	State() *state.State
	// StateAt returns the read-only state at height h and that block:
	// store.ErrNotFound for a height with no block, node.ErrStatePruned
	// for a state no longer kept.
	StateAt(h uint64) (*state.State, *types.Block, error)
	FinalizedHeight() uint64
	Store() *store.Store
	Index() *index.Index
	Mempool() *mempool.Pool
	// Submit admits a signed transaction's bytes and gossips it to peers.
	Submit(raw []byte) (types.Hash, error)
	// Consensus reports the view, its leader, the peer count and whether
	// the node is catching up.
	Consensus() node.ConsensusStatus
	// Collectors returns the metrics the backend keeps itself (the
	// equivocation counter); the server registers them in its registry
	// and serves them at /metrics with its own.
	Collectors() []prometheus.Collector
}

// Config configures New. The zero value is usable.
type Config struct {
	// Logger receives access logs (debug level) and internal errors
	// (error level); nil discards them.
	Logger *slog.Logger
	// Registry is where the API's and the chain's metrics are registered
	// and what GET /metrics serves. nil: a new registry, with the Go and
	// process collectors added.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds a request body; a larger one is answered 413
	// before it is read further. Default DefaultMaxBodyBytes. An operation
	// the spec marks x-max-body-bytes (a namespace deploy carries a module)
	// takes bodies up to the larger of the two.
	MaxBodyBytes int64
	// Namespaces finds the namespaces this node runs; nil: none (every
	// /v1/namespace/{name}/... path that needs one answers unknown_namespace,
	// or namespace_unavailable for one the chain holds).
	Namespaces Namespaces
	// NamespaceWait bounds how long a min_position waits for the node to
	// apply a namespace's log (default 5 s; then 503 behind).
	NamespaceWait time.Duration
	// QueryTimeout interrupts a namespace query (default 2 s; then
	// query_timeout).
	QueryTimeout time.Duration
}

// DefaultMaxBodyBytes is Config.MaxBodyBytes' default: room for the largest
// transaction (mempool.MaxTxBytes) in hex with its JSON wrapping.
const DefaultMaxBodyBytes = 64 << 10

// server implements api.StrictServerInterface over a Backend.
type server struct {
	b           Backend
	log         *slog.Logger
	genesisHash types.Hash
	metrics     *metrics
	reqs        *requestValidator
	specYAML    []byte
	docsHTML    []byte
	nss         Namespaces
	nsWait      time.Duration
	queryTime   time.Duration
}

// New returns the API's http.Handler for b. It fails if the embedded spec
// does not load or the metrics cannot be registered in cfg.Registry (for
// example, a second server on the same registry).
func New(b Backend, cfg Config) (http.Handler, error) {
	if b == nil {
		return nil, errors.New("rpc: nil backend")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	gh, err := b.Genesis().Hash()
	if err != nil {
		return nil, fmt.Errorf("rpc: genesis hash: %w", err)
	}
	if cfg.NamespaceWait <= 0 {
		cfg.NamespaceWait = DefaultNamespaceWait
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	s := &server{b: b, log: cfg.Logger, genesisHash: gh, nss: cfg.Namespaces, nsWait: cfg.NamespaceWait, queryTime: cfg.QueryTimeout}

	// The validator and the pages each load their own copy of the spec:
	// the router and validator keep pointers into theirs.
	doc, err := api.GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("rpc: load spec: %w", err)
	}
	if s.reqs, err = newRequestValidator(doc, cfg.MaxBodyBytes); err != nil {
		return nil, err
	}
	if s.specYAML, err = specYAML(); err != nil {
		return nil, err
	}
	if s.docsHTML, err = docsPage(); err != nil {
		return nil, err
	}
	if s.metrics, err = newMetrics(cfg.Registry, b, cfg.Logger); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	// Validation answers unknown routes before they reach the mux; this is
	// the fallback that keeps the error shape should one get through.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	strict := api.NewStrictHandlerWithOptions(s, nil, api.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, newError(http.StatusBadRequest, CodeBadRequest, "request body: %v", err))
		},
		ResponseErrorHandlerFunc: s.handlerError,
	})
	api.HandlerWithOptions(strict, api.StdHTTPServerOptions{
		BaseRouter: s.reqs.dispatchTo(mux),
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, errInvalidParameter("%v", err))
		},
	})

	var h http.Handler = mux
	h = s.reqs.middleware(h)
	h = s.extraRoutes(h)
	h = s.recoverer(h)
	h = s.observe(h)
	return h, nil
}

// WrapServer prepares srv, whose Handler is the API (from New), to serve on
// ln, and returns the listener to pass to srv.Serve.
//
// net/http answers some requests itself, in plain text, before any handler
// runs: a malformed request line, target (bad %-escapes, control bytes) or
// header, a missing or repeated Host, a bad Content-Length (400), a head
// over srv.MaxHeaderBytes (431), an HTTP version other than 1.x (505), a
// Transfer-Encoding other than one "chunked" (501) and an Expect other than
// 100-continue (417). The returned listener's connections rewrite those
// answers into the API's error shape with a 4xx status: the 5xx become 400,
// since the fault is the client's. A connection tells them from a handler's
// responses by whether a handler has run since its last response ended,
// which srv's ConnContext and ConnState hooks and a wrapper round its
// Handler record; hooks srv already has are kept. "OPTIONS *" goes to the
// handler (a 404) instead of net/http's built-in answer. ln must be a plain
// TCP listener: through TLS the connection would see only ciphertext, and
// leave it as it is.
func WrapServer(srv *http.Server, ln net.Listener) net.Listener {
	next := srv.Handler
	if next == nil {
		next = http.DefaultServeMux
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(frontConnKey{}).(*frontConn); ok {
			c.handled.Store(true)
		}
		next.ServeHTTP(w, r)
	})
	connContext := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if connContext != nil {
			ctx = connContext(ctx, c)
		}
		if fc, ok := c.(*frontConn); ok {
			ctx = context.WithValue(ctx, frontConnKey{}, fc)
		}
		return ctx
	}
	connState := srv.ConnState
	srv.ConnState = func(c net.Conn, state http.ConnState) {
		// StateIdle: the last response has been written in full.
		if fc, ok := c.(*frontConn); ok && state == http.StateIdle {
			fc.handled.Store(false)
		}
		if connState != nil {
			connState(c, state)
		}
	}
	srv.DisableGeneralOptionsHandler = true
	maxHead := srv.MaxHeaderBytes
	if maxHead <= 0 {
		maxHead = http.DefaultMaxHeaderBytes
	}
	return &frontListener{Listener: ln, maxHead: maxHead}
}

type frontConnKey struct{}

// frontListener hands out frontConns; see WrapServer.
type frontListener struct {
	net.Listener
	maxHead int
}

func (l *frontListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &frontConn{Conn: c, maxHead: l.maxHead}, nil
}

// frontConn rewrites the answers net/http writes without a handler.
type frontConn struct {
	net.Conn
	maxHead int
	// handled is set when a handler starts serving a request on the
	// connection and cleared when its response has been written: a
	// response written while it is clear is net/http's own.
	handled atomic.Bool
}

func (c *frontConn) Write(p []byte) (int, error) {
	if c.handled.Load() {
		return c.Conn.Write(p)
	}
	proto, status, detail, ok := parseStatusLine(p)
	if !ok || status < 400 {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(rawErrorResponse(proto, c.frontError(status, detail))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite lets net/http half-close the connection after a 431, as it
// does on a bare TCP connection.
func (c *frontConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// frontError maps an answer net/http wrote itself to the API's error.
func (c *frontConn) frontError(status int, detail string) *apiError {
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		return newError(status, CodeTooLarge, "the request line and headers are over %d bytes", c.maxHead)
	case http.StatusExpectationFailed:
		return newError(status, CodeBadRequest, "unsupported Expect header: only 100-continue is accepted")
	case http.StatusNotImplemented:
		return newError(http.StatusBadRequest, CodeBadRequest, "unsupported Transfer-Encoding: only a single \"chunked\" is accepted")
	case http.StatusHTTPVersionNotSupported:
		return newError(http.StatusBadRequest, CodeBadRequest, "unsupported HTTP version: the API speaks HTTP/1.x")
	}
	if detail == "" {
		detail = "malformed request: the request line, the target or a header is not valid HTTP/1.1"
	}
	if status >= 500 { // nothing but the client's request precedes a handler
		status = http.StatusBadRequest
	}
	return newError(status, CodeBadRequest, "%s", detail)
}

// parseStatusLine reads the status line that starts p: its protocol, its
// status and the detail net/http appends to the status text ("400 Bad
// Request: missing required Host header").
func parseStatusLine(p []byte) (proto string, status int, detail string, ok bool) {
	line, _, found := bytes.Cut(p, []byte("\r\n"))
	if !found || len(line) < len("HTTP/1.1 200") {
		return "", 0, "", false
	}
	proto, rest := string(line[:8]), string(line[9:])
	if (proto != "HTTP/1.1" && proto != "HTTP/1.0") || line[8] != ' ' {
		return "", 0, "", false
	}
	code, text, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 {
		return "", 0, "", false
	}
	_, detail, _ = strings.Cut(text, ": ")
	return proto, status, detail, true
}

// rawErrorResponse is e as a whole HTTP response that closes the
// connection, as net/http's own answers do.
func rawErrorResponse(proto string, e *apiError) []byte {
	body := errorJSON(e)
	b := make([]byte, 0, 256+len(body))
	b = fmt.Appendf(b, "%s %d %s\r\n", proto, e.Status, http.StatusText(e.Status))
	b = append(b, "Connection: close\r\n"...)
	b = fmt.Appendf(b, "Content-Length: %d\r\n", len(body))
	b = append(b, "Content-Type: application/json\r\n"...)
	b = fmt.Appendf(b, "Date: %s\r\n", time.Now().UTC().Format(http.TimeFormat))
	b = append(b, "X-Content-Type-Options: nosniff\r\n\r\n"...)
	return append(b, body...)
}

// handlerError writes the error a handler returned. Client errors carry
// their own message; anything else is logged and answered 500 internal.
func (s *server) handlerError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errInternal(err)
	}
	switch {
	case ae.Status == http.StatusInternalServerError:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{Status: ae.Status, Code: ae.Code, Message: internalMessage}
	case ae.Status >= 500: // a namespace the node cannot serve now: the message says why
		s.log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "code", ae.Code, "err", err)
	}
	writeError(w, ae)
}

// recoverer turns a panic below it into a logged 500 and keeps serving.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // the deliberate way to abort a response
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, errInternal(nil))
		}()
		next.ServeHTTP(w, r)
	})
}

// extraRoutes serves what is not part of the spec's operations.
func (s *server) extraRoutes(next http.Handler) http.Handler {
	metrics := s.metrics.handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var serve func(http.ResponseWriter, *http.Request)
		switch r.URL.Path {
		case "/metrics":
			serve = metrics.ServeHTTP
		case "/v1/openapi.yaml":
			serve = s.staticPage("application/yaml", s.specYAML)
		case "/v1/docs":
			serve = s.staticPage("text/html; charset=utf-8", s.docsHTML)
		default:
			next.ServeHTTP(w, r)
			return
		}
		setRoute(w, r.URL.Path)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s allows GET and HEAD, not %s", r.URL.Path, r.Method))
			return
		}
		if r.URL.Path != "/metrics" && r.URL.RawQuery != "" {
			writeError(w, newError(http.StatusBadRequest, CodeUnknownParameter, "%s takes no query parameters", r.URL.Path))
			return
		}
		serve(w, r)
	})
}

func (s *server) staticPage(contentType string, body []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(contentType, "text/html") {
			// The page is self-contained: no scripts at all, inline styles.
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		}
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		_, _ = w.Write(body)
	}
}

// setRoute records the request's route template (for the metrics and the
// access log) on the statusWriter the outermost layer (observe) gave it.
func setRoute(w http.ResponseWriter, route string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.route = route
	}
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	route       string // the route template; see setRoute
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.status, w.wroteHeader = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
