package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// testChain is a Chain in memory.
type testChain struct {
	states  *smt.MemStore
	blocks  []*types.Block
	hashes  []types.Hash
	safety  *types.SafetyRecord
	pending []*types.Block
}

func (c *testChain) Head() (*types.Block, types.Hash) {
	return c.blocks[len(c.blocks)-1], c.hashes[len(c.hashes)-1]
}
func (c *testChain) States() smt.Store { return c.states }
func (c *testChain) Commit(b *types.Block, _ []types.Receipt, _ *types.CommitProof, _ []types.Account) error {
	h, err := b.Header.Hash()
	c.blocks, c.hashes = append(c.blocks, b), append(c.hashes, h)
	return err
}
func (c *testChain) SaveSafety(r *types.SafetyRecord) error { c.safety = r; return nil }
func (c *testChain) Safety() (*types.SafetyRecord, bool, error) {
	return c.safety, c.safety != nil, nil
}
func (c *testChain) PutPending(b *types.Block) error              { c.pending = append(c.pending, b); return nil }
func (c *testChain) PendingBlocks(uint64) ([]*types.Block, error) { return nil, nil }
func (c *testChain) Block(h uint64) (*types.Block, error) {
	if h >= uint64(len(c.blocks)) {
		return nil, errors.New("no block")
	}
	return c.blocks[h], nil
}

func (c *testChain) HeadState() *state.State {
	head, _ := c.Head()
	st, err := state.OpenReadOnly(c.states, head.Header.StateRoot)
	if err != nil {
		panic(err)
	}
	return st
}

func (c *testChain) Account(a types.Address) (types.Account, error) {
	return c.HeadState().Account(a)
}
func (c *testChain) UsernameOwner(string) (types.Address, bool, error) {
	return types.Address{}, false, nil
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

const testChainID = 4242

func transfer(t *testing.T, k *crypto.PrivateKey, nonce uint64, to types.Address, gasLimit, feeCap uint64) *types.Transaction {
	t.Helper()
	tx := &types.Transaction{Type: types.TxTypeTransfer, From: k.Address(), To: to, Amount: 1, Asset: types.AssetOrama,
		Nonce: nonce, GasLimit: gasLimit, GasTipCap: 1, GasFeeCap: feeCap}
	p, err := tx.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}
	if tx.Signature, err = crypto.SignDomain(k, crypto.DomainTransaction, testChainID, p); err != nil {
		t.Fatal(err)
	}
	return tx
}

