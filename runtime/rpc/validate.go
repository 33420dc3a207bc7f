package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/oramanetwork/orama-chain/generated/api"
)

// requestValidator checks every request against the spec before a handler
// sees it.
type requestValidator struct {
	router  routers.Router
	maxBody int64
	opts    *openapi3filter.Options
	// query holds each operation's declared query parameters: anything else
	// is unknown_parameter (kin-openapi ignores undeclared parameters).
	query map[*openapi3.Operation]map[string]bool
	// methods are the methods the spec uses, tried to tell 405 from 404.
	methods []string
	// literal maps each path without parameters to its methods: GET
	// /v1/transactions/send matches /v1/transactions/{hash}, but the caller
	// meant the literal path, so it is answered 405, not "bad hash".
	literal map[string][]string
	// ops finds an operation by "METHOD /path/{template}"; direct maps
	// operations to their generated handlers (see dispatchTo).
	ops    map[string]*openapi3.Operation
	direct map[*openapi3.Operation]http.HandlerFunc
	// bodyLimit holds the operations marked x-max-body-bytes: their bodies
	// may be that large (when it is above maxBody).
	bodyLimit map[*openapi3.Operation]int64
}

func newRequestValidator(doc *openapi3.T, maxBody int64) (*requestValidator, error) {
	// Match on the path alone: the spec's server URL names a host and port
	// the node is not necessarily reached at.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("rpc: spec router: %w", err)
	}
	v := &requestValidator{
		router:    router,
		maxBody:   maxBody,
		query:     map[*openapi3.Operation]map[string]bool{},
		literal:   map[string][]string{},
		ops:       map[string]*openapi3.Operation{},
		direct:    map[*openapi3.Operation]http.HandlerFunc{},
		bodyLimit: map[*openapi3.Operation]int64{},
		opts: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true, // handlers apply defaults; the request stays as sent
		},
	}
	v.opts.WithCustomSchemaErrorFunc(schemaErrorMessage)
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !slices.Contains(v.methods, method) {
				v.methods = append(v.methods, method)
			}
			if !strings.Contains(p, "{") {
				v.literal[p] = append(v.literal[p], method)
				slices.Sort(v.literal[p])
			}
			v.ops[method+" "+p] = op
			if n, ok, err := maxBodyExtension(op); err != nil {
				return nil, fmt.Errorf("rpc: %s %s: %w", method, p, err)
			} else if ok && n > maxBody {
				v.bodyLimit[op] = n
			}
			names := map[string]bool{}
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range ps {
					if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
						names[p.Value.Name] = true
					}
				}
			}
			v.query[op] = names
		}
	}
	slices.Sort(v.methods)
	return v, nil
}

// schemaErrorMessage keeps schema errors to one line: where and why,
// without kin-openapi's dump of the schema and the value.
func schemaErrorMessage(e *openapi3.SchemaError) string {
	reason := e.Reason
	if reason == "" {
		reason = fmt.Sprintf("does not match the schema's %q", e.SchemaField)
	}
	if p := e.JSONPointer(); len(p) > 0 {
		return fmt.Sprintf("at /%s: %s", strings.Join(p, "/"), reason)
	}
	return reason
}

// dispatchTo wraps mux so that the generated handler of each spec
// operation registered through it is recorded: a request the validator
// has matched to an operation then goes straight to that handler, without
// the mux matching the path a second time.
func (v *requestValidator) dispatchTo(mux *http.ServeMux) api.ServeMux {
	return &recordingMux{ServeMux: mux, v: v}
}

type recordingMux struct {
	*http.ServeMux
	v *requestValidator
}

func (m *recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	if op, ok := m.v.ops[pattern]; ok {
		m.v.direct[op] = h
	}
	m.ServeMux.HandleFunc(pattern, h)
}

// middleware validates, then passes the request on with its body buffered.
func (v *requestValidator) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, pathParams, e := v.check(w, r)
		if e != nil {
			writeError(w, e)
			return
		}
		// With no escaped form of its own (RawPath, as for %2F), the
		// request's path segments are what the mux would match: set its
		// path values as the mux would and call the operation's handler.
		if h := v.direct[route.Operation]; h != nil && r.URL.RawPath == "" {
			for name, value := range pathParams {
				r.SetPathValue(name, value)
			}
			h(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (v *requestValidator) check(w http.ResponseWriter, r *http.Request) (*routers.Route, map[string]string, *apiError) {
	// Only canonical paths name endpoints: "." and ".." segments, empty
	// segments and trailing slashes do not (net/http's mux would redirect
	// them).
	if p := r.URL.Path; p == "" || path.Clean(p) != p {
		return nil, nil, errNotFound("no such endpoint: %s %s", r.Method, p)
	}
	route, pathParams, err := v.router.FindRoute(r)
	if err != nil {
		return nil, nil, v.routeError(w, r)
	}
	if allowed, ok := v.literal[r.URL.Path]; ok && route.Path != r.URL.Path {
		return nil, nil, methodNotAllowed(w, r, allowed)
	}
	setRoute(w, route.Path)

	if r.URL.RawQuery != "" {
		if e := v.checkQuery(r, route); e != nil {
			return nil, nil, e
		}
	}

	limit := v.maxBody
	if n, ok := v.bodyLimit[route.Operation]; ok {
		limit = n
	}
	body, e := v.bufferBody(w, r, limit)
	if e != nil {
		return nil, nil, e
	}
	err = openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      route,
		Options:    v.opts,
	})
	if err != nil {
		return nil, nil, requestError(route, err)
	}
	// kin-openapi and the generated handler decode the first JSON value and
	// ignore what follows it; the body must be that value alone.
	if route.Operation.RequestBody != nil && len(body) > 0 {
		if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
			return nil, nil, newError(http.StatusBadRequest, CodeBadRequest, "the body must be one JSON value: %v", err)
		}
	}
	return route, pathParams, nil
}

