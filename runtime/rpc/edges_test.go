package rpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/runtime/node"
)

// edgeMaxHeaderBytes keeps the 431 case small: net/http allows the head
// this many bytes plus 4096.
const edgeMaxHeaderBytes = 1 << 10

// newWrappedServer serves New(b) through WrapServer on the loopback
// interface, as the node does, and returns its address.
func newWrappedServer(t testing.TB, b Backend) string {
	t.Helper()
	h, err := New(b, Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.MaxHeaderBytes = edgeMaxHeaderBytes
	srv.Listener = WrapServer(srv.Config, srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// rawResponse is one response read off a raw connection.
type rawResponse struct {
	status int
	proto  string
	header http.Header
	body   []byte
	close  bool // the server closes the connection (ReadResponse drops the header)
}

// rawExchange writes raw on a new connection and reads n responses.
func rawExchange(t testing.TB, addr, raw string, n int) []rawResponse {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	// The method, for a HEAD answer's empty body.
	method, _, _ := strings.Cut(raw, " ")
	var out []rawResponse
	for range n {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%q: reading response %d: %v", raw, len(out)+1, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%q: reading body: %v", raw, err)
		}
		out = append(out, rawResponse{resp.StatusCode, resp.Proto, resp.Header, body, resp.Close})
	}
	return out
}

// rawDo sends one raw request and returns its response.
func rawDo(t testing.TB, addr, raw string) rawResponse {
	t.Helper()
	return rawExchange(t, addr, raw, 1)[0]
}

// wantRawError requires the error shape with status and code.
func wantRawError(t testing.TB, what string, r rawResponse, status int, code string) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: %d Content-Type %q: %q", what, r.status, ct, r.body)
		return
	}
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Errorf("%s: %d not the error shape: %v: %q", what, r.status, err, r.body)
		return
	}
	if r.status != status || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("%s: %d %q (%s), want %d %q", what, r.status, e.Error.Code, e.Error.Message, status, code)
	}
	if !slices.Contains(knownCodes, e.Error.Code) {
		t.Errorf("%s: code %q is not in the spec", what, e.Error.Code)
	}
}

