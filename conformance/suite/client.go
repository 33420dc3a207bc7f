package suite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxResponse bounds a response body the suite reads.
const maxResponse = 64 << 20

// client talks to one node's REST API; every answer is validated against
// the OpenAPI document, and answers a check expected count toward coverage
// when the node is the one under test.
type client struct {
	name string // for messages: "the node under test", "our validator"
	base string // http://host:port
	addr string // host:port
	hc   *http.Client
	spec *apiSpec
	cov  *coverage // nil: not counted
}

func newClient(name, addr string, spec *apiSpec, cov *coverage) *client {
	return &client{name: name, base: "http://" + addr, addr: addr, spec: spec, cov: cov,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: 8, DisableCompression: true, IdleConnTimeout: 30 * time.Second}}}
}

// reply is one answer.
type reply struct {
	method, target string
	status         int
	header         http.Header
	body           []byte
	code           string // the error code of an error body
}

// got says what came: status and code first, so a message reads "want
// 400 nonce_gap, got 400 nonce_too_low (...)".
func (r *reply) got() string {
	code := r.code
	if code == "" {
		code = "(no error code)"
	}
	return fmt.Sprintf("%d %s (%s)", r.status, code, r)
}

func (r *reply) String() string {
	b := strings.TrimSpace(string(r.body))
	if len(b) > 300 {
		b = b[:300] + "..."
	}
	return fmt.Sprintf("%s %s: %d %s", r.method, r.target, r.status, b)
}

// request is one call: op is the operationId the request is meant for
// ("" when no operation takes it: an unknown route, a wrong method).
type request struct {
	op, method, target string
	body               []byte
	header             map[string]string
}

// do sends q and validates the answer. A transport failure or an answer
// that breaks the document fails c (Fatalf for transport failures: the
// node is not answering).
func (cl *client) do(c *C, q request) *reply {
	r, err := cl.send(c.ctx, q)
	if err != nil {
		c.Fatalf("%s: %s %s: %v", cl.name, q.method, q.target, err)
	}
	return r
}

// send is do without a check: it returns the validation failure as an
// error too.
func (cl *client) send(ctx context.Context, q request) (*reply, error) {
	var op *operation
	if q.op != "" {
		op = cl.spec.ops[q.op]
		if op == nil {
			return nil, fmt.Errorf("no operation %q in the document (a bug in the suite)", q.op)
		}
	}
	var body io.Reader
	if q.body != nil {
		body = bytes.NewReader(q.body)
	}
	req, err := http.NewRequestWithContext(ctx, q.method, cl.base+q.target, body)
	if err != nil {
		return nil, err
	}
	if q.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range q.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := cl.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	r := &reply{method: q.method, target: q.target, status: resp.StatusCode, header: resp.Header, body: b}
	code, verr := cl.spec.validate(ctx, op, req, resp.StatusCode, resp.Header, b)
	r.code = code
	if verr != nil {
		where := "the Error schema"
		if op != nil {
			where = "operation " + op.id
		}
		return r, fmt.Errorf("the answer breaks generated/api/openapi.yaml (%s): %v; got %s", where, verr, r)
	}
	return r, nil
}

// get expects 200 from GET target (operation op) and decodes the body
// into out. It reports whether it did; otherwise c has failed.
func (cl *client) get(c *C, op, target string, out any) bool {
	r, err := cl.send(c.ctx, request{op: op, method: http.MethodGet, target: target})
	switch {
	case r == nil:
		c.Fatalf("%s: GET %s: %v", cl.name, target, err)
	case err != nil:
		c.Errorf("%v", err)
		return false
	case r.status != http.StatusOK:
		c.Errorf("%s: want 200, got %s", cl.name, r)
		return false
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.Errorf("%s: GET %s: %v", cl.name, target, err)
			return false
		}
	}
	if cl.cov != nil {
		cl.cov.op(op, true)
	}
	return true
}

// fails expects an error answer with status and code to q. It reports
// whether it got one; otherwise c has failed, the message naming what was
// expected and what came.
func (cl *client) fails(c *C, q request, status int, code string) bool {
	_, ok := cl.expect(c, q, status, code)
	return ok
}

// expect is fails, returning the answer too.
func (cl *client) expect(c *C, q request, status int, code string) (*reply, bool) {
	r, err := cl.send(c.ctx, q)
	return r, cl.expected(c, q, r, err, status, code)
}

// expected judges the answer to q that send gave (r, err; sent earlier,
// perhaps concurrently): an error answer with status and code.
func (cl *client) expected(c *C, q request, r *reply, err error, status int, code string) bool {
	switch {
	case r == nil:
		c.Fatalf("%s: %s %s: %v", cl.name, q.method, q.target, err)
	case err != nil:
		c.Errorf("%v", err)
		return false
	case r.status != status || r.code != code:
		c.Errorf("%s %s: want %d %s, got %s", q.method, q.target, status, code, r.got())
		return false
	}
	if cl.cov != nil {
		if q.op != "" {
			cl.cov.op(q.op, false)
		}
		cl.cov.code(code)
	}
	return true
}

// raw sends bytes as they are on a new connection and reads one answer:
// for requests a well-behaved HTTP client cannot send (malformed framing,
// oversized headers). Its answer must be an Error object.
func (cl *client) raw(c *C, what string, data []byte, status int, code string) bool {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(c.ctx, "tcp", cl.addr)
	if err != nil {
		c.Fatalf("%s: %s: %v", cl.name, what, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	// The node may answer and close before reading everything; a write
	// error after an answer is fine.
	go conn.Write(data)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		c.Errorf("%s: %s: no HTTP answer: %v", cl.name, what, err)
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	gotCode, verr := cl.spec.validate(c.ctx, nil, nil, resp.StatusCode, resp.Header, b)
	r := &reply{method: "raw", target: what, status: resp.StatusCode, body: b, code: gotCode}
	switch {
	case verr != nil:
		c.Errorf("%s: the answer breaks generated/api/openapi.yaml (the Error schema): %v; got %s", what, verr, r)
		return false
	case resp.StatusCode != status || gotCode != code:
		c.Errorf("%s: want %d %s, got %s", what, status, code, r.got())
		return false
	}
	if cl.cov != nil {
		cl.cov.code(code)
	}
	return true
}
