package nsengine

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// RQLite is a client of one rqlited node's HTTP API (v8): the namespace
// executor's TxLog append (ExecuteTx, one Raft entry or nothing) and its log
// reads (Query), the executor choice (IsLeader) and the health check
// (Ready).
//
// It speaks the API with net/http rather than github.com/rqlite/gorqlite:
// gorqlite decodes numbers as float64 (an int64 above 2^53 comes back
// changed), sends []byte arguments as base64 text (rqlite binds them as
// TEXT), and has no blob_array; the executor needs all three exact.
//
// Values, both ways (rqlite v8.36.0's JSON, checked by the tests):
//   - Arguments: nil (NULL), signed and unsigned integers up to 2^63-1,
//     float32/float64 (always sent with a '.' or an exponent so rqlite binds
//     a REAL, never an INTEGER), string (valid UTF-8), []byte (sent as an
//     array of byte values, bound as a BLOB), bool (1 or 0), Value. A string
//     rqlite would read as a blob literal (x'..' with hex digits, after
//     trimming spaces) and NaN or infinities are refused with
//     ErrUnrepresentable: rqlite cannot receive them as such.
//   - Results (requested with blob_array): null, integers exact to 64 bits,
//     floats, text and blobs come back with their storage class, except
//     that rqlite's JSON does not say whether a whole number is an INTEGER
//     or a REAL: it is decoded as Real when the column's type has REAL
//     affinity (REAL, FLOAT, DOUBLE) and as Integer otherwise. For a column
//     without a declared type, and an expression, rqlite reports as its type
//     the storage class of the first row's value.
//   - rqlite itself rewrites values before encoding them: a BLOB in a column
//     whose type is TEXT-like or empty (an untyped column, an expression)
//     comes back as text (invalid UTF-8 replaced; and a query forwarded by a
//     follower fails outright, the leader cannot encode that text, which
//     looks like ErrUnavailable); DATE/DATETIME/TIMESTAMP values come back
//     as times (text that is not a time as the zero time); BOOLEAN values as
//     true/false (positive or not, decoded 1/0). Select typeof(x), hex(x) or
//     quote(x) where the exact stored form matters; writes are exact.
//
// SQL is sent with noparse: rqlite runs it as written (no rewriting of
// RANDOM() or time functions), so DDL reaches its schema verbatim.
type RQLite struct {
	base   string
	client *http.Client

	// Timeout bounds a request whose context has no deadline (default
	// 10 s). Set the fields before the first call.
	Timeout time.Duration
	// ReadRetry is how long Query retries answers that mean "no leader
	// yet" (503, a forwarding failure) before giving up with
	// ErrUnavailable (default 10 s; rqlite elects a leader in about 2 s).
	ReadRetry time.Duration
	// Logger receives retries (default slog.Default()).
	Logger *slog.Logger
}

// Level is the read consistency of a Query (rqlite's level parameter).
type Level uint8

const (
	// LevelNone reads the node's local SQLite, whatever its Raft state
	// (followers tailing the log).
	LevelNone Level = iota
	// LevelWeak reads on the node that believes it is leader (a follower
	// forwards).
	LevelWeak
	// LevelStrong goes through the Raft log: it sees every write committed
	// before it started, and commits entries of an earlier term first.
	LevelStrong
)

