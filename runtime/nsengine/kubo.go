package nsengine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// KuboStorage is the cluster Storage: a Kubo (IPFS) node's HTTP RPC API
// (/api/v0, POST only). Objects are added as CIDv1 raw leaves
// (add?cid-version=1&raw-leaves=true) and linked into the node's MFS at
// /orama/<name>/<cid> (files/cp), which keeps them from garbage collection
// and scopes them to the namespace; Get and Has answer only for objects under
// that directory (like LocalStorage's directory), and read the bytes with
// block/get&offline=true. The CID Kubo reports must equal ComputeCID's, else
// ErrCIDMismatch.
type KuboStorage struct {
	api    string // http://host:port
	name   string
	dir    string // /orama/<name>
	client *http.Client
	log    *slog.Logger

	// Timeout bounds a request whose context has no deadline (default 30 s).
	Timeout time.Duration

	mu     sync.RWMutex
	closed bool
}

var _ Storage = (*KuboStorage)(nil)

// NewKuboStorage returns the store of namespace name on the Kubo node whose
// RPC API is at apiURL ("http://127.0.0.1:5001"; a trailing "/api/v0" is
// accepted). It does not contact the node.
func NewKuboStorage(apiURL, name string) (*KuboStorage, error) {
	if err := CheckNamespaceName(name); err != nil {
		return nil, err
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("nsengine: kubo API URL %q: want http://host:port", apiURL)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(apiURL, "/"), "/api/v0")
	return &KuboStorage{
		api:     base,
		name:    name,
		dir:     "/orama/" + name,
		client:  &http.Client{},
		log:     slog.Default().With("engine", "kubo", "namespace", name),
		Timeout: 30 * time.Second,
	}, nil
}

// Dir returns the namespace's MFS directory, "/orama/<name>".
func (s *KuboStorage) Dir() string { return s.dir }

func (s *KuboStorage) enter(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kubo %s: %w", op, err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("kubo %s: %w", op, ErrClosed)
	}
	return nil
}

// kuboAPIError is an error answer of the RPC API.
type kuboAPIError struct {
	Status  int
	Message string
}