// TestNetHTTPAnswers sends, over TCP, the requests net/http answers itself
// before any handler runs: each must get a 4xx in the error shape.
func TestNetHTTPAnswers(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	addr := newWrappedServer(t, n)
	const host = "Host: node.test\r\n"
	bigHeader := "X-Big: " + strings.Repeat("a", edgeMaxHeaderBytes+8<<10) + "\r\n"
	cases := []struct {
		name   string
		raw    string
		status int
		code   string
	}{
		// The target.
		{"bad escape", "GET /v1/accounts/%zz HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"truncated escape", "GET /v1/chain/status%4 HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"bad escape in host part", "GET http://node%zz/v1/chain/status HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"NUL in path", "GET /v1/chain/\x00status HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"DEL in path", "GET /v1/chain/\x7fstatus HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"control byte in path", "GET /v1/chain/\x01status HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"space in path", "GET /v1/chain status HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"no target", "GET HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},

		// The request line.
		{"no version", "GET /v1/chain/status\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"bad version", "GET /v1/chain/status HTTX/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"HTTP/2.0", "GET /v1/chain/status HTTP/2.0\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"HTTP/0.9", "GET /v1/chain/status HTTP/0.9\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"HTTP/3.0", "GET /v1/chain/status HTTP/3.0\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"bad method", "G\x01T /v1/chain/status HTTP/1.1\r\n" + host + "\r\n", 400, CodeBadRequest},
		{"binary", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, CodeBadRequest},

		// Headers.
		{"no Host", "GET /v1/chain/status HTTP/1.1\r\n\r\n", 400, CodeBadRequest},
		{"two Hosts", "GET /v1/chain/status HTTP/1.1\r\n" + host + host + "\r\n", 400, CodeBadRequest},
		{"bad Host", "GET /v1/chain/status HTTP/1.1\r\nHost: a b\r\n\r\n", 400, CodeBadRequest},
		{"bad header name", "GET /v1/chain/status HTTP/1.1\r\n" + host + "Bad Name: x\r\n\r\n", 400, CodeBadRequest},
		{"no colon", "GET /v1/chain/status HTTP/1.1\r\n" + host + "NoColon\r\n\r\n", 400, CodeBadRequest},
		{"NUL in header value", "GET /v1/chain/status HTTP/1.1\r\n" + host + "X-A: a\x00b\r\n\r\n", 400, CodeBadRequest},
		{"head too large", "GET /v1/chain/status HTTP/1.1\r\n" + host + bigHeader + "\r\n", 431, CodeTooLarge},

		// The body's framing.
		{"Content-Length word", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Content-Length: abc\r\n\r\n", 400, CodeBadRequest},
		{"Content-Length negative", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", 400, CodeBadRequest},
		{"Content-Length twice", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, CodeBadRequest},
		{"Content-Length list", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Content-Length: 2, 3\r\n\r\n{}", 400, CodeBadRequest},
		{"Transfer-Encoding gzip, chunked", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400, CodeBadRequest},
		{"Transfer-Encoding identity", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Transfer-Encoding: identity\r\n\r\n", 400, CodeBadRequest},
		{"Transfer-Encoding twice", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, CodeBadRequest},
		{"Expect", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Expect: 200-ok\r\nContent-Length: 2\r\n\r\n{}", 417, CodeBadRequest},
		{"Expect on GET", "GET /v1/chain/status HTTP/1.1\r\n" + host + "Expect: x\r\n\r\n", 417, CodeBadRequest},

		// Reach the handlers: their own answers.
		{"malformed chunk", "POST /v1/transactions/send HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, CodeBadRequest},
		{"escaped NUL", "GET /v1/chain/status%00 HTTP/1.1\r\n" + host + "\r\n", 404, CodeNotFound},
		{"escaped DEL", "GET /v1/accounts/%7F HTTP/1.1\r\n" + host + "\r\n", 400, CodeInvalidAccount},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 404, CodeNotFound},
		{"GET *", "GET * HTTP/1.1\r\n" + host + "\r\n", 404, CodeNotFound},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 404, CodeNotFound},
		{"HTTP/1.2", "GET /v1/nothing HTTP/1.2\r\n" + host + "\r\n", 404, CodeNotFound},
		{"CONNECT", "CONNECT node.test:443 HTTP/1.1\r\n" + host + "\r\n", 404, CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawDo(t, addr, tc.raw)
			if r.status < 400 || r.status >= 500 {
				t.Errorf("status %d, want a 4xx", r.status)
			}
			wantRawError(t, tc.name, r, tc.status, tc.code)
		})
	}
}

// TestNetHTTPAnswersKeepAlive: net/http's own answer to a second request
// on a connection (read from the wire or already buffered) is rewritten
// too, and the handler's answers around it are left as they are.
func TestNetHTTPAnswersKeepAlive(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	addr := newWrappedServer(t, n)
	good := "GET /v1/chain/status HTTP/1.1\r\nHost: node.test\r\n\r\n"
	notFound := "GET /v1/nothing HTTP/1.1\r\nHost: node.test\r\n\r\n"
	bad := "GET /v1/%zz HTTP/1.1\r\nHost: node.test\r\n\r\n"

	// Pipelined: the bad request is already buffered when the first ends.
	rs := rawExchange(t, addr, good+notFound+bad, 3)
	if rs[0].status != 200 || !json.Valid(rs[0].body) {
		t.Fatalf("good request: %d %q", rs[0].status, rs[0].body)
	}
	wantRawError(t, "handler's 404", rs[1], 404, CodeNotFound)
	wantRawError(t, "pipelined bad escape", rs[2], 400, CodeBadRequest)
	if !rs[2].close {
		t.Errorf("net/http's answer does not close the connection")
	}

	// One after the other on the same connection.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i, raw := range []string{good, good, bad} {
		if _, err := io.WriteString(conn, raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := rawResponse{resp.StatusCode, resp.Proto, resp.Header, body, resp.Close}
		if i < 2 {
			if r.status != 200 {
				t.Fatalf("request %d: %d %q", i, r.status, body)
			}
			continue
		}
		wantRawError(t, "bad escape after good ones", r, 400, CodeBadRequest)
	}

	// HTTP/1.0 gets its own version back.
	r := rawDo(t, addr, "GET /v1/chain/status HTTP/1.0\r\nExpect: x\r\n\r\n")
	wantRawError(t, "HTTP/1.0 Expect", r, 417, CodeBadRequest)
	if r.proto != "HTTP/1.0" {
		t.Errorf("answered %s to HTTP/1.0", r.proto)
	}
}

// TestExpectContinue: the interim 100 Continue a handler triggers passes
// through unchanged.
func TestExpectContinue(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	addr := newWrappedServer(t, n)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	body := `{"transaction":"0x00"}`
	if _, err := io.WriteString(conn, "POST /v1/transactions/send HTTP/1.1\r\nHost: node.test\r\nContent-Type: application/json\r\n"+
		"Expect: 100-continue\r\nContent-Length: 22\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim response %q, %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantRawError(t, "send after 100 Continue", rawResponse{resp.StatusCode, resp.Proto, resp.Header, b, resp.Close}, 400, CodeInvalidTransaction)
}

// TestSendTrailingData: a send body is one JSON value and nothing but
// whitespace after it.
func TestSendTrailingData(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	addr := newWrappedServer(t, n)
	tx := `{"transaction":"` + encodeTx(t, transfer(keys[aliceKey], 0, keys[bobKey].Address(), 1)) + `"}`
	post := func(body string) rawResponse {
		return rawDo(t, addr, "POST /v1/transactions/send HTTP/1.1\r\nHost: node.test\r\nContent-Type: application/json\r\n"+
			"Content-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
	}
	for _, trailer := range []string{
		"xyz", tx, "\x00", " 1", "]", "}", "null", `""`, " \n{", "\r\n\x00", "\u00a0", "\ufeff", "//", ",",
	} {
		r := post(tx + trailer)
		wantRawError(t, "trailing "+strings.ToValidUTF8(trailer, "?"), r, 400, CodeBadRequest)
		if n.Mempool().Len() != 0 {
			t.Fatalf("trailing %q: admitted", trailer)
		}
	}
	// JSON whitespace is not trailing data.
	if r := post(tx + " \t\r\n"); r.status != http.StatusAccepted {
		t.Fatalf("trailing whitespace: %d %s", r.status, r.body)
	}
	if r := post("\n" + tx); r.status != http.StatusConflict {
		t.Fatalf("leading whitespace: %d %s", r.status, r.body)
	}
}

// TestAllowHeader: for every path of the spec and every method it does
// not take, a 405 whose Allow lists exactly the methods of that path. A
// literal path (/v1/transactions/send, /v1/blocks/latest) allows its own
// methods, not those of a template it also matches.
func TestAllowHeader(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	addr := newWrappedServer(t, n)
	doc, err := specDoc()
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]string{
		"/v1/accounts/{id}":              "/v1/accounts/@alice",
		"/v1/accounts/{id}/balance":      "/v1/accounts/@alice/balance",
		"/v1/accounts/{id}/transactions": "/v1/accounts/@alice/transactions",
		"/v1/transactions/{hash}":        "/v1/transactions/0x" + strings.Repeat("ab", 32),
		"/v1/blocks/{id}":                "/v1/blocks/1",
	}
	// The namespace paths, on a name no namespace has.
	ca := "0x" + strings.Repeat("ab", 20)
	for tmpl, p := range map[string]string{
		"":                                 "",
		"/status":                          "/status",
		"/contracts":                       "/contracts",
		"/contracts/{address}":             "/contracts/" + ca,
		"/contracts/{address}/state/{key}": "/contracts/" + ca + "/state/0x00",
		"/contracts/{address}/call":        "/contracts/" + ca + "/call",
		"/contracts/{address}/view":        "/contracts/" + ca + "/view",
		"/query":                           "/query",
		"/events":                          "/events",
		"/txlog":                           "/txlog",
		"/txlog/{position}":                "/txlog/1",
		"/accounts/{id}":                   "/accounts/@alice",
		"/withdrawals":                     "/withdrawals",
		"/deposits":                        "/deposits",
		"/blobs/{cid}":                     "/blobs/b" + strings.Repeat("a", 58),
	} {
		samples["/v1/namespace/{name}"+tmpl] = "/v1/namespace/demo" + p
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"}
	for tmpl, item := range doc.Paths.Map() {
		p := tmpl
		if strings.Contains(tmpl, "{") {
			if p = samples[tmpl]; p == "" {
				t.Fatalf("no sample path for %s", tmpl)
			}
		}
		var allowed []string
		for m := range item.Operations() {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		for _, m := range methods {
			if slices.Contains(allowed, m) {
				continue
			}
			r := rawDo(t, addr, m+" "+p+" HTTP/1.1\r\nHost: node.test\r\nContent-Length: 0\r\n\r\n")
			if m == http.MethodHead {
				if r.status != 405 {
					t.Errorf("HEAD %s: %d", p, r.status)
				}
			} else {
				wantRawError(t, m+" "+p, r, 405, CodeMethodNotAllowed)
			}
			if got, want := r.header.Get("Allow"), strings.Join(allowed, ", "); got != want {
				t.Errorf("%s %s: Allow %q, want %q", m, p, got, want)
			}
		}
	}
	for _, p := range []string{"/metrics", "/v1/openapi.yaml", "/v1/docs"} {
		r := rawDo(t, addr, "DELETE "+p+" HTTP/1.1\r\nHost: node.test\r\n\r\n")
		wantRawError(t, "DELETE "+p, r, 405, CodeMethodNotAllowed)
		if got := r.header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("DELETE %s: Allow %q", p, got)
		}
	}
}
