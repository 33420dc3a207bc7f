package rpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/ns"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// The namespace endpoints (spec/namespaces.md 10): /v1/namespaces lists the
// global chain's records; /v1/namespace/{name}/... serves a namespace this
// node runs, through the runtime/ns engine.

// Namespaces finds the namespaces this node runs (ns.Manager implements
// it). It must be safe for concurrent use.
type Namespaces interface {
	Namespace(name string) (*ns.Namespace, bool)
}

// Defaults of Config.NamespaceWait and Config.QueryTimeout
// (spec/namespaces.md 7 and 2.1).
const (
	DefaultNamespaceWait = 5 * time.Second
	DefaultQueryTimeout  = 2 * time.Second
)

// Namespace list pages: limit 1..1000, default 100.
const (
	nsDefaultLimit = 100
	nsMaxLimit     = 1000
)

// nsPageBytes bounds the Borsh entries of one GET .../txlog page, and
// nsQueryBytes the rows of one query answer, as JSON.
const (
	nsPageBytes  = 4 << 20
	nsQueryBytes = 4 << 20
)

// nsRetryAfter is the Retry-After of the namespace 503s, in seconds.
const nsRetryAfter = 1

func nsLimit(p *int) (int, error) {
	if p == nil {
		return nsDefaultLimit, nil
	}
	if *p < 1 || *p > nsMaxLimit {
		return 0, errInvalidParameter("limit %d is outside 1..%d", *p, nsMaxLimit)
	}
	return *p, nil
}

func errInvalidNamespace(err error) *apiError {
	return newError(http.StatusBadRequest, CodeInvalidNamespace, "%s", strings.TrimPrefix(err.Error(), "txrules: "))
}

func errUnavailable(format string, a ...any) *apiError {
	e := newError(http.StatusServiceUnavailable, CodeNamespaceUnavailable, format, a...)
	e.RetryAfter = nsRetryAfter
	return e
}

// chainNamespace reads the namespace's record in the latest global state.
func (s *server) chainNamespace(name string) (*types.NamespaceRecord, *state.State, error) {
	st, _, err := s.head()
	if err != nil {
		return nil, nil, err
	}
	rec, ok, err := st.Namespace(name)
	if err != nil {
		return nil, nil, errInternal(err)
	}
	if !ok {
		return nil, st, nil
	}
	return &rec, st, nil
}

// local returns the namespace this node runs under that name, if any.
func (s *server) local(name string) (*ns.Namespace, bool) {
	if s.nss == nil {
		return nil, false
	}
	return s.nss.Namespace(name)
}

// namespace returns the namespace of the path: invalid_namespace for a bad
// name, namespace_unavailable for one the chain holds but this node does
// not run, unknown_namespace for one neither knows.
func (s *server) namespace(name string) (*ns.Namespace, error) {
	if err := txrules.ValidNamespaceName(name); err != nil {
		return nil, errInvalidNamespace(err)
	}
	if n, ok := s.local(name); ok {
		return n, nil
	}
	rec, _, err := s.chainNamespace(name)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, newError(http.StatusNotFound, CodeUnknownNamespace, "no namespace %q on the chain or on this node", name)
	}
	where := make([]string, len(rec.Nodes))
	for i, nd := range rec.Nodes {
		where[i] = address(nd.Node)
	}
	return nil, errUnavailable("this node does not run namespace %q (now); it is placed on [%s]", name, strings.Join(where, ", "))
}

// awaitPosition waits until n has applied position min (the min_position
// parameter), at most s.nsWait; then 503 behind.
func (s *server) awaitPosition(ctx context.Context, n *ns.Namespace, minPos *string) error {
	if minPos == nil {
		return nil
	}
	want, err := parseU64("min_position", *minPos)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(s.nsWait)
	for {
		have := n.Status().Position
		if have >= want {
			return nil
		}
		if !time.Now().Before(deadline) {
			e := newError(http.StatusServiceUnavailable, CodeBehind, "this node has applied namespace %q up to position %d, not %d, after %v",
				n.Name(), have, want, s.nsWait)
			e.RetryAfter = nsRetryAfter
			return e
		}
		select {
		case <-ctx.Done():
			return errUnavailable("request cancelled while waiting for position %d", want)
		case <-time.After(min(20*time.Millisecond, time.Until(deadline))):
		}
	}
}

// nsError maps an error of the namespace engine to the API.
func nsError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ref *ns.Refusal
	if errors.As(err, &ref) {
		msg := ref.Msg
		for _, m := range refusalCodes {
			if errors.Is(ref.Err, m.err) {
				return newError(m.status, m.code, "%s", msg)
			}
		}
		return newError(http.StatusBadRequest, CodeInvalidRequest, "%s", ref.Error())
	}
	switch {
	case errors.Is(err, ns.ErrClosed):
		e := errUnavailable("the namespace is shutting down on this node")
		e.cause = err
		return e
	case errors.Is(err, ns.ErrHostFailure):
		e := errUnavailable("the namespace's engines failed to commit; nothing was logged: retry")
		e.cause = err
		return e
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e := errUnavailable("the request ended before the namespace answered: %v", err)
		e.cause = err
		return e
	}
	return errInternal(err)
}