// checkQuery rejects undeclared and repeated query parameters.
func (v *requestValidator) checkQuery(r *http.Request, route *routers.Route) *apiError {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return newError(http.StatusBadRequest, CodeInvalidParameter, "malformed query string: %v", err)
	}
	declared := v.query[route.Operation]
	for _, name := range sortedKeys(query) {
		if !declared[name] {
			return newError(http.StatusBadRequest, CodeUnknownParameter, "unknown query parameter %q for %s %s", name, route.Method, route.Path)
		}
		if len(query[name]) > 1 {
			return errInvalidParameter("query parameter %q is given %d times", name, len(query[name]))
		}
	}
	return nil
}

// routeError answers a request no operation matches: 405 when the path
// exists under other methods, else 404.
func (v *requestValidator) routeError(w http.ResponseWriter, r *http.Request) *apiError {
	// A literal path allows its own methods only, not those of a template
	// it also matches (DELETE /v1/transactions/send: POST, not GET).
	if allowed, ok := v.literal[r.URL.Path]; ok {
		return methodNotAllowed(w, r, allowed)
	}
	var allowed []string
	for _, m := range v.methods {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(context.Background())
		r2.Method = m
		if _, _, err := v.router.FindRoute(r2); err == nil {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		return methodNotAllowed(w, r, allowed)
	}
	return errNotFound("no such endpoint: %s %s", r.Method, r.URL.Path)
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed []string) *apiError {
	setRoute(w, "method_not_allowed")
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	return newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s %s is not allowed; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", "))
}

// bufferBody reads the body, at most maxBody bytes, and puts it back as a
// replayable reader for the validator and the handler. It returns the body
// read.
func (v *requestValidator) bufferBody(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, *apiError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	tooLarge := newError(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body over %d bytes", maxBody)
	if r.ContentLength > maxBody {
		return nil, tooLarge
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	_ = r.Body.Close()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "reading the request body failed")
	}
	r.ContentLength = int64(len(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r.Body, _ = r.GetBody()
	return data, nil
}

// requestError maps a kin-openapi validation error to the API.
func requestError(route *routers.Route, err error) *apiError {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return newError(http.StatusBadRequest, CodeBadRequest, "%v", err)
	}
	var se *openapi3.SchemaError
	switch {
	case re.Parameter != nil:
		p := re.Parameter
		switch {
		case isAccountParam(route.Path, p):
			return newError(http.StatusBadRequest, CodeInvalidAccount, "%v", re)
		case p.In == openapi3.ParameterInPath && p.Name == "name" && strings.HasPrefix(route.Path, "/v1/namespace/"):
			return newError(http.StatusBadRequest, CodeInvalidNamespace, "%v", re)
		}
		return errInvalidParameter("%v", re)
	case re.RequestBody != nil && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
		return newError(http.StatusUnsupportedMediaType, CodeBadRequest, "the body must be application/json")
	case re.RequestBody != nil && errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return newError(http.StatusBadRequest, CodeBadRequest, "a JSON body is required")
	case re.RequestBody != nil && errors.As(re.Err, &se) && se.SchemaField == "maxLength":
		return newError(http.StatusRequestEntityTooLarge, CodeTooLarge, "%v", re)
	}
	return newError(http.StatusBadRequest, CodeBadRequest, "%v", re)
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isAccountParam reports whether p names an account (an id resolve
// parses): its schema failures are invalid_account, as resolve's are.
func isAccountParam(route string, p *openapi3.Parameter) bool {
	switch p.In {
	case openapi3.ParameterInPath:
		return p.Name == "id" && strings.HasPrefix(route, "/v1/accounts/") ||
			(p.Name == "id" || p.Name == "address") && strings.HasPrefix(route, "/v1/namespace/")
	case openapi3.ParameterInQuery:
		return p.Name == "owner" || p.Name == "contract" || p.Name == "caller"
	}
	return false
}

// maxBodyExtension reads an operation's x-max-body-bytes, a positive
// integer.
func maxBodyExtension(op *openapi3.Operation) (int64, bool, error) {
	raw, ok := op.Extensions["x-max-body-bytes"]
	if !ok {
		return 0, false, nil
	}
	var n int64
	switch v := raw.(type) {
	case float64:
		n = int64(v)
		if float64(n) != v {
			n = 0
		}
	case int:
		n = int64(v)
	case int64:
		n = v
	case json.Number:
		n, _ = v.Int64()
	case json.RawMessage:
		_ = json.Unmarshal(v, &n)
	}
	if n <= 0 {
		return 0, false, fmt.Errorf("x-max-body-bytes %v is not a positive integer", raw)
	}
	return n, true, nil
}
