package rpc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/index"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/store"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// History page size (spec: limit 1..100, default 20).
const (
	defaultLimit = 20
	maxLimit     = 100
)

var _ api.StrictServerInterface = (*server)(nil)

// head returns the head block and the state at it, consistent with each
// other: the node publishes a new head before its state, so the two
// accessors can disagree for a moment, and then the state is reopened at
// the head's root.
func (s *server) head() (*state.State, *types.Block, error) {
	b := s.b.Head()
	st := s.b.State()
	if st != nil && st.Root() == b.Header.StateRoot {
		return st, b, nil
	}
	st, b2, err := s.b.StateAt(b.Header.Height)
	if err != nil {
		return nil, nil, readError(err, "the head state")
	}
	return st, b2, nil
}

// resolve turns an account id into an address: "@name" through the username
// registry in st, anything else with crypto.ParseAccountRef.
func resolve(st *state.State, id string) (types.Address, error) {
	ref, err := crypto.ParseAccountRef(id)
	if err != nil {
		return types.Address{}, newError(http.StatusBadRequest, CodeInvalidAccount,
			"%q is not an account: use @username, orama:<40 hex>, 0x<40 hex> or 40 hex digits", id)
	}
	if !ref.IsUsername {
		return ref.Address, nil
	}
	a, ok, err := st.UsernameOwner(ref.Username)
	if err != nil {
		return types.Address{}, errInternal(err)
	}
	if !ok {
		return types.Address{}, newError(http.StatusNotFound, CodeUnknownUsername, "no account has claimed the username %q", ref.Username)
	}
	return a, nil
}

func parseU64(name, v string) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errInvalidParameter("%s %q is not an unsigned 64-bit integer", name, v)
	}
	return n, nil
}

// GetAccount implements GET /v1/accounts/{id}.
func (s *server) GetAccount(_ context.Context, req api.GetAccountRequestObject) (api.GetAccountResponseObject, error) {
	headSt, headBlock, err := s.head()
	if err != nil {
		return nil, err
	}
	// A username resolves at the head even for an older height: once
	// claimed it never changes owner, and a name claimed after that height
	// still names the account whose older state is asked for.
	addr, err := resolve(headSt, req.Id)
	if err != nil {
		return nil, err
	}
	st, b := headSt, headBlock
	withProof := req.Params.Proof != nil && *req.Params.Proof
	var finder *finalityFinder
	if withProof {
		finder = newFinalityFinder(s.b.Store(), headBlock)
	}
	height, at := headBlock.Header.Height, false
	if req.Params.Height != nil {
		h, err := parseU64("height", *req.Params.Height)
		if err != nil {
			return nil, err
		}
		if h > headBlock.Header.Height {
			return nil, errNotFound("no block at height %d (the head is %d)", h, headBlock.Header.Height)
		}
		height, at = h, true
	} else if withProof {
		// The highest block whose finality the answer can show.
		h, ok, err := finder.latestProven()
		if err != nil {
			return nil, errInternal(err) // stored blocks below the head: the node's fault
		}
		if ok && h != height {
			height, at = h, true
		}
	}
	if at {
		if st, b, err = s.b.StateAt(height); err != nil {
			return nil, readError(err, "height "+u64(height))
		}
	}
	what := "height " + u64(b.Header.Height)
	if !withProof {
		acc, err := st.Account(addr)
		if err != nil {
			return nil, readError(err, what)
		}
		return &accountResponse{acc: acc, address: displayAddress(acc.Address, req.Id, addr), height: b.Header.Height}, nil
	}

	acc, exists, proof, err := st.ProveAccount(addr)
	if err != nil {
		return nil, readError(err, what)
	}
	acc.Address = addr
	enc, err := proof.MarshalBinary()
	if err != nil {
		return nil, errInternal(err)
	}
	// proof_fields is the spec type decoded from the very bytes of proof, so
	// the two forms cannot disagree.
	var fields types.SMTProof
	if err := fields.UnmarshalBorsh(enc); err != nil {
		return nil, errInternal(fmt.Errorf("smt proof is not a Borsh SMTProof: %w", err))
	}
	value := []byte{}
	if exists {
		if value, err = acc.MarshalBorsh(); err != nil {
			return nil, errInternal(err)
		}
	}
	hdr, bh, err := toHeader(&b.Header)
	if err != nil {
		return nil, errInternal(err)
	}
	fin, err := finder.finality(b.Header.Height)
	if err != nil {
		return nil, errInternal(err)
	}
	return api.GetAccount200JSONResponse{
		Account: api.FromAccount(&acc),
		Height:  u64(b.Header.Height),
		Proof: &api.AccountProof{
			Exists:      exists,
			Key:         hexBytes(state.AccountKey(addr)),
			Value:       hexBytes(value),
			Proof:       hexBytes(enc),
			ProofFields: api.FromSMTProof(&fields),
			Header:      hdr,
			BlockHash:   hash32(bh),
			Finality:    fin,
		},
	}, nil
}