// testGenesisChain returns a genesis that funds keys and makes validators
// of vals (stake 1 each), a chain in memory holding its block 0, and a
// mempool over that chain.
func testGenesisChain(t *testing.T, keys, vals []*crypto.PrivateKey) (*types.Genesis, *testChain, *types.Block, *mempool.Pool) {
	t.Helper()
	g := &types.Genesis{ChainID: testChainID, Timestamp: 1_700_000_000}
	for _, k := range vals {
		g.Validators = append(g.Validators, types.Validator{Address: k.Address(), Stake: 1})
	}
	slices.SortFunc(g.Validators, func(x, y types.Validator) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	for _, k := range keys {
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: k.Address(), OramaBalance: 1_000 * params.RaysPerOrama})
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	c := &testChain{states: smt.NewMemStore()}
	b0, err := exec.GenesisBlock(c.states, g)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Commit(b0, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	return g, c, b0, mempool.New(mempool.Config{ChainID: testChainID, BaseFee: b0.Header.BaseFee}, c)
}

// newTestDriver returns a single validator's driver (keys[0]) over a
// chain in memory whose genesis funds keys.
func newTestDriver(t *testing.T, keys []*crypto.PrivateKey) (*Driver, *testChain) {
	t.Helper()
	g, c, b0, pool := testGenesisChain(t, keys, keys[:1])
	d, err := New(Config{Genesis: b0.Header, Validators: g.Validators,
		Signer: consensus.CryptoSigner{Key: keys[0], ChainID: testChainID}, Verifier: consensus.CryptoVerifier{ChainID: testChainID},
		BlockTime: time.Second, ViewTimeout: time.Second, TickInterval: 50 * time.Millisecond,
		Clock: fixedClock{time.Unix(1_700_000_100, 0)}}, c, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

// TestNonIncludableBlockRefused: a block holding a transaction that is not
// includable is refused both where a validator votes (vote) and where
// block sync applies a final block (applyFinal), without stopping the node
// or changing its chain; the proposer's own rules (Fill) leave it out.
func TestNonIncludableBlockRefused(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2), cryptotest.Key(3)}
	alice, bob := keys[1], keys[2]
	for _, m := range []struct {
		name string
		txs  []types.Transaction
		keep int // how many the proposer's rules keep
	}{
		{"the same bytes twice", []types.Transaction{*transfer(t, alice, 0, bob.Address(), params.GasTransfer, params.MaxBaseFee), *transfer(t, alice, 0, bob.Address(), params.GasTransfer, params.MaxBaseFee)}, 1},
		{"nonce ahead", []types.Transaction{*transfer(t, alice, 5, bob.Address(), params.GasTransfer, params.MaxBaseFee)}, 0},
		{"fee cap below base fee", []types.Transaction{*transfer(t, alice, 0, bob.Address(), params.GasTransfer, params.MinBaseFee)}, 0},
		{"gas limit above the block", []types.Transaction{*transfer(t, alice, 0, bob.Address(), params.BlockGasLimit+1, params.MaxBaseFee)}, 0},
		{"gas limit below intrinsic", []types.Transaction{*transfer(t, alice, 0, bob.Address(), params.GasTransfer-1, params.MaxBaseFee)}, 0},
	} {
		t.Run(m.name, func(t *testing.T) {
			d, c := newTestDriver(t, keys)
			head, hh := c.Head()
			hdr := exec.NextHeader(&head.Header, hh, keys[0].Address(), head.Header.Timestamp)
			hdr.View = 1
			b := &types.Block{Header: hdr, Transactions: m.txs}
			h, err := b.Header.Hash()
			if err != nil {
				t.Fatal(err)
			}
			d.blocks.put(h, b)
			if ev, err := d.vote(b.Header); err != nil || ev.(consensus.BlockExecuted).Valid {
				t.Fatalf("vote path: %v %+v, want the block refused", err, ev)
			}
			if _, err := d.blocks.execute(h); !errors.Is(err, ErrBadBlock) || !errors.Is(err, exec.ErrNotIncludable) {
				t.Fatalf("execute: %v, want a bad block (not includable)", err)
			}
			if err := d.applyFinal(b, nil); !errors.Is(err, ErrBadBlock) || errors.Is(err, ErrFatal) {
				t.Fatalf("sync path: %v, want a non-fatal bad block", err)
			}
			if _, nh := c.Head(); nh != hh {
				t.Fatal("a refused block moved the head")
			}
			picked := make([]*types.Transaction, len(m.txs))
			for i := range m.txs {
				picked[i] = &m.txs[i]
			}
			st, err := state.Open(smt.NewOverlay(c.states), head.Header.StateRoot)
			if err != nil {
				t.Fatal(err)
			}
			res, txs, err := Fill(st, exec.Env{Height: hdr.Height, Proposer: keys[0].Address(), BaseFee: hdr.BaseFee}, picked, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range txs {
				if res.Receipts[i].Status != types.TxStatusSuccess {
					t.Fatalf("Fill kept %s", fmt.Sprint(res.Receipts[i].Status))
				}
			}
			if len(txs) != m.keep {
				t.Fatalf("Fill kept %d transactions, want %d", len(txs), m.keep)
			}
		})
	}
}

// TestHeaderRulesRefused: a block breaking a header rule of
// spec/state.md is refused on the vote path with exec.ErrBadHeader; one
// whose roots disagree with its body with exec.ErrWrongResult; and a
// final block with wrong roots stops the node (ErrFatal) on the sync path.
func TestHeaderRulesRefused(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	for _, m := range []struct {
		name   string
		mutate func(h *types.BlockHeader)
		want   error
		fatal  bool
	}{
		{"height", func(h *types.BlockHeader) { h.Height++ }, exec.ErrBadHeader, false},
		{"epoch", func(h *types.BlockHeader) { h.Epoch++ }, exec.ErrBadHeader, false},
		{"base fee", func(h *types.BlockHeader) { h.BaseFee++ }, exec.ErrBadHeader, false},
		{"timestamp before parent", func(h *types.BlockHeader) { h.Timestamp-- }, exec.ErrBadHeader, false},
		{"state root", func(h *types.BlockHeader) { h.StateRoot[0] ^= 1 }, exec.ErrWrongResult, true},
		{"gas used", func(h *types.BlockHeader) { h.GasUsed++ }, exec.ErrWrongResult, true},
	} {
		t.Run(m.name, func(t *testing.T) {
			d, c := newTestDriver(t, keys)
			head, hh := c.Head()
			hdr := exec.NextHeader(&head.Header, hh, keys[0].Address(), head.Header.Timestamp)
			hdr.View = 1
			st, err := state.Open(smt.NewOverlay(c.states), head.Header.StateRoot)
			if err != nil {
				t.Fatal(err)
			}
			res, _, err := Fill(st, exec.Env{Height: hdr.Height, Proposer: hdr.Proposer, BaseFee: hdr.BaseFee}, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Fill(&hdr)
			m.mutate(&hdr)
			b := &types.Block{Header: hdr}
			h, _ := hdr.Hash()
			d.blocks.put(h, b)
			if _, err := d.blocks.execute(h); !errors.Is(err, ErrBadBlock) || !errors.Is(err, m.want) {
				t.Fatalf("execute: %v, want %v", err, m.want)
			}
			err = d.applyFinal(b, nil)
			if !errors.Is(err, m.want) || errors.Is(err, ErrFatal) != m.fatal {
				t.Fatalf("sync path: %v, want %v (fatal %v)", err, m.want, m.fatal)
			}
			if _, nh := c.Head(); nh != hh {
				t.Fatal("a refused block moved the head")
			}
		})
	}
}

// TestFutureTimestampNotVoted: a proposal more than 15 s ahead of the
// voter's clock is not voted for, though it is valid (sync would take it).
func TestFutureTimestampNotVoted(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1)}
	d, c := newTestDriver(t, keys)
	head, hh := c.Head()
	now := uint64(d.cfg.Clock.Now().Unix())
	for _, tc := range []struct {
		ts    uint64
		valid bool
	}{{now + 15, true}, {now + 16, false}} {
		hdr := exec.NextHeader(&head.Header, hh, keys[0].Address(), tc.ts)
		hdr.View = 1
		st, _ := state.Open(smt.NewOverlay(c.states), head.Header.StateRoot)
		res, _, err := Fill(st, exec.Env{Height: hdr.Height, Proposer: hdr.Proposer, BaseFee: hdr.BaseFee}, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Fill(&hdr)
		h, _ := hdr.Hash()
		d.blocks.put(h, &types.Block{Header: hdr})
		ev, err := d.vote(hdr)
		if err != nil || ev.(consensus.BlockExecuted).Valid != tc.valid {
			t.Fatalf("timestamp now+%d: %v %+v, want valid %v", tc.ts-now, err, ev, tc.valid)
		}
	}
}

// askNet is a Network that records block requests and penalties.
type askNet struct {
	asked     []types.Hash
	penalized []string
}

func (n *askNet) Publish(context.Context, types.MessageType, []byte) error { return nil }
func (n *askNet) RequestBlock(h types.Hash)                                { n.asked = append(n.asked, h) }
func (n *askNet) SyncRange(context.Context, uint64, int, func(*types.SyncResponse) error) (*types.SyncResponse, string, error) {
	return &types.SyncResponse{}, "", nil
}
func (n *askNet) Penalize(from, _ string)      { n.penalized = append(n.penalized, from) }
func (n *askNet) PeerCount() int               { return 1 }
func (n *askNet) Reachable(types.Address) bool { return true }

// TestFetchedBlockChecked: a block answering a request is taken only if
// this node asked for its hash and its body is the one its header commits
// to; a tampered body is refused (and its sender penalised) without
// displacing the request, so the genuine answer is still taken.
func TestFetchedBlockChecked(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2), cryptotest.Key(3)}
	d, c := newTestDriver(t, keys)
	net := &askNet{}
	d.net = net
	head, hh := c.Head()
	hdr := exec.NextHeader(&head.Header, hh, keys[0].Address(), head.Header.Timestamp)
	hdr.View = 1
	tx := transfer(t, keys[1], 0, keys[2].Address(), params.GasTransfer, params.MaxBaseFee)
	st, err := state.Open(smt.NewOverlay(c.states), head.Header.StateRoot)
	if err != nil {
		t.Fatal(err)
	}
	res, txs, err := Fill(st, exec.Env{Height: hdr.Height, Proposer: hdr.Proposer, BaseFee: hdr.BaseFee}, []*types.Transaction{tx}, nil, nil)
	if err != nil || len(txs) != 1 {
		t.Fatalf("fill: %v, %d txs", err, len(txs))
	}
	res.Fill(&hdr)
	genuine := &types.Block{Header: hdr, Transactions: txs}
	h, _ := hdr.Hash()
	ctx := context.Background()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}

	// Not asked for: ignored.
	if err := d.Handle(ctx, Incoming{Decoded: genuine, From: "p"}); err != nil || d.Block(h) != nil {
		t.Fatalf("an unrequested block was kept (%v)", err)
	}
	d.request(h)
	tampered := &types.Block{Header: hdr, Transactions: []types.Transaction{*transfer(t, keys[1], 0, keys[2].Address(), params.GasTransfer, params.MaxBaseFee-1)}}
	if err := d.Handle(ctx, Incoming{Decoded: tampered, From: "liar"}); err != nil || d.Block(h) != nil {
		t.Fatalf("a body its header does not commit to was kept (%v)", err)
	}
	if len(net.penalized) != 1 || net.penalized[0] != "liar" {
		t.Fatalf("penalized %v, want the liar", net.penalized)
	}
	if err := d.Handle(ctx, Incoming{Decoded: genuine, From: "p"}); err != nil || d.Block(h) != genuine {
		t.Fatalf("the genuine answer was not taken (%v)", err)
	}
}

