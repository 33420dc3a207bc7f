package ns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
	"github.com/oramanetwork/orama-chain/runtime/nsengine/enginetest"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// clusterNS is one namespace node of a cluster test: its own replica and
// StateDB, the shared rqlite cluster through its own rqlited.
func clusterNS(t testing.TB, meta types.NamespaceMeta, authority types.Address, url string, chain Chain) *Namespace {
	t.Helper()
	bdb, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	db, err := MemReplica()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMachine(MachineConfig{Meta: meta, ChainID: testChainID, Authority: authority, VM: testVM(t),
		KV: smt.NewBadgerStore(bdb, nil), DB: db, Storage: newMemBlobs()})
	if err != nil {
		t.Fatal(err)
	}
	rq, err := nsengine.NewRQLite(url)
	if err != nil {
		t.Fatal(err)
	}
	n, err := OpenCluster(m, db, nil, rq, testChainID, authority, chain, WithPoll(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		db.Close()
		bdb.Close()
	})
	return n
}

// waitAgree waits until every node has applied the same head.
func waitAgree(t testing.TB, nodes []*Namespace, minPos uint64) Status {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := make([]Status, len(nodes))
		same := true
		for i, n := range nodes {
			st[i] = n.Status()
			if st[i].Position < minPos || st[i].Hash != st[0].Hash || st[i].Root != st[0].Root {
				same = false
			}
		}
		if same {
			return st[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes do not agree: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClusterParityWithEmbedded runs one sequence of token and guestbook
// calls on the embedded engines and, at one node, on three nodes sharing a
// real 3-node rqlite cluster: every entry is the same bytes (outcome, write
// set, root), the other two nodes reach the same head by replay, and
// rqlite's copy of the contracts' table equals the replica's.
func TestClusterParityWithEmbedded(t *testing.T) {
	rq := enginetest.RQLiteCluster(t, 3)
	embedded := newTestNS(t, types.NamespaceTierTier1)
	chain := embedded.chain
	var nodes []*Namespace
	for i := 0; i < 3; i++ {
		nodes = append(nodes, clusterNS(t, embedded.meta, embedded.authority.Address(), rq.URL(i), chain))
	}
	alice, bob := mustKey(t, 1), mustKey(t, 2)
	steps := []struct {
		k   *crypto.PrivateKey
		p   func(token, gb types.Address) any
		mod []byte
	}{
		{embedded.authority, func(_, _ types.Address) any {
			return &types.NsDeposit{Asset: types.AssetOrama, Amount: 5000, To: alice.Address(), Source: types.Hash{1}}
		}, nil},
		{alice, func(_, _ types.Address) any { return &types.NsDeploy{Init: "init", GasLimit: 100_000_000} }, module(t, "token")},
		{alice, func(_, _ types.Address) any { return &types.NsDeploy{Init: "init", GasLimit: 100_000_000} }, module(t, "guestbook")},
	}
	token := ContractAddress("demo", alice.Address(), 0)
	gb := ContractAddress("demo", alice.Address(), 1)
	run := func(target func(*types.NamespaceSubmission) (*Result, error), nonces map[types.Address]uint64) []*Result {
		var out []*Result
		submit := func(k *crypto.PrivateKey, p any, mod []byte) {
			sub, err := NewSubmission("demo", k, testChainID, nonces[k.Address()], p, mod)
			if err != nil {
				t.Fatal(err)
			}
			res, err := target(sub)
			if err != nil {
				t.Fatal(err)
			}
			nonces[k.Address()]++
			out = append(out, res)
		}
		for _, s := range steps {
			submit(s.k, s.p(token, gb), s.mod)
		}
		submit(alice, &types.NsCall{Contract: token, Function: "deposit", OramaValue: 3000, GasLimit: 10_000_000}, nil)
		for i := 0; i < 20; i++ {
			submit(alice, &types.NsCall{Contract: token, Function: "transfer", Input: transferInput(bob.Address(), uint64(i+1)), GasLimit: 10_000_000}, nil)
			msg := fmt.Sprintf("m%d", i)
			w := uint64(0)
			for j := len(msg) - 1; j >= 0; j-- {
				w = w<<8 | uint64(msg[j])
			}
			submit([]*crypto.PrivateKey{alice, bob}[i%2], &types.NsCall{Contract: gb, Function: "sign", Args: []uint64{uint64(len(msg)), w, 0, 0, 0}, GasLimit: 10_000_000}, nil)
			if i%2 == 1 {
				chain.advance(1, 1) // one signature per author per block
			}
		}
		submit(alice, &types.NsCall{Contract: gb, Function: "erase", Args: []uint64{3}, GasLimit: 10_000_000}, nil)
		return out
	}
	ctx := context.Background()
	chain.mu.Lock()
	h0, ts0 := chain.height, chain.ts
	chain.mu.Unlock()
	want := run(func(s *types.NamespaceSubmission) (*Result, error) { return embedded.Submit(ctx, s) }, map[types.Address]uint64{})
	chain.mu.Lock()
	chain.height, chain.ts = h0, ts0
	chain.mu.Unlock()
	got := run(func(s *types.NamespaceSubmission) (*Result, error) { return nodes[0].Submit(ctx, s) }, map[types.Address]uint64{})
	for i := range want {
		if want[i].Hash != got[i].Hash {
			t.Fatalf("entry %d: embedded %x (root %x), cluster %x (root %x)", i+1, want[i].Hash, want[i].Entry.Root, got[i].Hash, got[i].Entry.Root)
		}
	}
	head := waitAgree(t, nodes, uint64(len(want)))
	if head.Root != embedded.Status().Root {
		t.Fatalf("cluster root %x, embedded %x", head.Root, embedded.Status().Root)
	}
	// rqlite's table equals the replica's.
	c, _ := nsengine.NewRQLite(rq.URL(0))
	rows, err := c.Query(ctx, nsengine.LevelStrong, "SELECT id, hex(author), height, at, message FROM guestbook ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	local, err := embedded.Read2(func(db Replica) (abiRows, error) {
		return db.HostQuery("SELECT id, hex(author), height, at, message FROM guestbook ORDER BY id")
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Values) != len(local.Rows) || len(rows.Values) != 19 {
		t.Fatalf("rqlite has %d guestbook rows, the replica %d", len(rows.Values), len(local.Rows))
	}
	for i, r := range rows.Values {
		for j, v := range r {
			lv := local.Rows[i][j]
			if fmt.Sprint(v.Any()) != fmt.Sprint(abiAny(lv)) {
				t.Fatalf("row %d column %d: rqlite %v, replica %v", i, j, v, lv)
			}
		}
	}
}

// TestClusterLeaderKill: 8 workers at each of the three nodes make token
// calls (each its own key) while the rqlite leader is SIGKILLed twice and
// restarted. Every acknowledged call is in the log exactly once, positions
// have no gaps, and the three nodes agree on the head and root; the log
// verifies.
func TestClusterLeaderKill(t *testing.T) {
	rq := enginetest.RQLiteCluster(t, 3)
	auth := mustKey(t, 200)
	meta := types.NamespaceMeta{Name: "demo", Tier: types.NamespaceTierTier1, Owner: auth.Address(), CreatedHeight: 1}
	chain := &fixedChain{height: 10, ts: 1_000_000}
	var nodes []*Namespace
	for i := 0; i < 3; i++ {
		nodes = append(nodes, clusterNS(t, meta, auth.Address(), rq.URL(i), chain))
	}
	ctx := context.Background()
	owner := mustKey(t, 1)
	sub, _ := NewSubmission("demo", owner, testChainID, 0, &types.NsDeploy{Init: "init", GasLimit: 100_000_000}, module(t, "token"))
	if _, err := nodes[0].Submit(ctx, sub); err != nil {
		t.Fatal(err)
	}
	token := ContractAddress("demo", owner.Address(), 0)
	const workers = 8
	// Every worker gets ORAMA to wrap: deposits by the authority.
	for i := 0; i < 3*workers; i++ {
		sub, _ := NewSubmission("demo", auth, testChainID, uint64(i), &types.NsDeposit{Asset: types.AssetOrama, Amount: 1_000_000,
			To: mustKey(t, byte(10+i)).Address(), Source: types.Hash{byte(i + 1)}}, nil)
		if _, err := nodes[i%3].Submit(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	dur := 8 * time.Second
	var mu sync.Mutex
	acked := map[types.Hash]uint64{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for ni := range nodes {
		for w := 0; w < workers; w++ {
			k := mustKey(t, byte(10+ni*workers+w))
			wg.Add(1)
			go func(n *Namespace, k *crypto.PrivateKey) {
				defer wg.Done()
				var nonce uint64
				for {
					select {
					case <-stop:
						return
					default:
					}
					// A call that fails (engine unavailable) is retried with
					// the same signed bytes until it is answered.
					// deposit (state and an event) and transfer (state, a SQL row, an event), in turn.
					call := &types.NsCall{Contract: token, Function: "deposit", OramaValue: 1, GasLimit: 10_000_000}
					if nonce%2 == 1 {
						call = &types.NsCall{Contract: token, Function: "transfer", Input: transferInput(k.Address(), 1), GasLimit: 10_000_000}
					}
					sub, err := NewSubmission("demo", k, testChainID, nonce, call, nil)
					if err != nil {
						t.Error(err)
						return
					}
					for {
						cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
						res, err := n.Submit(cctx, sub)
						cancel()
						if err == nil {
							if res.Entry.Outcome.Status != types.NsStatusOk {
								t.Errorf("call %s: %s %s", call.Function, res.Entry.Outcome.Status, res.Entry.Outcome.Trap)
							}
							mu.Lock()
							if p, dup := acked[res.CallID]; dup && p != res.Position {
								t.Errorf("call %x acknowledged at %d and %d", res.CallID, p, res.Position)
							}
							acked[res.CallID] = res.Position
							mu.Unlock()
							nonce++
							break
						}
						if errors.Is(err, ErrHalted) {
							t.Error(err)
							return
						}
						select {
						case <-stop:
							return
						case <-time.After(100 * time.Millisecond):
						}
					}
				}
			}(nodes[ni], k)
		}
	}
	for kill := 0; kill < 2; kill++ {
		time.Sleep(dur / 3)
		l := rq.Leader()
		rq.Kill(l)
		time.Sleep(time.Second)
		rq.Restart(l)
	}
	time.Sleep(dur / 3)
	close(stop)
	wg.Wait()
	rq.Leader()
	head := waitAgree(t, nodes, 1)
	entries := (&testNS{Namespace: nodes[0]}).entries(t)
	if uint64(len(entries)) != head.Position {
		t.Fatalf("%d entries, head %d", len(entries), head.Position)
	}
	seen := map[types.Hash]uint64{}
	for i, b := range entries {
		var e types.TxLogEntry
		if err := e.UnmarshalBorsh(b); err != nil {
			t.Fatal(err)
		}
		if e.Position != uint64(i+1) {
			t.Fatalf("entry %d at position %d", i+1, e.Position)
		}
		id, _ := e.Submission.Request.Hash()
		if p, dup := seen[id]; dup {
			t.Fatalf("call %x logged at %d and %d", id, p, e.Position)
		}
		seen[id] = e.Position
	}
	for id, p := range acked {
		if seen[id] != p {
			t.Fatalf("acknowledged call %x at %d, log has it at %d", id, p, seen[id])
		}
	}
	if len(acked) < 50 {
		t.Fatalf("only %d calls acknowledged", len(acked))
	}
	rep, err := Verify(ctx, VerifyConfig{Meta: meta, ChainID: testChainID, Authority: auth.Address(), VM: testVM(t)}, &SliceSource{Entries: entries})
	if err != nil || rep.Root != head.Root {
		t.Fatalf("verify: %v (root %x, head %x)", err, rep.Root, head.Root)
	}
	t.Logf("%d calls acknowledged, head %d, root %s", len(acked), head.Position, head.Root)
	_ = bytes.Equal
}

// TestClusterNodeRestart: a namespace node on files stops while the other
// two take calls, starts again from its files, catches up from the log and
// agrees with them.
func TestClusterNodeRestart(t *testing.T) {
	rq := enginetest.RQLiteCluster(t, 3)
	auth := mustKey(t, 200)
	meta := types.NamespaceMeta{Name: "demo", Tier: types.NamespaceTierTier1, Owner: auth.Address(), CreatedHeight: 1}
	chain := &fixedChain{height: 10, ts: 1_000_000}
	a := clusterNS(t, meta, auth.Address(), rq.URL(0), chain)
	b := clusterNS(t, meta, auth.Address(), rq.URL(1), chain)
	dir := t.TempDir()
	c, closeC := fileNS(t, dir, rq.URL(2))
	ctx := context.Background()
	owner := mustKey(t, 1)
	sub, _ := NewSubmission("demo", owner, testChainID, 0, &types.NsDeploy{Init: "init", GasLimit: 100_000_000}, module(t, "guestbook"))
	if _, err := c.Submit(ctx, sub); err != nil {
		t.Fatal(err)
	}
	gb := ContractAddress("demo", owner.Address(), 0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for i, n := range []*Namespace{a, b, a, b} {
		k := mustKey(t, byte(20+i))
		wg.Add(1)
		go func(n *Namespace, k *crypto.PrivateKey) {
			defer wg.Done()
			for nonce := uint64(0); ; nonce++ {
				select {
				case <-stop:
					return
				default:
				}
				sub, _ := NewSubmission("demo", k, testChainID, nonce, &types.NsCall{Contract: gb, Function: "sign_text",
					Input: []byte(fmt.Sprintf("entry %d", nonce)), GasLimit: 10_000_000}, nil)
				if _, err := n.Submit(ctx, sub); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked++
				mu.Unlock()
				chain.advance(1, 1) // one signature per author per block
			}
		}(n, k)
	}
	time.Sleep(2 * time.Second)
	closeC()
	time.Sleep(2 * time.Second)
	c, closeC = fileNS(t, dir, rq.URL(2))
	defer closeC()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	head := waitAgree(t, []*Namespace{a, b, c.Namespace}, 2)
	q, err := c.Query(ctx, "SELECT count(*) FROM guestbook", nil)
	if err != nil || q.Rows[0][0].Int != int64(acked) {
		t.Fatalf("restarted node's guestbook: %+v %v, %d acknowledged", q, err, acked)
	}
	t.Logf("%d calls, head %d", acked, head.Position)
}