var refusalCodes = []struct {
	err    error
	status int
	code   string
}{
	{ns.ErrInvalidRequest, http.StatusBadRequest, CodeInvalidRequest},
	{ns.ErrInvalidSignature, http.StatusBadRequest, CodeInvalidSignature},
	{ns.ErrWrongNamespace, http.StatusBadRequest, CodeInvalidNamespace},
	{ns.ErrNonceTooLow, http.StatusBadRequest, CodeNonceTooLow},
	{ns.ErrNonceGap, http.StatusBadRequest, CodeNonceGap},
	{ns.ErrNotAuthority, http.StatusForbidden, CodeNotAuthority},
}

// queryError maps an error of a namespace query.
func queryError(ctx context.Context, err error) *apiError {
	if errors.Is(err, ns.ErrBusy) {
		return errUnavailable("every query connection of the namespace is busy: retry")
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return newError(http.StatusBadRequest, CodeQueryTimeout, "the query ran longer than its time limit and was interrupted")
	}
	// The engine's message starts with the sentinel ("host: sql_error: ..."),
	// which the code already says.
	msg := func(code string) string {
		m := strings.TrimPrefix(err.Error(), "host: ")
		for _, p := range []string{code + ": ", "sql_constraint: "} {
			m = strings.TrimPrefix(m, p)
		}
		return m
	}
	switch {
	case errors.Is(err, hostabi.ErrSQLDenied):
		return newError(http.StatusForbidden, CodeSQLDenied, "%s", msg(CodeSQLDenied))
	case errors.Is(err, hostabi.ErrSQLReadOnly):
		return newError(http.StatusForbidden, CodeSQLReadOnly, "%s", msg(CodeSQLReadOnly))
	case errors.Is(err, hostabi.ErrResultTooLarge):
		return newError(http.StatusRequestEntityTooLarge, CodeResultTooLarge, "%s", msg(CodeResultTooLarge))
	case errors.Is(err, hostabi.ErrSQLError), errors.Is(err, hostabi.ErrSQLConstraint):
		return newError(http.StatusBadRequest, CodeSQLError, "%s", msg(CodeSQLError))
	}
	return nsError(err)
}

// resolveAt resolves an account id against the latest global state.
func (s *server) resolveID(id string) (types.Address, error) {
	st, _, err := s.head()
	if err != nil {
		return types.Address{}, err
	}
	return resolve(st, id)
}

// nsRecord is the API form of a namespace: its chain record (or, for one
// only this node runs, its metadata) and this node's head.
func nsRecord(name string, rec *types.NamespaceRecord, n *ns.Namespace) api.NamespaceRecord {
	var out api.NamespaceRecord
	if rec != nil {
		out = api.FromNamespaceRecord(rec)
	}
	if n == nil {
		return out
	}
	st := n.Status()
	if rec == nil {
		m := st.Meta
		out = api.FromNamespaceRecord(&types.NamespaceRecord{Name: name, Tier: m.Tier, Owner: m.Owner, CreatedHeight: m.CreatedHeight})
	}
	pos, eh, root := u64(st.Position), hash32(st.Hash), hash32(st.Root)
	out.Hosted, out.Position, out.EntryHash, out.Root = true, &pos, &eh, &root
	return out
}

// ListNamespaces implements GET /v1/namespaces.
func (s *server) ListNamespaces(_ context.Context, req api.ListNamespacesRequestObject) (api.ListNamespacesResponseObject, error) {
	p := req.Params
	limit, err := nsLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	after := ""
	if p.Cursor != nil {
		if err := txrules.ValidNamespaceName(*p.Cursor); err != nil {
			return nil, errInvalidParameter("cursor %q is not a next_cursor", *p.Cursor)
		}
		after = *p.Cursor
	}
	st, _, err := s.head()
	if err != nil {
		return nil, err
	}
	var owner *types.Address
	if p.Owner != nil {
		a, err := resolve(st, *p.Owner)
		if err != nil {
			return nil, err
		}
		owner = &a
	}
	entries, err := s.b.Index().ListNamespaces(owner, after, limit+1)
	if err != nil {
		return nil, errInternal(err)
	}
	page := api.ListNamespaces200JSONResponse{Namespaces: make([]api.NamespaceRecord, 0, min(limit, len(entries)))}
	for i, e := range entries {
		if i == limit {
			c := entries[i-1].Name
			page.NextCursor = &c
			break
		}
		// The index is written after a block commits, the state read is
		// the head's: a name the state does not hold (created or deleted
		// between the two) is left out.
		rec, ok, err := st.Namespace(e.Name)
		if err != nil {
			return nil, errInternal(err)
		}
		if !ok {
			continue
		}
		n, _ := s.local(e.Name)
		page.Namespaces = append(page.Namespaces, nsRecord(e.Name, &rec, n))
	}
	return page, nil
}

