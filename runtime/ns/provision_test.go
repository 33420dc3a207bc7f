package ns

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/nsengine/enginetest"
)

// freeBase finds a port base whose first two slots' ports are free.
func freeBase(t *testing.T, taken map[int]bool) int {
	t.Helper()
	for try := 0; try < 200; try++ {
		base := 20000 + 100*rand.IntN(400)
		if taken[base] {
			continue
		}
		ok := true
		for p := base; p < base+10 && ok; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			taken[base] = true
			return base
		}
	}
	t.Fatal("no free port base")
	return 0
}

// TestProvisioning: a namespace placed on three nodes gets, on each, its own
// rqlited on its slot's ports, started in order before the namespace; the
// three form the namespace's rqlite cluster and agree; the watcher restarts
// a killed rqlited; deleting the namespace stops its services and frees the
// ports.
func TestProvisioning(t *testing.T) {
	rqlited := enginetest.Binary(t, "rqlited")
	auth := mustKey(t, 200)
	alice := mustKey(t, 1)
	chain := &fixedChain{height: 10, ts: 1_000_000}
	var nodes []types.Address
	bases := map[types.Address]int{}
	taken := map[int]bool{}
	for i := 0; i < 3; i++ {
		a := mustKey(t, byte(60+i)).Address()
		nodes = append(nodes, a)
		bases[a] = freeBase(t, taken)
	}
	peers := func(a types.Address) (string, int, bool) {
		b, ok := bases[a]
		return "127.0.0.1", b, ok
	}
	pl := &fakePlacement{recs: map[string]types.NamespaceRecord{}, slots: map[types.Address][]types.NamespaceSlot{}}
	pl.place("shared", types.NamespaceTierTier1, alice.Address(), nodes...)
	var mgrs []*Manager
	var provs []*Provisioner
	for i, self := range nodes {
		p := NewProvisioner(ProvisionConfig{Self: self, Peers: peers, RQLited: rqlited, Interval: 200 * time.Millisecond})
		m, err := NewManager(context.Background(), ManagerConfig{Dir: filepath.Join(t.TempDir(), fmt.Sprint("n", i)), ChainID: testChainID,
			Authority: auth.Address(), Chain: chain, Provision: p.Provision, Deprovision: p.Deprovision})
		if err != nil {
			t.Fatal(err)
		}
		mgrs, provs = append(mgrs, m), append(provs, p)
		defer func() { m.Close(); p.Close() }()
	}
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := mgrs[i].Sync(nodes[i], pl, 10); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var nss []*Namespace
	for i, m := range mgrs {
		n, ok := m.Namespace("shared")
		if !ok {
			t.Fatalf("node %d did not open the namespace", i)
		}
		nss = append(nss, n)
		st := provs[i].Status("shared")
		if len(st) != 2 || st[0].State != StateHealthy || st[0].Addr != "127.0.0.1:"+strconv.Itoa(bases[nodes[i]]) ||
			st[1].Service != "olric" || st[1].State != StateHealthy || st[1].Addr != "127.0.0.1:"+strconv.Itoa(bases[nodes[i]]+PortOlricBind) {
			t.Fatalf("node %d services: %+v", i, st)
		}
	}
	tn := &testNS{Namespace: nss[0], chain: chain, authority: auth, meta: nss[0].Status().Meta, nonces: map[types.Address]uint64{}}
	gb := tn.deploy(t, alice, module(t, "guestbook"), "init")
	tn.Namespace = nss[1]
	tn.submit(t, alice, &types.NsCall{Contract: gb, Function: "sign_text", Input: []byte("provisioned"), GasLimit: 10_000_000}, nil)
	waitAgree(t, nss, 2)
	// guestbook's count caches its answer: the executor's write reaches the
	// namespace's Olric DMap, which another node's member reads.
	tn.submit(t, alice, &types.NsCall{Contract: gb, Function: "count", GasLimit: 10_000_000}, nil)
	v, ok, err := provs[2].Cache("shared").Get(context.Background(), []byte("guestbook/count"))
	if err != nil || !ok || len(v.Value) != 8 || v.Value[0] != 1 || v.Expires != 1_000_000+60 {
		t.Fatalf("olric copy of the cache: %+v %v %v", v, ok, err)
	}

	// The watcher restarts a killed rqlited.
	s := provs[1].services["shared"]
	s.mu.Lock()
	s.cmd.Process.Kill()
	s.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := provs[1].Status("shared")[0]
		if st.Restarts == 1 && st.State == StateHealthy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rqlited not restarted: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	chain.advance(1, 1)
	tn.Namespace = nss[1]
	tn.submit(t, alice, &types.NsCall{Contract: gb, Function: "sign_text", Input: []byte("after a restart"), GasLimit: 10_000_000}, nil)
	waitAgree(t, nss, 4)

	// Deleted: services stopped, ports free.
	delete(pl.recs, "shared")
	for _, a := range nodes {
		pl.slots[a] = nil
	}
	for i, m := range mgrs {
		if err := m.Sync(nodes[i], pl, 20); err != nil {
			t.Fatal(err)
		}
		if len(m.Names()) != 0 || provs[i].Status("shared") != nil {
			t.Fatalf("node %d still runs %v", i, m.Names())
		}
		for _, off := range []int{PortRQLiteHTTP, PortRQLiteRaft} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(SlotPort(bases[nodes[i]], 0, off)))
			if err != nil {
				t.Fatalf("node %d port %d not freed: %v", i, off, err)
			}
			l.Close()
		}
	}
}