// GetBalance implements GET /v1/accounts/{id}/balance.
func (s *server) GetBalance(_ context.Context, req api.GetBalanceRequestObject) (api.GetBalanceResponseObject, error) {
	st, b, err := s.head()
	if err != nil {
		return nil, err
	}
	addr, err := resolve(st, req.Id)
	if err != nil {
		return nil, err
	}
	acc, err := st.Account(addr)
	if err != nil {
		return nil, errInternal(err)
	}
	return api.GetBalance200JSONResponse{
		Address:      address(addr),
		Orama:        u64(acc.OramaBalance),
		Btc:          u64(acc.BTCBalance),
		OramaDisplay: formatUnits(acc.OramaBalance, oramaDecimals),
		BtcDisplay:   formatUnits(acc.BTCBalance, btcDecimals),
		Height:       u64(b.Header.Height),
	}, nil
}

// parseHashHex parses exactly 64 hex digits (either case), without "0x".
func parseHashHex(raw string) (types.Hash, bool) {
	var h types.Hash
	if len(raw) != 2*len(h) {
		return h, false
	}
	_, err := hex.Decode(h[:], []byte(raw))
	return h, err == nil
}

// parseCursor parses a next_cursor, "height-position".
func parseCursor(c string) (*index.Cursor, error) {
	hs, ps, ok := strings.Cut(c, "-")
	if !ok {
		return nil, errInvalidParameter("cursor %q is not a next_cursor", c)
	}
	h, err := strconv.ParseUint(hs, 10, 64)
	if err != nil {
		return nil, errInvalidParameter("cursor %q is not a next_cursor", c)
	}
	p, err := strconv.ParseUint(ps, 10, 32)
	if err != nil {
		return nil, errInvalidParameter("cursor %q is not a next_cursor", c)
	}
	return &index.Cursor{Height: h, Position: uint32(p)}, nil
}

// blockReader reads blocks and receipts, each height once per request.
type blockReader struct {
	s        *server
	blocks   map[uint64]*types.Block
	receipts map[uint64][]types.Receipt
}

func (s *server) blockReader() *blockReader {
	return &blockReader{s: s, blocks: map[uint64]*types.Block{}, receipts: map[uint64][]types.Receipt{}}
}

// tx returns the block at loc, its transaction and its receipt.
func (r *blockReader) tx(loc index.Location) (*types.Block, *types.Transaction, *types.Receipt, error) {
	b, ok := r.blocks[loc.Height]
	if !ok {
		var err error
		if b, err = r.s.b.Store().Block(loc.Height); err != nil {
			return nil, nil, nil, err
		}
		r.blocks[loc.Height] = b
	}
	rs, ok := r.receipts[loc.Height]
	if !ok {
		var err error
		if rs, err = r.s.b.Store().Receipts(loc.Height); err != nil {
			return nil, nil, nil, err
		}
		r.receipts[loc.Height] = rs
	}
	i := int(loc.Position)
	if i >= len(b.Transactions) || i >= len(rs) {
		return nil, nil, nil, errInternal(errors.New("index points past the block's transactions"))
	}
	return b, &b.Transactions[i], &rs[i], nil
}