// GetNamespace implements GET /v1/namespace/{name}.
func (s *server) GetNamespace(_ context.Context, req api.GetNamespaceRequestObject) (api.GetNamespaceResponseObject, error) {
	if err := txrules.ValidNamespaceName(req.Name); err != nil {
		return nil, errInvalidNamespace(err)
	}
	rec, _, err := s.chainNamespace(req.Name)
	if err != nil {
		return nil, err
	}
	n, hosted := s.local(req.Name)
	if rec == nil && !hosted {
		return nil, newError(http.StatusNotFound, CodeUnknownNamespace, "no namespace %q on the chain or on this node", req.Name)
	}
	return api.GetNamespace200JSONResponse(nsRecord(req.Name, rec, n)), nil
}

// GetNamespaceStatus implements GET /v1/namespace/{name}/status.
func (s *server) GetNamespaceStatus(_ context.Context, req api.GetNamespaceStatusRequestObject) (api.GetNamespaceStatusResponseObject, error) {
	if err := txrules.ValidNamespaceName(req.Name); err != nil {
		return nil, errInvalidNamespace(err)
	}
	rec, _, err := s.chainNamespace(req.Name)
	if err != nil {
		return nil, err
	}
	n, hosted := s.local(req.Name)
	if rec == nil && !hosted {
		return nil, newError(http.StatusNotFound, CodeUnknownNamespace, "no namespace %q on the chain or on this node", req.Name)
	}
	out := api.GetNamespaceStatus200JSONResponse{Name: req.Name, Nodes: []api.NamespaceNode{}, Hosted: hosted}
	if rec != nil {
		r := api.FromNamespaceRecord(rec)
		out.Tier, out.Owner, out.Nodes = r.Tier, &r.Owner, r.Nodes
	}
	if hosted {
		st := n.Status()
		if rec == nil {
			owner := address(st.Meta.Owner)
			out.Tier, out.Owner = api.NamespaceTier(st.Meta.Tier.String()), &owner
		}
		pos, eh, root := u64(st.Position), hash32(st.Hash), hash32(st.Root)
		// Every hosting node executes what it accepts (namespaces.md 7).
		engine, executor, halted := api.NamespaceStatusEngine(n.Engine()), true, n.Halted() != nil
		out.Position, out.EntryHash, out.Root, out.Engine, out.Executor, out.Halted = &pos, &eh, &root, &engine, &executor, &halted
		services := []api.NamespaceService{}
		if sv, ok := s.nss.(interface {
			Services(string) []ns.ServiceStatus
		}); ok {
			for _, x := range sv.Services(req.Name) {
				svc := api.NamespaceService{Service: api.NamespaceServiceService(x.Service), State: api.NamespaceServiceState(x.State), Restarts: int32(x.Restarts)}
				if x.Addr != "" {
					addr := x.Addr
					svc.Addr = &addr
				}
				if x.LastError != "" {
					msg := x.LastError
					svc.LastError = &msg
				}
				if !x.Since.IsZero() {
					since := x.Since.UTC()
					svc.Since = &since
				}
				services = append(services, svc)
			}
		}
		out.Services = &services
	}
	return out, nil
}

// ListNamespaceContracts implements GET /v1/namespace/{name}/contracts.
func (s *server) ListNamespaceContracts(_ context.Context, req api.ListNamespaceContractsRequestObject) (api.ListNamespaceContractsResponseObject, error) {
	limit, err := nsLimit(req.Params.Limit)
	if err != nil {
		return nil, err
	}
	var after *types.Address
	if c := req.Params.Cursor; c != nil {
		var a types.Address
		if len(*c) != 2*len(a) || strings.ToLower(*c) != *c {
			return nil, errInvalidParameter("cursor %q is not a next_cursor", *c)
		}
		if _, err := hex.Decode(a[:], []byte(*c)); err != nil {
			return nil, errInvalidParameter("cursor %q is not a next_cursor", *c)
		}
		after = &a
	}
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	list, err := n.Contracts(after, limit+1)
	if err != nil {
		return nil, nsError(err)
	}
	page := api.ListNamespaceContracts200JSONResponse{Contracts: make([]api.NamespaceContract, 0, min(limit, len(list)))}
	for i := range list {
		if i == limit {
			c := hex.EncodeToString(list[i-1].Address[:])
			page.NextCursor = &c
			break
		}
		page.Contracts = append(page.Contracts, nsContract(&list[i]))
	}
	return page, nil
}