func (l Level) String() string {
	switch l {
	case LevelNone:
		return "none"
	case LevelWeak:
		return "weak"
	case LevelStrong:
		return "strong"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// Statement is one SQL statement and its positional arguments ("?").
type Statement struct {
	SQL  string
	Args []any
}

// ValueKind is a SQLite storage class.
type ValueKind uint8

const (
	KindNull ValueKind = iota
	KindInteger
	KindReal
	KindText
	KindBlob
)

func (k ValueKind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindInteger:
		return "integer"
	case KindReal:
		return "real"
	case KindText:
		return "text"
	case KindBlob:
		return "blob"
	}
	return fmt.Sprintf("ValueKind(%d)", uint8(k))
}

// Value is one SQL value with its storage class.
type Value struct {
	Kind  ValueKind
	Int   int64
	Float float64
	Text  string
	Blob  []byte // non-nil for KindBlob
}

// Null, Int, Float, TextValue and BlobValue build Values.
func Null() Value              { return Value{Kind: KindNull} }
func Int(v int64) Value        { return Value{Kind: KindInteger, Int: v} }
func Float(v float64) Value    { return Value{Kind: KindReal, Float: v} }
func TextValue(s string) Value { return Value{Kind: KindText, Text: s} }
func BlobValue(b []byte) Value {
	if b == nil {
		b = []byte{}
	}
	return Value{Kind: KindBlob, Blob: b}
}

// Any returns the value as nil, int64, float64, string or []byte.
func (v Value) Any() any {
	switch v.Kind {
	case KindInteger:
		return v.Int
	case KindReal:
		return v.Float
	case KindText:
		return v.Text
	case KindBlob:
		return v.Blob
	}
	return nil
}

// Equal reports whether two values have the same storage class and the
// same value (floats compared bit for bit).
func (v Value) Equal(o Value) bool {
	if v.Kind != o.Kind {
		return false
	}
	switch v.Kind {
	case KindInteger:
		return v.Int == o.Int
	case KindReal:
		return math.Float64bits(v.Float) == math.Float64bits(o.Float)
	case KindText:
		return v.Text == o.Text
	case KindBlob:
		return bytes.Equal(v.Blob, o.Blob)
	}
	return true
}

func (v Value) String() string {
	switch v.Kind {
	case KindInteger:
		return strconv.FormatInt(v.Int, 10)
	case KindReal:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case KindText:
		return strconv.Quote(v.Text)
	case KindBlob:
		return "x'" + hex.EncodeToString(v.Blob) + "'"
	}
	return "NULL"
}

// Rows is the answer of a Query.
type Rows struct {
	Columns []string
	Types   []string // the declared types rqlite reports, lowercase
	Values  [][]Value
}

// NewRQLite returns a client of the rqlited node whose HTTP API is at
// baseURL ("http://127.0.0.1:4001"). It does not contact the node.
func NewRQLite(baseURL string) (*RQLite, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("nsengine: rqlite URL %q: want http://host:port", baseURL)
	}
	return &RQLite{
		base:      strings.TrimSuffix(baseURL, "/"),
		client:    &http.Client{},
		Timeout:   10 * time.Second,
		ReadRetry: 10 * time.Second,
		Logger:    slog.Default(),
	}, nil
}

// URL returns the node's base URL.
func (r *RQLite) URL() string { return r.base }

// Close releases idle connections.
func (r *RQLite) Close() error {
	r.client.CloseIdleConnections()
	return nil
}