// pageLimit is a list endpoint's limit parameter: defaultLimit when
// absent, otherwise within 1..maxLimit.
func pageLimit(p *int) (int, error) {
	if p == nil {
		return defaultLimit, nil
	}
	if *p < 1 || *p > maxLimit {
		return 0, errInvalidParameter("limit %d is outside 1..%d", *p, maxLimit)
	}
	return *p, nil
}

// GetAccountTransactions implements GET /v1/accounts/{id}/transactions.
func (s *server) GetAccountTransactions(_ context.Context, req api.GetAccountTransactionsRequestObject) (api.GetAccountTransactionsResponseObject, error) {
	p := req.Params
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	desc := true
	if p.Order != nil {
		switch *p.Order {
		case api.Asc:
			desc = false
		case api.Desc:
		default:
			return nil, errInvalidParameter("order %q is not asc or desc", *p.Order)
		}
	}
	// Both sort keys are chain order (height, then position), which is
	// timestamp order: timestamps never decrease along the chain.
	if p.Sort != nil && !p.Sort.Valid() {
		return nil, errInvalidParameter("sort %q is not timestamp or height", *p.Sort)
	}
	var after *index.Cursor
	if p.Cursor != nil {
		c, err := parseCursor(*p.Cursor)
		if err != nil {
			return nil, err
		}
		after = c
	}
	st, _, err := s.head()
	if err != nil {
		return nil, err
	}
	addr, err := resolve(st, req.Id)
	if err != nil {
		return nil, err
	}
	_, locs, err := s.b.Index().ByAddress(addr, limit, desc, after)
	if err != nil {
		return nil, errInternal(err)
	}
	r := s.blockReader()
	page := api.GetAccountTransactions200JSONResponse{Transactions: make([]api.IndexedTransaction, 0, len(locs))}
	for _, loc := range locs {
		b, tx, rc, err := r.tx(loc)
		if err != nil {
			return nil, readError(err, "an indexed transaction")
		}
		page.Transactions = append(page.Transactions, api.IndexedTransaction{
			Transaction: toTransaction(tx, rc.TxHash),
			Height:      u64(loc.Height),
			Index:       int32(loc.Position),
			Timestamp:   u64(b.Header.Timestamp),
			Receipt:     api.FromReceipt(rc),
		})
	}
	if len(locs) == limit {
		last := locs[len(locs)-1]
		c := u64(last.Height) + "-" + strconv.FormatUint(uint64(last.Position), 10)
		page.NextCursor = &c
	}
	return page, nil
}

// SendTransaction implements POST /v1/transactions/send.
func (s *server) SendTransaction(_ context.Context, req api.SendTransactionRequestObject) (api.SendTransactionResponseObject, error) {
	if req.Body == nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "missing body")
	}
	raw, ok := strings.CutPrefix(req.Body.Transaction, "0x")
	if !ok {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "transaction must be 0x followed by hex")
	}
	b, err := hex.DecodeString(raw)
	if err != nil || len(b) == 0 {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "transaction must be 0x followed by an even number of hex digits")
	}
	h, err := s.b.Submit(b)
	if err != nil {
		ae := admissionError(err)
		if ae.Status < 500 {
			s.log.Debug("transaction refused", "hash", h, "code", ae.Code, "err", err)
		}
		return nil, ae
	}
	s.log.Debug("transaction admitted", "hash", h)
	return api.SendTransaction202JSONResponse{Hash: hash32(h)}, nil
}