func (e *kuboAPIError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

// notExist reports whether err is Kubo's answer for a missing MFS path.
func notExist(err error) bool {
	var ke *kuboAPIError
	return errors.As(err, &ke) && strings.Contains(ke.Message, "does not exist")
}

// call POSTs one RPC command and returns its body (at most limit bytes).
func (s *KuboStorage) call(ctx context.Context, cmd string, q url.Values, body io.Reader, contentType string, limit int64) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok && s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	u := s.api + "/api/v0/" + cmd
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, fmt.Errorf("kubo %s: %w", cmd, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, transportErr(ctx, "kubo "+cmd, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, transportErr(ctx, "kubo "+cmd, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, derr := decodeKuboError(b)
		if derr != nil {
			msg = fmt.Sprintf("%.200q", b)
		}
		return nil, fmt.Errorf("kubo %s: %w", cmd, &kuboAPIError{Status: resp.StatusCode, Message: msg})
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: kubo %s: answer over %d bytes", ErrMalformed, cmd, limit)
	}
	return b, nil
}

// transportErr classifies a failed exchange: the caller's cancellation as
// itself, anything else (refused, reset, our deadline) as ErrUnavailable.
func transportErr(ctx context.Context, what string, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// apiErr turns an RPC error answer into ErrUnavailable (Kubo could not do
// it), keeping transport and context errors as they are.
func apiErr(err error) error {
	var ke *kuboAPIError
	if errors.As(err, &ke) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// Put implements Storage: add, check the CID, then link into the namespace
// directory (parents created).
func (s *KuboStorage) Put(ctx context.Context, data []byte) ([]byte, error) {
	if err := checkObjectSize(len(data)); err != nil {
		return nil, err
	}
	if err := s.enter(ctx, "put"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	c := ComputeCID(data)
	name, err := CIDString(c)
	if err != nil {
		return nil, err
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return nil, fmt.Errorf("kubo put: %w", err)
	}
	if _, err := fw.Write(data); err != nil {
		return nil, fmt.Errorf("kubo put: %w", err)
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("kubo put: %w", err)
	}
	q := url.Values{
		"cid-version": {"1"}, "raw-leaves": {"true"}, "hash": {"sha2-256"},
		// One chunk up to MaxObjectBytes whatever the node's Import config says.
		"chunker": {fmt.Sprintf("size-%d", MaxObjectBytes)},
		// MFS keeps the object; no recursive pin per object.
		"pin": {"false"}, "progress": {"false"},
	}
	out, err := s.call(ctx, "add", q, &body, mw.FormDataContentType(), 1<<20)
	if err != nil {
		return nil, apiErr(err)
	}
	got, err := decodeKuboAdd(out)
	if err != nil {
		return nil, fmt.Errorf("kubo add: %w", err)
	}
	if got != name {
		s.log.Warn("kubo add returned another CID", "computed", name, "kubo", got, "bytes", len(data))
		return nil, fmt.Errorf("%w: kubo add of %d bytes gave %s, computed %s", ErrCIDMismatch, len(data), got, name)
	}
	q = url.Values{"arg": {"/ipfs/" + name, s.dir + "/" + name}, "parents": {"true"}}
	if _, err := s.call(ctx, "files/cp", q, nil, "", 1<<20); err != nil {
		var ke *kuboAPIError
		if errors.As(err, &ke) && strings.Contains(ke.Message, "already has entry") {
			return c, nil // content-addressed: the same name is the same bytes
		}
		return nil, apiErr(err)
	}
	return c, nil
}

// stat reports whether the namespace directory holds the object name.
func (s *KuboStorage) stat(ctx context.Context, name string) (bool, error) {
	out, err := s.call(ctx, "files/stat", url.Values{"arg": {s.dir + "/" + name}}, nil, "", 1<<20)
	if notExist(err) {
		return false, nil
	}
	if err != nil {
		return false, apiErr(err)
	}
	hash, err := decodeKuboStat(out)
	if err != nil {
		return false, fmt.Errorf("kubo files/stat: %w", err)
	}
	if hash != name {
		return false, fmt.Errorf("%w: kubo: %s/%s holds %s", ErrMalformed, s.dir, name, hash)
	}
	return true, nil
}

// Get implements Storage: the object if the namespace directory links it
// (files/stat), its bytes by block/get with offline=true, checked against
// the CID.
func (s *KuboStorage) Get(ctx context.Context, c []byte) ([]byte, bool, error) {
	name, err := CIDString(c)
	if err != nil {
		return nil, false, err
	}
	if err := s.enter(ctx, "get"); err != nil {
		return nil, false, err
	}
	defer s.mu.RUnlock()
	ok, err := s.stat(ctx, name)
	if err != nil || !ok {
		return nil, false, err
	}
	data, err := s.call(ctx, "block/get", url.Values{"arg": {name}, "offline": {"true"}}, nil, "", MaxObjectBytes)
	if err != nil {
		var ke *kuboAPIError
		if errors.As(err, &ke) && (strings.Contains(ke.Message, "not found") || strings.Contains(ke.Message, "could not find")) {
			return nil, false, fmt.Errorf("%w: kubo: %s/%s is linked but its block is missing", ErrMalformed, s.dir, name)
		}
		return nil, false, apiErr(err)
	}
	if err := checkObject(c, data); err != nil {
		return nil, false, fmt.Errorf("kubo block/get: %w", err)
	}
	return data, true, nil
}

// Has implements Storage.
func (s *KuboStorage) Has(ctx context.Context, c []byte) (bool, error) {
	name, err := CIDString(c)
	if err != nil {
		return false, err
	}
	if err := s.enter(ctx, "has"); err != nil {
		return false, err
	}
	defer s.mu.RUnlock()
	return s.stat(ctx, name)
}

// Delete implements Storage: it unlinks the object from the namespace
// directory (the block goes at Kubo's next garbage collection unless
// another namespace links it).
func (s *KuboStorage) Delete(ctx context.Context, c []byte) error {
	name, err := CIDString(c)
	if err != nil {
		return err
	}
	if err := s.enter(ctx, "delete"); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	_, err = s.call(ctx, "files/rm", url.Values{"arg": {s.dir + "/" + name}}, nil, "", 1<<20)
	if err != nil && !notExist(err) {
		return apiErr(err)
	}
	return nil
}

// RemoveAll removes the namespace directory /orama/<name> (namespace
// delete, spec/namespaces.md 9).
func (s *KuboStorage) RemoveAll(ctx context.Context) error {
	if err := s.enter(ctx, "remove"); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	_, err := s.call(ctx, "files/rm", url.Values{"arg": {s.dir}, "recursive": {"true"}, "force": {"true"}}, nil, "", 1<<20)
	if err != nil && !notExist(err) {
		return apiErr(err)
	}
	return nil
}

// Close implements Storage.
func (s *KuboStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.client.CloseIdleConnections()
	return nil
}

// decodeKuboAdd returns the Hash of the last object in an add answer (a
// stream of JSON objects, one per added file). Errors wrap ErrMalformed.
func decodeKuboAdd(b []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var hash string
	for n := 0; ; n++ {
		var ev struct {
			Name string
			Hash string
		}
		err := dec.Decode(&ev)
		if errors.Is(err, io.EOF) && n > 0 {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%w: add answer: %v", ErrMalformed, err)
		}
		if ev.Hash != "" {
			hash = ev.Hash
		}
	}
	if hash == "" {
		return "", fmt.Errorf("%w: add answer without a Hash", ErrMalformed)
	}
	return hash, nil
}

// decodeKuboStat returns the Hash of a files/stat answer.
func decodeKuboStat(b []byte) (string, error) {
	var st struct {
		Hash string
		Type string
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return "", fmt.Errorf("%w: files/stat answer: %v", ErrMalformed, err)
	}
	if st.Hash == "" {
		return "", fmt.Errorf("%w: files/stat answer without a Hash", ErrMalformed)
	}
	return st.Hash, nil
}

// decodeKuboError returns the Message of an RPC error answer
// ({"Message": ..., "Code": ..., "Type": "error"}).
func decodeKuboError(b []byte) (string, error) {
	var e struct {
		Message string
		Type    string
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return "", fmt.Errorf("%w: error answer: %v", ErrMalformed, err)
	}
	if e.Message == "" {
		return "", fmt.Errorf("%w: error answer without a Message", ErrMalformed)
	}
	return e.Message, nil
}
