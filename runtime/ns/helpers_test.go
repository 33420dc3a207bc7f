package ns

import (
	"context"
	"encoding/binary"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	contracts "github.com/oramanetwork/orama-chain/examples/contracts"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

const testChainID = 4242

var (
	modulesOnce sync.Once
	modules     map[string][]byte
	modulesErr  error
	vmOnce      sync.Once
	sharedVM    *vm.VM
	vmErr       error
)

// module returns an example contract, built once per test binary.
func module(t testing.TB, name string) []byte {
	t.Helper()
	modulesOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			modulesErr = err
			return
		}
		modules, modulesErr = contracts.Build(context.Background(), root)
	})
	if modulesErr != nil {
		t.Fatal(modulesErr)
	}
	m, ok := modules[name]
	if !ok {
		t.Fatalf("no example contract %q", name)
	}
	return m
}

func testVM(t testing.TB) *vm.VM {
	vmOnce.Do(func() {
		dir, err := os.MkdirTemp("", "orama-ns-vm")
		if err != nil {
			vmErr = err
			return
		}
		sharedVM, vmErr = NewVM(context.Background(), dir)
	})
	if vmErr != nil {
		t.Fatal(vmErr)
	}
	return sharedVM
}

func mustKey(t testing.TB, seed byte) *crypto.PrivateKey {
	t.Helper()
	b := make([]byte, 32)
	b[31] = seed
	b[0] = 1
	k, err := crypto.PrivateKeyFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixedChain is a chain whose final block the test sets.
type fixedChain struct {
	mu         sync.Mutex
	height, ts uint64
}

func (c *fixedChain) Final() (uint64, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.height, c.ts
}

func (c *fixedChain) advance(dh, dts uint64) {
	c.mu.Lock()
	c.height += dh
	c.ts += dts
	c.mu.Unlock()
}

type testNS struct {
	*Namespace
	chain     *fixedChain
	authority *crypto.PrivateKey
	meta      types.NamespaceMeta
	nonces    map[types.Address]uint64
}

// newTestNS opens a namespace on memory stores.
func newTestNS(t testing.TB, tier types.NamespaceTier) *testNS {
	t.Helper()
	bdb, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	db, err := MemReplica()
	if err != nil {
		t.Fatal(err)
	}
	auth := mustKey(t, 200)
	meta := types.NamespaceMeta{Name: "demo", Tier: tier, Owner: auth.Address(), CreatedHeight: 1}
	m, err := NewMachine(MachineConfig{Meta: meta, ChainID: testChainID, Authority: auth.Address(), VM: testVM(t),
		KV: smt.NewBadgerStore(bdb, nil), DB: db, Storage: newMemBlobs()})
	if err != nil {
		t.Fatal(err)
	}
	chain := &fixedChain{height: 10, ts: 1_000_000}
	n, err := Open(m, db, nil, testChainID, auth.Address(), chain, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		db.Close()
		bdb.Close()
	})
	return &testNS{Namespace: n, chain: chain, authority: auth, meta: meta, nonces: map[types.Address]uint64{}}
}

// submit signs payload by k with k's next nonce and submits it.
func (n *testNS) submit(t testing.TB, k *crypto.PrivateKey, payload any, module []byte) *Result {
	t.Helper()
	sub, err := NewSubmission(n.meta.Name, k, testChainID, n.nonces[k.Address()], payload, module)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Submit(context.Background(), sub)
	if err != nil {
		t.Fatalf("submit %T: %v", payload, err)
	}
	n.nonces[k.Address()]++
	return res
}

func (n *testNS) deposit(t testing.TB, to types.Address, amount uint64) *Result {
	t.Helper()
	var src types.Hash
	binary.BigEndian.PutUint64(src[:], n.nonces[n.authority.Address()]+1)
	return n.submit(t, n.authority, &types.NsDeposit{Asset: types.AssetOrama, Amount: amount, To: to, Source: src}, nil)
}

func (n *testNS) deploy(t testing.TB, k *crypto.PrivateKey, mod []byte, init string) types.Address {
	t.Helper()
	res := n.submit(t, k, &types.NsDeploy{Init: init, GasLimit: 100_000_000}, mod)
	if res.Entry.Outcome.Status != types.NsStatusOk || res.Entry.Outcome.Contract == nil {
		t.Fatalf("deploy: %s %q", res.Entry.Outcome.Status, res.Entry.Outcome.Trap)
	}
	return *res.Entry.Outcome.Contract
}

func (n *testNS) entries(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for from := uint64(1); ; {
		page, err := n.TxLog(from, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			out = append(out, e.Bytes)
		}
		from = page[len(page)-1].Position + 1
	}
}

// transferInput is the token's transfer input: Borsh {to [20]u8, amount u64}.
func transferInput(to types.Address, amount uint64) []byte {
	return binary.LittleEndian.AppendUint64(append([]byte{}, to[:]...), amount)
}

type abiRows = abi.Rows

func abiAny(v abi.Value) any {
	switch v.Kind {
	case abi.KindInteger:
		return v.Int
	case abi.KindReal:
		return v.Real
	case abi.KindText:
		return string(v.Bytes)
	case abi.KindBlob:
		return v.Bytes
	}
	return nil
}