func nsContract(c *ns.ContractInfo) api.NamespaceContract {
	return api.NamespaceContract{
		Address:    address(c.Address),
		CodeHash:   hash32(c.CodeHash),
		Orama:      u64(c.Account.Orama),
		Btc:        u64(c.Account.BTC),
		DeployedAt: u64(c.DeployedAt),
	}
}

// contract resolves the path's contract and requires it deployed.
func (s *server) contract(n *ns.Namespace, id string) (ns.ContractInfo, error) {
	a, err := s.resolveID(id)
	if err != nil {
		return ns.ContractInfo{}, err
	}
	c, err := n.Contract(a)
	if errors.Is(err, ns.ErrNotFound) {
		return ns.ContractInfo{}, newError(http.StatusNotFound, CodeUnknownContract, "no contract %s in namespace %q", address(a), n.Name())
	}
	if err != nil {
		return ns.ContractInfo{}, nsError(err)
	}
	return c, nil
}

// GetNamespaceContract implements GET /v1/namespace/{name}/contracts/{address}.
func (s *server) GetNamespaceContract(_ context.Context, req api.GetNamespaceContractRequestObject) (api.GetNamespaceContractResponseObject, error) {
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	c, err := s.contract(n, req.Address)
	if err != nil {
		return nil, err
	}
	return api.GetNamespaceContract200JSONResponse(nsContract(&c)), nil
}

// GetNamespaceContractState implements GET .../contracts/{address}/state/{key}.
func (s *server) GetNamespaceContractState(ctx context.Context, req api.GetNamespaceContractStateRequestObject) (api.GetNamespaceContractStateResponseObject, error) {
	raw, ok := strings.CutPrefix(req.Key, "0x")
	key, err := hex.DecodeString(raw)
	if !ok || err != nil || strings.ToLower(raw) != raw || len(key) > maxStateKey {
		return nil, errInvalidParameter("key %q is not 0x and at most %d bytes of lowercase hex", req.Key, maxStateKey)
	}
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	if err := s.awaitPosition(ctx, n, req.Params.MinPosition); err != nil {
		return nil, err
	}
	c, err := s.contract(n, req.Address)
	if err != nil {
		return nil, err
	}
	if req.Params.Proof != nil && *req.Params.Proof {
		return stateWithProof(n, c.Address, key)
	}
	v, found, pos, err := n.ContractState(c.Address, key)
	if err != nil {
		return nil, nsError(err)
	}
	if !found {
		return nil, errNotFound("contract %s has no state at key %s (position %d)", address(c.Address), hexBytes(key), pos)
	}
	return api.GetNamespaceContractState200JSONResponse{Key: hexBytes(key), Value: hexBytes(v), Position: u64(pos)}, nil
}

// stateWithProof answers a state read with its proof against the root.
func stateWithProof(n *ns.Namespace, contract types.Address, key []byte) (api.GetNamespaceContractStateResponseObject, error) {
	p, err := n.ProveState(contract, key)
	if errors.Is(err, ns.ErrNoRoot) {
		return nil, errInvalidParameter("proof: a Tier 0 namespace has no state root")
	}
	if err != nil {
		return nil, nsError(err)
	}
	ap, err := smtProofFields(p.AccountProof)
	if err != nil {
		return nil, err
	}
	sp, err := smtProofFields(p.StorageProof)
	if err != nil {
		return nil, err
	}
	value := []byte{}
	if p.Found {
		value = p.Value
	}
	return api.GetNamespaceContractState200JSONResponse{Key: hexBytes(key), Value: hexBytes(value), Position: u64(p.Position),
		Proof: &api.NamespaceStateProof{Root: hash32(p.Root), Exists: p.Found, Account: api.FromNsAccount(&p.Account),
			AccountProof: ap, StorageProof: sp}}, nil
}

// smtProofFields is a proof in the API's form (the spec type decoded from
// the proof's own encoding, as GET /v1/accounts does).
func smtProofFields(p smt.Proof) (api.SMTProof, error) {
	enc, err := p.MarshalBinary()
	if err != nil {
		return api.SMTProof{}, errInternal(err)
	}
	var fields types.SMTProof
	if err := fields.UnmarshalBorsh(enc); err != nil {
		return api.SMTProof{}, errInternal(fmt.Errorf("smt proof is not a Borsh SMTProof: %w", err))
	}
	return api.FromSMTProof(&fields), nil
}

// maxStateKey is the longest orama.state key (StateWrite.key).
const maxStateKey = 256

// decodeSubmission decodes a posted {"request": "0x..."} body.
func decodeSubmission(hexReq string) (*types.NamespaceSubmission, error) {
	raw, ok := strings.CutPrefix(hexReq, "0x")
	if !ok {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "request must be 0x followed by hex")
	}
	b, err := hex.DecodeString(raw)
	if err != nil || len(b) == 0 {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "request must be 0x followed by an even number of hex digits")
	}
	sub, err := ns.DecodeSubmission(b)
	if err != nil {
		return nil, nsError(err)
	}
	return sub, nil
}