// countPool is a Pool that only reports a size.
type countPool int

func (n countPool) SelectExcluding(uint64, uint64, int, map[types.Hash]bool) ([]*types.Transaction, []types.Hash) {
	return nil, nil
}
func (n countPool) Len() int                                               { return int(n) }
func (n countPool) VerifyBlockSignatures([]types.Transaction) (int, error) { return 0, nil }

// TestPacingCountsNewTransactions: a proposal comes half a block time
// after its parent only when the pool holds a full block beyond what the
// uncommitted ancestors already carry (spec/consensus.md, "Pacing"); the
// pool keeps those until they are final, and counting them would rush
// blocks with nothing to carry.
func TestPacingCountsNewTransactions(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1)}
	d, c := newTestDriver(t, keys)
	head, hh := c.Head()
	hdr := exec.NextHeader(&head.Header, hh, keys[0].Address(), head.Header.Timestamp)
	hdr.View = 1
	b := &types.Block{Header: hdr, Transactions: make([]types.Transaction, params.MaxBlockTransactions)}
	h, err := b.Header.Hash()
	if err != nil {
		t.Fatal(err)
	}
	d.blocks.put(h, b)
	seen := d.blocks.seen(h)
	for _, m := range []struct {
		on   types.Hash
		pool int
		want time.Duration
	}{
		{hh, params.MaxBlockTransactions - 1, time.Second},
		{hh, params.MaxBlockTransactions, time.Second / 2},
		{h, params.MaxBlockTransactions, time.Second},
		{h, 2*params.MaxBlockTransactions - 1, time.Second},
		{h, 2 * params.MaxBlockTransactions, time.Second / 2},
	} {
		p := &producer{blockTime: time.Second, pool: countPool(m.pool), blocks: d.blocks}
		base := seen
		if m.on == hh {
			base = d.blocks.seen(hh)
		}
		if got := p.dueOn(m.on).Sub(base); got != m.want {
			t.Errorf("pool of %d on a parent carrying %d: due after %v, want %v", m.pool, len(d.blocks.body(m.on).Transactions), got, m.want)
		}
	}
}