// GetTransaction implements GET /v1/transactions/{hash}.
func (s *server) GetTransaction(_ context.Context, req api.GetTransactionRequestObject) (api.GetTransactionResponseObject, error) {
	raw, _ := strings.CutPrefix(req.Hash, "0x")
	h, ok := parseHashHex(raw)
	if !ok {
		return nil, errInvalidParameter("hash %q is not 0x and 64 hex digits", req.Hash)
	}
	// The pool first: a transaction leaves it only once its block is
	// committed, and index reads wait for the blocks enqueued before them.
	if tx, ok := s.b.Mempool().Get(h); ok {
		t := toTransaction(tx, h)
		return api.GetTransaction200JSONResponse{Hash: hash32(h), Status: api.Pending, Transaction: &t}, nil
	}
	loc, err := s.b.Index().Lookup(h)
	if errors.Is(err, index.ErrNotFound) {
		return nil, errNotFound("transaction %v is neither pending nor in a block", h)
	}
	if err != nil {
		return nil, errInternal(err)
	}
	_, tx, rc, err := s.blockReader().tx(loc)
	if err != nil {
		return nil, readError(err, "an indexed transaction")
	}
	t, r := toTransaction(tx, h), api.FromReceipt(rc)
	height, pos := u64(loc.Height), int32(loc.Position)
	out := api.GetTransaction200JSONResponse{Hash: hash32(h), Transaction: &t, Height: &height, Index: &pos, Receipt: &r}
	switch {
	case rc.Status != types.TxStatusSuccess:
		out.Status = api.Rejected
		reason := rc.Status.String()
		out.Reason = &reason
	case loc.Height <= s.b.FinalizedHeight():
		out.Status = api.Finalized
	default:
		out.Status = api.Included
	}
	return out, nil
}

// block converts b: api.FromBlock gives every spec field, and the API-only
// ones (block hash, header Borsh, finality, transaction hashes) are set here.
func (s *server) block(b *types.Block) (api.Block, error) {
	out := api.FromBlock(b)
	enc, err := b.Header.MarshalBorsh()
	if err != nil {
		return api.Block{}, errInternal(fmt.Errorf("encode header %d: %w", b.Header.Height, err))
	}
	borshHex := hexBytes(enc)
	out.Header.Borsh = &borshHex
	out.Hash = hash32(sha256.Sum256(enc)) // = b.Header.Hash(), without encoding again
	out.Finalized = b.Header.Height <= s.b.FinalizedHeight()
	for i := range b.Transactions {
		h, err := b.Transactions[i].Hash()
		if err != nil {
			return api.Block{}, errInternal(fmt.Errorf("hash transaction: %w", err))
		}
		out.Transactions[i].Hash = hash32(h)
	}
	return out, nil
}

// GetLatestBlock implements GET /v1/blocks/latest.
func (s *server) GetLatestBlock(_ context.Context, _ api.GetLatestBlockRequestObject) (api.GetLatestBlockResponseObject, error) {
	b, err := s.block(s.b.Head())
	if err != nil {
		return nil, err
	}
	return api.GetLatestBlock200JSONResponse(b), nil
}

// GetBlock implements GET /v1/blocks/{id}: a decimal height or a 0x hash.
func (s *server) GetBlock(_ context.Context, req api.GetBlockRequestObject) (api.GetBlockResponseObject, error) {
	var height uint64
	if raw, ok := strings.CutPrefix(req.Id, "0x"); ok {
		h, ok := parseHashHex(raw)
		if !ok {
			return nil, errInvalidParameter("block id %q is neither a height nor 0x and 64 hex digits", req.Id)
		}
		var err error
		if height, err = s.b.Store().HeightOf(h); err != nil {
			return nil, readError(err, "block "+req.Id)
		}
	} else {
		var err error
		if height, err = parseU64("block height", req.Id); err != nil {
			return nil, err
		}
	}
	b, err := s.b.Store().Block(height)
	if err != nil {
		return nil, readError(err, "block "+req.Id)
	}
	out, err := s.block(b)
	if err != nil {
		return nil, err
	}
	return api.GetBlock200JSONResponse(out), nil
}