// submit orders a submission of the kind the endpoint takes and answers
// with its logged entry.
func (s *server) submit(ctx context.Context, name string, body *string, kind types.NamespaceRequestKind, check func(payload any) error) (api.NamespaceSubmitResult, error) {
	if body == nil {
		return api.NamespaceSubmitResult{}, newError(http.StatusBadRequest, CodeBadRequest, "missing body")
	}
	n, err := s.namespace(name)
	if err != nil {
		return api.NamespaceSubmitResult{}, err
	}
	sub, err := decodeSubmission(*body)
	if err != nil {
		return api.NamespaceSubmitResult{}, err
	}
	req := &sub.Request
	if req.Kind != kind {
		return api.NamespaceSubmitResult{}, newError(http.StatusBadRequest, CodeInvalidRequest, "this endpoint takes a %s request, not a %s", kind, req.Kind)
	}
	p := kind.NewPayload()
	if err := p.UnmarshalBorsh(req.Payload); err != nil {
		return api.NamespaceSubmitResult{}, newError(http.StatusBadRequest, CodeInvalidRequest, "%s payload does not decode: %v", kind, err)
	}
	if check != nil {
		if err := check(p); err != nil {
			return api.NamespaceSubmitResult{}, err
		}
	}
	res, err := n.Submit(ctx, sub)
	if err != nil {
		ae := nsError(err)
		if ae.Status < 500 {
			s.log.Debug("namespace request refused", "namespace", name, "code", ae.Code, "err", err)
		}
		return api.NamespaceSubmitResult{}, ae
	}
	out := api.NamespaceSubmitResult{
		Position:  u64(res.Position),
		CallId:    hash32(res.CallID),
		EntryHash: hash32(res.Hash),
		Outcome:   api.FromNsOutcome(&res.Entry.Outcome),
		Root:      hash32(res.Entry.Root),
	}
	if d, ok := p.(*types.NsDeploy); ok {
		ch := hash32(d.CodeHash)
		out.CodeHash = &ch
		if res.Entry.Outcome.Status == types.NsStatusOk && res.Entry.Outcome.Contract != nil {
			a := address(*res.Entry.Outcome.Contract)
			out.Address = &a
		}
	}
	return out, nil
}

// DeployNamespaceContract implements POST /v1/namespace/{name}/contracts.
func (s *server) DeployNamespaceContract(ctx context.Context, req api.DeployNamespaceContractRequestObject) (api.DeployNamespaceContractResponseObject, error) {
	var body *string
	if req.Body != nil {
		body = &req.Body.Request
	}
	out, err := s.submit(ctx, req.Name, body, types.NamespaceRequestKindDeploy, nil)
	if err != nil {
		return nil, err
	}
	return api.DeployNamespaceContract200JSONResponse(out), nil
}