// TestForkReadsItsOwnState: a block above a fork the chain has left
// executes on the fork's state, not on the head's. Blocks on uncommitted
// parents read accounts through their ancestors' writes over the head's
// cache only while the lowest ancestor extends the head; here the head
// moved to a sibling (F) that changed carol, whom the fork (Y, X) never
// touched, and Z, a transfer by carol on X, is valid only at carol's
// nonce and balance on the fork.
func TestForkReadsItsOwnState(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2), cryptotest.Key(3), cryptotest.Key(4)}
	alice, bob, carol := keys[1], keys[2], keys[3]
	d, c := newTestDriver(t, keys)
	// Every block's nodes go to one overlay that is never flushed: trees
	// are content addressed, so any of their roots can be read there.
	ref := smt.NewOverlay(c.states)
	build := func(parent *types.Block, view uint64, txs ...*types.Transaction) *types.Block {
		t.Helper()
		ph, _ := parent.Header.Hash()
		hdr := exec.NextHeader(&parent.Header, ph, keys[0].Address(), parent.Header.Timestamp)
		hdr.View = view
		st, err := state.Open(ref, parent.Header.StateRoot)
		if err != nil {
			t.Fatal(err)
		}
		var body []types.Transaction
		for _, tx := range txs {
			body = append(body, *tx)
		}
		res, err := exec.Execute(st, d.blocks.env(hdr.Height, hdr.Proposer, hdr.BaseFee), body)
		if err != nil {
			t.Fatal(err)
		}
		res.Fill(&hdr)
		b := &types.Block{Header: hdr, Transactions: body}
		h, _ := hdr.Hash()
		d.blocks.put(h, b)
		return b
	}
	hash := func(b *types.Block) types.Hash { h, _ := b.Header.Hash(); return h }
	genesis, _ := c.Head()
	y := build(genesis, 1, transfer(t, alice, 0, bob.Address(), params.GasTransfer, params.MaxBaseFee))
	x := build(y, 2)
	f := build(genesis, 3, transfer(t, carol, 0, bob.Address(), params.GasTransfer, params.MaxBaseFee))
	z := build(x, 4, transfer(t, carol, 0, alice.Address(), params.GasTransfer, params.MaxBaseFee))
	if _, err := d.blocks.execute(hash(x)); err != nil {
		t.Fatal(err)
	}
	if err := d.blocks.commit(&f.Header, nil); err != nil {
		t.Fatal(err)
	}
	if _, hh := c.Head(); hh != hash(f) {
		t.Fatal("F is not the head")
	}
	if _, err := d.blocks.execute(hash(z)); err != nil {
		t.Fatalf("a valid block on the fork the chain left: %v", err)
	}
}