// GetValidators implements GET /v1/validators: the genesis set, by address.
func (s *server) GetValidators(_ context.Context, _ api.GetValidatorsRequestObject) (api.GetValidatorsResponseObject, error) {
	g := s.b.Genesis()
	out := api.GetValidators200JSONResponse{Validators: make([]api.Validator, len(g.Validators))}
	for i := range g.Validators {
		v := &g.Validators[i]
		out.Validators[i] = api.FromValidator(v)
		out.Validators[i].Power = u64(effectivePower(v))
	}
	return out, nil
}

// evidencePageBytes bounds the messages of one GET /v1/evidence page (the
// spec says 4 MiB): a DoubleProposal record holds two envelopes of up to
// 1 MiB each, twice that in hex.
const evidencePageBytes = 4 << 20

// parseEvidenceCursor parses a next_cursor of GET /v1/evidence,
// "<view>-<validator, 40 lowercase hex>-<kind value>".
func parseEvidenceCursor(c string) (*store.EvidenceCursor, error) {
	bad := errInvalidParameter("cursor %q is not a next_cursor of /v1/evidence", c)
	vs, rest, ok1 := strings.Cut(c, "-")
	as, ks, ok2 := strings.Cut(rest, "-")
	if !ok1 || !ok2 || len(as) != 2*len(types.Address{}) || strings.ToLower(as) != as {
		return nil, bad
	}
	view, err := strconv.ParseUint(vs, 10, 64)
	if err != nil {
		return nil, bad
	}
	var cur store.EvidenceCursor
	if _, err := hex.Decode(cur.Validator[:], []byte(as)); err != nil {
		return nil, bad
	}
	kind, err := strconv.ParseUint(ks, 10, 8)
	if err != nil || !types.EvidenceKind(kind).Valid() {
		return nil, bad
	}
	cur.View, cur.Kind = view, types.EvidenceKind(kind)
	return &cur, nil
}

// GetEvidence implements GET /v1/evidence: the stored equivocation
// evidence, newest view first.
func (s *server) GetEvidence(_ context.Context, req api.GetEvidenceRequestObject) (api.GetEvidenceResponseObject, error) {
	p := req.Params
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	var after *store.EvidenceCursor
	if p.Cursor != nil {
		c, err := parseEvidenceCursor(*p.Cursor)
		if err != nil {
			return nil, err
		}
		after = c
	}
	recs, next, err := s.b.Store().Evidence(after, limit, evidencePageBytes)
	if err != nil {
		return nil, errInternal(err)
	}
	page := api.GetEvidence200JSONResponse{Evidence: make([]api.Evidence, len(recs))}
	for i := range recs {
		page.Evidence[i] = api.FromEvidence(&recs[i])
	}
	if next != nil {
		c := u64(next.View) + "-" + hex.EncodeToString(next.Validator[:]) + "-" + strconv.Itoa(int(next.Kind))
		page.NextCursor = &c
	}
	return page, nil
}

// GetChainStatus implements GET /v1/chain/status.
func (s *server) GetChainStatus(_ context.Context, _ api.GetChainStatusRequestObject) (api.GetChainStatusResponseObject, error) {
	b := s.b.Head()
	cs := s.b.Consensus()
	if cs.View == 0 { // consensus not running (tests, tools): the head's
		cs.View, cs.Leader = b.Header.View, b.Header.Proposer
	}
	hdr := &b.Header
	bh, err := hdr.Hash()
	if err != nil {
		return nil, errInternal(err)
	}
	return api.GetChainStatus200JSONResponse{
		ChainId:         u64(s.b.Genesis().ChainID),
		GenesisHash:     hash32(s.genesisHash),
		Height:          u64(hdr.Height),
		HeadHash:        hash32(bh),
		FinalizedHeight: u64(s.b.FinalizedHeight()),
		StateRoot:       hash32(hdr.StateRoot),
		Timestamp:       u64(hdr.Timestamp),
		BaseFee:         u64(txrules.NextBaseFee(hdr.BaseFee, hdr.GasUsed)),
		MempoolSize:     s.b.Mempool().Len(),
		View:            u64(cs.View),
		Leader:          address(cs.Leader),
		Peers:           cs.Peers,
		Syncing:         cs.Syncing,
	}, nil
}