// CallNamespaceContract implements POST .../contracts/{address}/call.
func (s *server) CallNamespaceContract(ctx context.Context, req api.CallNamespaceContractRequestObject) (api.CallNamespaceContractResponseObject, error) {
	var body *string
	if req.Body != nil {
		body = &req.Body.Request
	}
	target, err := s.resolveID(req.Address)
	if err != nil {
		return nil, err
	}
	out, err := s.submit(ctx, req.Name, body, types.NamespaceRequestKindCall, func(p any) error {
		if c := p.(*types.NsCall).Contract; c != target {
			return newError(http.StatusBadRequest, CodeInvalidRequest, "the request calls %s, the path names %s", address(c), address(target))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return api.CallNamespaceContract200JSONResponse(out), nil
}

// NamespaceWithdraw implements POST /v1/namespace/{name}/withdrawals.
func (s *server) NamespaceWithdraw(ctx context.Context, req api.NamespaceWithdrawRequestObject) (api.NamespaceWithdrawResponseObject, error) {
	var body *string
	if req.Body != nil {
		body = &req.Body.Request
	}
	out, err := s.submit(ctx, req.Name, body, types.NamespaceRequestKindWithdraw, nil)
	if err != nil {
		return nil, err
	}
	return api.NamespaceWithdraw200JSONResponse(out), nil
}

// NamespaceDeposit implements POST /v1/namespace/{name}/deposits.
func (s *server) NamespaceDeposit(ctx context.Context, req api.NamespaceDepositRequestObject) (api.NamespaceDepositResponseObject, error) {
	var body *string
	if req.Body != nil {
		body = &req.Body.Request
	}
	out, err := s.submit(ctx, req.Name, body, types.NamespaceRequestKindDeposit, nil)
	if err != nil {
		return nil, err
	}
	return api.NamespaceDeposit200JSONResponse(out), nil
}

// viewCall is a decoded view body.
type viewCall struct {
	caller string // an account id; "" the zero address
	call   types.NsCall
}

// decodeViewBody checks a view body's values beyond its schema: the U64
// strings, the hex input and the limits of NsCall.
func decodeViewBody(b *api.NamespaceViewRequest) (viewCall, error) {
	var v viewCall
	bad := func(format string, a ...any) (viewCall, error) {
		return viewCall{}, newError(http.StatusBadRequest, CodeBadRequest, format, a...)
	}
	if b == nil {
		return bad("missing body")
	}
	if b.Function == "" || len(b.Function) > maxFunctionBytes {
		return bad("function must be 1 to %d bytes", maxFunctionBytes)
	}
	v.call.Function = b.Function
	if b.Args != nil {
		if len(*b.Args) > maxCallArgs {
			return bad("at most %d args", maxCallArgs)
		}
		v.call.Args = make([]uint64, len(*b.Args))
		for i, a := range *b.Args {
			n, err := parseU64(fmt.Sprintf("args[%d]", i), a)
			if err != nil {
				return bad("args[%d] %q is not an unsigned 64-bit integer", i, a)
			}
			v.call.Args[i] = n
		}
	} else {
		v.call.Args = []uint64{}
	}
	v.call.Input = []byte{}
	if b.Input != nil {
		raw, ok := strings.CutPrefix(*b.Input, "0x")
		in, err := hex.DecodeString(raw)
		if !ok || err != nil || strings.ToLower(raw) != raw {
			return bad("input must be 0x followed by lowercase hex")
		}
		if len(in) > maxCallInput {
			return bad("input of %d bytes; at most %d", len(in), maxCallInput)
		}
		v.call.Input = in
	}
	g, err := parseU64("gas_limit", b.GasLimit)
	if err != nil {
		return bad("gas_limit %q is not an unsigned 64-bit integer", b.GasLimit)
	}
	v.call.GasLimit = g
	if b.Caller != nil {
		v.caller = *b.Caller
	}
	return v, nil
}

// NsCall limits (spec/namespaces.yaml).
const (
	maxFunctionBytes = 64
	maxCallArgs      = 16
	maxCallInput     = 65536
)

// ViewNamespaceContract implements POST .../contracts/{address}/view.
func (s *server) ViewNamespaceContract(ctx context.Context, req api.ViewNamespaceContractRequestObject) (api.ViewNamespaceContractResponseObject, error) {
	v, err := decodeViewBody(req.Body)
	if err != nil {
		return nil, err
	}
	var caller types.Address
	if v.caller != "" {
		if caller, err = s.resolveID(v.caller); err != nil {
			return nil, err
		}
	}
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	if err := s.awaitPosition(ctx, n, req.Params.MinPosition); err != nil {
		return nil, err
	}
	c, err := s.contract(n, req.Address)
	if err != nil {
		return nil, err
	}
	v.call.Contract = c.Address
	// A view is unsigned and holds the namespace while it runs: the
	// query time limit bounds its SQL (gas does not meter SQLite's work).
	vctx, cancel := context.WithTimeout(ctx, s.queryTime)
	defer cancel()
	out, pos, err := n.View(vctx, caller, &v.call)
	if err != nil {
		if errors.Is(vctx.Err(), context.DeadlineExceeded) {
			return nil, newError(http.StatusBadRequest, CodeQueryTimeout, "the view ran longer than the query time limit and was interrupted")
		}
		return nil, nsError(err)
	}
	return api.ViewNamespaceContract200JSONResponse{Position: u64(pos), Outcome: api.FromNsOutcome(&out)}, nil
}

// query runs a namespace query and encodes its answer.
func (s *server) query(ctx context.Context, name, sql string, params []abi.Value, minPos *string) (api.NamespaceQueryResult, error) {
	n, err := s.namespace(name)
	if err != nil {
		return api.NamespaceQueryResult{}, err
	}
	if err := s.awaitPosition(ctx, n, minPos); err != nil {
		return api.NamespaceQueryResult{}, err
	}
	qctx, cancel := context.WithTimeout(ctx, s.queryTime)
	defer cancel()
	res, err := n.Query(qctx, sql, params)
	if err != nil {
		return api.NamespaceQueryResult{}, queryError(qctx, err)
	}
	rows, more, err := encodeRows(res.Rows, nsQueryBytes)
	if err != nil {
		return api.NamespaceQueryResult{}, err
	}
	cols := res.Columns
	if cols == nil {
		cols = []string{}
	}
	return api.NamespaceQueryResult{Position: u64(res.Position), Columns: cols, Rows: rows, Truncated: res.Truncated || more}, nil
}

// QueryNamespace implements GET /v1/namespace/{name}/query.
func (s *server) QueryNamespace(ctx context.Context, req api.QueryNamespaceRequestObject) (api.QueryNamespaceResponseObject, error) {
	out, err := s.query(ctx, req.Name, req.Params.Sql, nil, req.Params.MinPosition)
	if err != nil {
		return nil, err
	}
	return api.QueryNamespace200JSONResponse(out), nil
}

// QueryNamespaceWithParams implements POST /v1/namespace/{name}/query.
func (s *server) QueryNamespaceWithParams(ctx context.Context, req api.QueryNamespaceWithParamsRequestObject) (api.QueryNamespaceWithParamsResponseObject, error) {
	if req.Body == nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "missing body")
	}
	var params []abi.Value
	if req.Body.Params != nil {
		var err error
		if params, err = decodeSQLParams(*req.Body.Params); err != nil {
			return nil, newError(http.StatusBadRequest, CodeBadRequest, "params: %v", err)
		}
	}
	out, err := s.query(ctx, req.Name, req.Body.Sql, params, req.Params.MinPosition)
	if err != nil {
		return nil, err
	}
	return api.QueryNamespaceWithParams200JSONResponse(out), nil
}

// GetNamespaceEvents implements GET /v1/namespace/{name}/events.
func (s *server) GetNamespaceEvents(_ context.Context, req api.GetNamespaceEventsRequestObject) (api.GetNamespaceEventsResponseObject, error) {
	p := req.Params
	limit, err := nsLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	f := ns.EventFilter{Limit: limit, Topic: p.Topic}
	if p.Order != nil {
		switch *p.Order {
		case api.EventsAsc:
		case api.EventsDesc:
			f.Desc = true
		default:
			return nil, errInvalidParameter("order %q is not asc or desc", *p.Order)
		}
	}
	if p.FromPosition != nil {
		if f.FromPosition, err = parseU64("from_position", *p.FromPosition); err != nil {
			return nil, err
		}
	}
	empty := false
	if p.ToPosition != nil {
		if f.ToPosition, err = parseU64("to_position", *p.ToPosition); err != nil {
			return nil, err
		}
		// Position 0 holds no event (the engine reads 0 as no bound).
		empty = f.ToPosition == 0 || f.ToPosition < f.FromPosition
	}
	if p.Cursor != nil {
		f.Cursor = *p.Cursor
	}
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	for _, a := range []struct {
		id  *string
		dst **types.Address
	}{{p.Contract, &f.Contract}, {p.Caller, &f.Caller}} {
		if a.id == nil {
			continue
		}
		addr, err := s.resolveID(*a.id)
		if err != nil {
			return nil, err
		}
		*a.dst = &addr
	}
	page := api.GetNamespaceEvents200JSONResponse{Events: []api.NamespaceEvent{}}
	if empty {
		return page, nil
	}
	recs, next, err := n.Events(f)
	if errors.Is(err, ns.ErrBadCursor) {
		return nil, errInvalidParameter("cursor %q is not a next_cursor of this order", f.Cursor)
	}
	if err != nil {
		return nil, nsError(err)
	}
	for i := range recs {
		r := &recs[i]
		page.Events = append(page.Events, api.NamespaceEvent{
			Position: u64(r.Position),
			Index:    int32(r.Index),
			CallId:   hash32(r.CallID),
			Emitter:  address(r.Event.Emitter),
			Topic:    r.Event.Topic,
			Data:     hexBytes(r.Event.Data),
			Caller:   address(r.Caller),
		})
	}
	if next != "" {
		page.NextCursor = &next
	}
	return page, nil
}

// txlogItem converts one logged entry.
func txlogItem(e ns.LoggedEntry) (api.NamespaceTxLogItem, error) {
	var entry types.TxLogEntry
	if err := entry.UnmarshalBorsh(e.Bytes); err != nil {
		return api.NamespaceTxLogItem{}, errInternal(fmt.Errorf("logged entry %d does not decode: %w", e.Position, err))
	}
	return api.NamespaceTxLogItem{
		Position: u64(e.Position),
		Hash:     hash32(sha256.Sum256(e.Bytes)),
		Borsh:    hexBytes(e.Bytes),
		Entry:    api.FromTxLogEntry(&entry),
	}, nil
}

// txlogChunk is how many entries one read of the log asks for: a page
// stops once its encodings pass nsPageBytes, and deploys are large.
const txlogChunk = 16

// GetNamespaceTxLog implements GET /v1/namespace/{name}/txlog.
func (s *server) GetNamespaceTxLog(_ context.Context, req api.GetNamespaceTxLogRequestObject) (api.GetNamespaceTxLogResponseObject, error) {
	limit, err := nsLimit(req.Params.Limit)
	if err != nil {
		return nil, err
	}
	from := uint64(1)
	if req.Params.From != nil {
		if from, err = parseU64("from", *req.Params.From); err != nil {
			return nil, err
		}
		if from == 0 {
			return nil, errInvalidParameter("from 0: positions start at 1")
		}
	}
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	head := n.Status().Position
	page := api.GetNamespaceTxLog200JSONResponse{Entries: []api.NamespaceTxLogItem{}, Head: u64(head)}
	size, next := 0, from
	for len(page.Entries) < limit && size < nsPageBytes && next <= head {
		chunk, err := n.TxLog(next, min(txlogChunk, limit-len(page.Entries)))
		if err != nil {
			return nil, nsError(err)
		}
		if len(chunk) == 0 {
			break
		}
		for _, e := range chunk {
			if e.Position != next {
				return nil, errInternal(fmt.Errorf("the log has position %d where %d was expected", e.Position, next))
			}
			if len(page.Entries) > 0 && size+len(e.Bytes) > nsPageBytes {
				size = nsPageBytes // the page is full
				break
			}
			it, err := txlogItem(e)
			if err != nil {
				return nil, err
			}
			page.Entries = append(page.Entries, it)
			size += len(e.Bytes)
			next++
		}
	}
	if next <= head && len(page.Entries) > 0 {
		nf := u64(next)
		page.NextFrom = &nf
	}
	return page, nil
}

// GetNamespaceTxLogEntry implements GET /v1/namespace/{name}/txlog/{position}.
func (s *server) GetNamespaceTxLogEntry(_ context.Context, req api.GetNamespaceTxLogEntryRequestObject) (api.GetNamespaceTxLogEntryResponseObject, error) {
	pos, err := parseU64("position", req.Position)
	if err != nil {
		return nil, err
	}
	if pos == 0 {
		return nil, errInvalidParameter("position 0: positions start at 1")
	}
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	list, err := n.TxLog(pos, 1)
	if err != nil {
		return nil, nsError(err)
	}
	if len(list) == 0 || list[0].Position != pos {
		return nil, errNotFound("namespace %q has no entry at position %d (its head is %d)", req.Name, pos, n.Status().Position)
	}
	it, err := txlogItem(list[0])
	if err != nil {
		return nil, err
	}
	return api.GetNamespaceTxLogEntry200JSONResponse(it), nil
}

// GetNamespaceAccount implements GET /v1/namespace/{name}/accounts/{id}.
func (s *server) GetNamespaceAccount(ctx context.Context, req api.GetNamespaceAccountRequestObject) (api.GetNamespaceAccountResponseObject, error) {
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	a, err := s.resolveID(req.Id)
	if err != nil {
		return nil, err
	}
	if err := s.awaitPosition(ctx, n, req.Params.MinPosition); err != nil {
		return nil, err
	}
	acc, pos, err := n.Account(a)
	if err != nil {
		return nil, nsError(err)
	}
	return api.GetNamespaceAccount200JSONResponse{
		Address:  address(a),
		Orama:    u64(acc.Orama),
		Btc:      u64(acc.BTC),
		Nonce:    u64(acc.Nonce),
		CodeHash: hash32(acc.CodeHash),
		Position: u64(pos),
	}, nil
}

// cidPrefix is the binary CIDv1 prefix of a raw SHA2-256 object: version
// 1, codec raw (0x55), multihash sha2-256 (0x12) of 32 bytes (0x20).
var cidPrefix = []byte{0x01, 0x55, 0x12, 0x20}

// cidBase32 is the multibase "b" alphabet: RFC 4648 base32, lowercase,
// without padding.
var cidBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ParseCID parses a CID's base32 text form ("b" + 58 digits) into its
// binary form; only CIDv1 raw SHA2-256 names a namespace object.
func ParseCID(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, "b")
	if !ok {
		return nil, errors.New("not a base32 CID (it starts with 'b')")
	}
	b, err := cidBase32.DecodeString(rest)
	if err != nil || len(b) != len(cidPrefix)+32 || !bytes.HasPrefix(b, cidPrefix) {
		return nil, errors.New("not a CIDv1 raw SHA2-256 in base32")
	}
	if cidBase32.EncodeToString(b) != rest { // non-canonical trailing bits
		return nil, errors.New("not a canonical base32 CID")
	}
	return b, nil
}

// FormatCID is a binary CID's base32 text form.
func FormatCID(cid []byte) string { return "b" + cidBase32.EncodeToString(cid) }

// GetNamespaceBlob implements GET /v1/namespace/{name}/blobs/{cid}.
func (s *server) GetNamespaceBlob(ctx context.Context, req api.GetNamespaceBlobRequestObject) (api.GetNamespaceBlobResponseObject, error) {
	cid, err := ParseCID(req.Cid)
	if err != nil {
		return nil, errInvalidParameter("cid %q: %v", req.Cid, err)
	}
	n, err := s.namespace(req.Name)
	if err != nil {
		return nil, err
	}
	data, ok, err := n.Blob(ctx, cid)
	if err != nil {
		return nil, nsError(err)
	}
	if !ok {
		return nil, errNotFound("namespace %q holds no object %s", req.Name, req.Cid)
	}
	return api.GetNamespaceBlob200ApplicationoctetStreamResponse{Body: bytes.NewReader(data), ContentLength: int64(len(data))}, nil
}
