package ns

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
	"github.com/oramanetwork/orama-chain/runtime/nsengine/enginetest"
)

// TestKuboStorage: namespaces whose objects live in a real Kubo daemon. A
// contract stores an object and reads it back; its CID is the one computed
// locally; another namespace on the same Kubo does not see it.
func TestKuboStorage(t *testing.T) {
	kubo := enginetest.Kubo(t)
	dir := filepath.Join(t.TempDir(), "ns")
	self := mustKey(t, 50).Address()
	auth := mustKey(t, 200)
	alice := mustKey(t, 1)
	chain := &fixedChain{height: 10, ts: 1_000_000}
	stores := map[string]*nsengine.KuboStorage{}
	m, err := NewManager(context.Background(), ManagerConfig{Dir: dir, ChainID: testChainID, Authority: auth.Address(), Chain: chain,
		Blobs: func(name, _ string) (Blobs, error) {
			s, err := nsengine.NewKuboStorage(kubo.APIURL, name)
			stores[name] = s
			return s, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pl := &fakePlacement{recs: map[string]types.NamespaceRecord{}, slots: map[types.Address][]types.NamespaceSlot{}}
	pl.place("alpha", types.NamespaceTierTier1, alice.Address(), self)
	pl.place("beta", types.NamespaceTierTier1, alice.Address(), self)
	if err := m.Sync(self, pl, 10); err != nil {
		t.Fatal(err)
	}
	open := func(name string) *testNS {
		n, _ := m.Namespace(name)
		return &testNS{Namespace: n, chain: chain, authority: auth, meta: n.Status().Meta, nonces: map[types.Address]uint64{}}
	}
	alpha, beta := open("alpha"), open("beta")
	probe := module(t, "sqlprobe")
	ap, bp := alpha.deploy(t, alice, probe, ""), beta.deploy(t, alice, probe, "")
	data := []byte("an object in kubo")
	if r := alpha.submit(t, alice, &types.NsCall{Contract: ap, Function: "put_input", Input: data, GasLimit: 10_000_000}, nil); r.Entry.Outcome.Status != types.NsStatusOk {
		t.Fatalf("put: %+v", r.Entry.Outcome)
	}
	cid := abi.RawCID(data)
	ctx := context.Background()
	if got, ok, err := stores["alpha"].Get(ctx, cid); err != nil || !ok || string(got) != string(data) {
		t.Fatalf("kubo has alpha's object: %q %v %v", got, ok, err)
	}
	if r := alpha.submit(t, alice, &types.NsCall{Contract: ap, Function: "storage_get_input", Input: cid, GasLimit: 10_000_000}, nil); r.Entry.Outcome.Results[0] != 1 {
		t.Fatalf("alpha reads its object: %+v", r.Entry.Outcome)
	}
	if r := beta.submit(t, alice, &types.NsCall{Contract: bp, Function: "storage_get_input", Input: cid, GasLimit: 10_000_000}, nil); r.Entry.Outcome.Results[0] != 0 {
		t.Fatalf("beta reads alpha's object: %+v", r.Entry.Outcome)
	}
	if got, ok, err := alpha.Blob(ctx, cid); err != nil || !ok || string(got) != string(data) {
		t.Fatalf("the API's blob read: %q %v %v", got, ok, err)
	}
	if _, ok, _ := beta.Blob(ctx, cid); ok {
		t.Fatal("beta's API serves alpha's object")
	}
}