// ExecuteTx runs stmts in one request with ?transaction: rqlite applies them
// in one Raft entry inside one SQLite transaction, all or none. It returns
// nil when all were applied; an error wrapping ErrConflict when a statement
// broke a constraint and ErrSQL for another statement error (in both cases
// nothing was applied); ErrUnrepresentable for an argument that cannot be
// sent (nothing was sent); ErrUnavailable when the outcome is unknown (no
// answer, timeout, 503, a failed forward to the leader, an answer that
// cannot be decoded): the statements may or may not have been applied. It
// never retries: the caller decides (the executor reads the log with
// LevelStrong to find out).
func (r *RQLite) ExecuteTx(ctx context.Context, stmts []Statement) error {
	if len(stmts) == 0 {
		return nil
	}
	for i, st := range stmts {
		// rqlite skips an empty statement without a result, which would
		// make the answer ambiguous.
		if strings.TrimSpace(st.SQL) == "" {
			return fmt.Errorf("rqlite execute: statement %d: %w: empty SQL", i+1, ErrSQL)
		}
	}
	body, err := encodeStatements(stmts)
	if err != nil {
		return fmt.Errorf("rqlite execute: %w", err)
	}
	status, out, err := r.do(ctx, http.MethodPost, "/db/execute", "transaction&noparse", body)
	if err != nil {
		return fmt.Errorf("rqlite execute: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("rqlite execute: %w", httpStatusErr(status, out))
	}
	resp, err := decodeRQLiteResponse(out)
	if err != nil {
		// Applied or not, nobody can tell from this answer.
		return fmt.Errorf("%w: rqlite execute: %w", ErrUnavailable, err)
	}
	if resp.Error != "" {
		return fmt.Errorf("%w: rqlite execute: %s", ErrUnavailable, resp.Error)
	}
	for i, res := range resp.Results {
		if res.Error != "" {
			return fmt.Errorf("rqlite execute: statement %d of %d: %w", i+1, len(stmts), statementErr(res.Error))
		}
	}
	if len(resp.Results) != len(stmts) {
		return fmt.Errorf("%w: %w: rqlite execute: %d results for %d statements", ErrUnavailable, ErrMalformed, len(resp.Results), len(stmts))
	}
	return nil
}

// statementErr classifies an error rqlite reports for one statement.
func statementErr(msg string) error {
	if strings.Contains(msg, "constraint failed") {
		return fmt.Errorf("%w: %s", ErrConflict, msg)
	}
	return fmt.Errorf("%w: %s", ErrSQL, msg)
}

func httpStatusErr(status int, body []byte) error {
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if status == http.StatusBadRequest {
		return fmt.Errorf("%w: HTTP %d: %s", ErrSQL, status, msg)
	}
	return fmt.Errorf("%w: HTTP %d: %s", ErrUnavailable, status, msg)
}

// Query runs one read-only statement at the given level and returns its
// rows. Answers that mean "no leader now" (503, a failed forward) are
// retried for up to ReadRetry (a read is safe to repeat); errors wrap
// ErrSQL (the statement failed), ErrUnavailable, ErrUnrepresentable or
// ErrMalformed.
func (r *RQLite) Query(ctx context.Context, level Level, sql string, args ...any) (*Rows, error) {
	if level > LevelStrong {
		return nil, fmt.Errorf("nsengine: rqlite query: unknown %v", level)
	}
	body, err := encodeStatements([]Statement{{SQL: sql, Args: args}})
	if err != nil {
		return nil, fmt.Errorf("rqlite query: %w", err)
	}
	query := "blob_array&noparse&level=" + level.String()
	deadline := time.Now().Add(r.ReadRetry)
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		rows, retry, err := r.queryOnce(ctx, query, body)
		if err == nil {
			return rows, nil
		}
		if !retry || time.Now().Add(backoff).After(deadline) {
			return nil, fmt.Errorf("rqlite query (%s, attempt %d): %w", level, attempt, err)
		}
		r.Logger.Debug("rqlite query: retrying", "url", r.base, "level", level.String(), "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("rqlite query (%s, attempt %d): %w (after: %v)", level, attempt, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

func (r *RQLite) queryOnce(ctx context.Context, query string, body []byte) (*Rows, bool, error) {
	status, out, err := r.do(ctx, http.MethodPost, "/db/query", query, body)
	if err != nil {
		return nil, false, err
	}
	if status == http.StatusServiceUnavailable {
		return nil, true, httpStatusErr(status, out)
	}
	if status != http.StatusOK {
		return nil, false, httpStatusErr(status, out)
	}
	resp, err := decodeRQLiteResponse(out)
	if err != nil {
		return nil, false, err
	}
	if resp.Error != "" {
		// A forward to a leader that went away, "not leader": retry.
		return nil, true, fmt.Errorf("%w: %s", ErrUnavailable, resp.Error)
	}
	if len(resp.Results) != 1 {
		return nil, false, fmt.Errorf("%w: %d results for one query", ErrMalformed, len(resp.Results))
	}
	res := resp.Results[0]
	if res.Error != "" {
		if strings.Contains(res.Error, "leader") {
			return nil, true, fmt.Errorf("%w: %s", ErrUnavailable, res.Error)
		}
		return nil, false, fmt.Errorf("%w: %s", ErrSQL, res.Error)
	}
	rows, err := res.rows()
	return rows, false, err
}

// IsLeader reports whether the node is the Raft leader now (GET /status,
// store.raft.state).
func (r *RQLite) IsLeader(ctx context.Context) (bool, error) {
	status, out, err := r.do(ctx, http.MethodGet, "/status", "", nil)
	if err != nil {
		return false, fmt.Errorf("rqlite status: %w", err)
	}
	if status != http.StatusOK {
		return false, fmt.Errorf("rqlite status: %w", httpStatusErr(status, out))
	}
	st, err := decodeRQLiteStatus(out)
	if err != nil {
		return false, fmt.Errorf("rqlite status: %w", err)
	}
	return st.leader(), nil
}

// Ready returns nil when the node answers 200 on GET /readyz (it is up and
// knows a leader), else an error wrapping ErrUnavailable.
func (r *RQLite) Ready(ctx context.Context) error {
	status, out, err := r.do(ctx, http.MethodGet, "/readyz", "", nil)
	if err != nil {
		return fmt.Errorf("rqlite readyz: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("rqlite readyz: %w", fmt.Errorf("%w: HTTP %d: %s", ErrUnavailable, status, strings.TrimSpace(string(out))))
	}
	return nil
}

// maxAnswerBytes bounds what is read of one answer (a TxLog page is 256
// entries of at most 8 MiB each in theory; in practice far less).
const maxAnswerBytes = 1 << 30

func (r *RQLite) do(ctx context.Context, method, path, query string, body []byte) (int, []byte, error) {
	if _, ok := ctx.Deadline(); !ok && r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	u := r.base + path
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, transportErr(ctx, method+" "+path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return 0, nil, transportErr(ctx, method+" "+path, err)
	}
	if len(out) > maxAnswerBytes {
		return 0, nil, fmt.Errorf("%w: answer over %d bytes", ErrMalformed, maxAnswerBytes)
	}
	return resp.StatusCode, out, nil
}

// encodeStatements writes the request body rqlite parses: a JSON array of
// ["SQL", arg, ...] arrays.
func encodeStatements(stmts []Statement) ([]byte, error) {
	b := []byte{'['}
	for i, s := range stmts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		var err error
		if !utf8.ValidString(s.SQL) {
			return nil, fmt.Errorf("%w: statement %d: SQL is not UTF-8", ErrUnrepresentable, i+1)
		}
		b, err = appendJSONString(b, s.SQL)
		if err != nil {
			return nil, err
		}
		for j, a := range s.Args {
			b = append(b, ',')
			if b, err = appendArg(b, a); err != nil {
				return nil, fmt.Errorf("statement %d, argument %d: %w", i+1, j+1, err)
			}
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

func appendJSONString(b []byte, s string) ([]byte, error) {
	q, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnrepresentable, err)
	}
	return append(b, q...), nil
}

func appendArg(b []byte, a any) ([]byte, error) {
	switch v := a.(type) {
	case nil:
		return append(b, "null"...), nil
	case Value:
		switch v.Kind {
		case KindNull:
			return append(b, "null"...), nil
		case KindInteger:
			return strconv.AppendInt(b, v.Int, 10), nil
		case KindReal:
			return appendFloat(b, v.Float)
		case KindText:
			return appendText(b, v.Text)
		case KindBlob:
			return appendBlob(b, v.Blob), nil
		}
		return nil, fmt.Errorf("%w: %v", ErrUnrepresentable, v.Kind)
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint:
		return appendUint(b, uint64(v))
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return appendUint(b, v)
	case bool:
		if v {
			return append(b, '1'), nil
		}
		return append(b, '0'), nil
	case float32:
		return appendFloat(b, float64(v))
	case float64:
		return appendFloat(b, v)
	case string:
		return appendText(b, v)
	case []byte:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendBlob(b, v), nil
	}
	return nil, fmt.Errorf("%w: argument of type %T", ErrUnrepresentable, a)
}

func appendUint(b []byte, v uint64) ([]byte, error) {
	if v > math.MaxInt64 {
		return nil, fmt.Errorf("%w: %d is over 2^63-1", ErrUnrepresentable, v)
	}
	return strconv.AppendUint(b, v, 10), nil
}

// appendFloat writes f so that rqlite's parser (json.Number.Int64 first)
// sees a float: always a '.' or an exponent.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%w: float %v", ErrUnrepresentable, f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return append(b, s...), nil
}

// appendText writes a text argument, refusing what rqlite would not bind
// as that text.
func appendText(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: text is not UTF-8", ErrUnrepresentable)
	}
	if looksLikeHexBlob(s) {
		return nil, fmt.Errorf("%w: text %.40q would be bound as a blob by rqlite (bind its bytes as a blob with CAST(? AS TEXT))", ErrUnrepresentable, s)
	}
	return appendJSONString(b, s)
}

// looksLikeHexBlob reports whether rqlite v8's request parser (db.ParseHex)
// turns string argument s into a blob: X'..' or x'..' with an even number of
// hex digits, after trimming white space.
func looksLikeHexBlob(s string) bool {
	t := strings.TrimSpace(s)
	if len(t) < 3 || (t[0] != 'X' && t[0] != 'x') {
		return false
	}
	t = t[1:]
	if t[0] != '\'' || t[len(t)-1] != '\'' {
		return false
	}
	_, err := hex.DecodeString(t[1 : len(t)-1])
	return err == nil
}

func appendBlob(b []byte, p []byte) []byte {
	b = append(b, '[')
	for i, c := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(c), 10)
	}
	return append(b, ']')
}
