package p2p

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// junk is how a junk sync server answers.
type junk int

const (
	junkGarbage junk = iota // a frame that does not decode
	junkClaims              // an empty range, its head height claiming the blocks; no block
	junkBehind              // an empty range at head height 0: an honest "I have nothing"; no block
	junkSilent              // reads the request and never answers
	junkForger              // well-formed blocks of another chain; a block other than the one asked for
)

func (j junk) String() string {
	return [...]string{"garbage", "claims", "behind", "silent", "forger"}[j]
}

// junkHost is a host whose sync handlers answer as its kind says, counting
// the requests it gets.
type junkHost struct {
	*testHost
	kind     junk
	requests atomic.Int64
}

// newJunkHost starts a junk sync server with key i.
func newJunkHost(t *testing.T, i int, kind junk) *junkHost {
	t.Helper()
	jh := &junkHost{testHost: newHost(t, i, nil), kind: kind}
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) }) // before the host closes: cleanups run last first
	forged := newChainServerBy(t, addr(9), 64)
	garbage := bytes.Repeat([]byte{0xff}, 100)
	claims := mustEncode(t, &types.SyncResponse{HeadHeight: 1 << 40})
	behind := mustEncode(t, &types.SyncResponse{})
	noBlock := mustEncode(t, &types.BlockResponse{})
	wrongBlock := mustEncode(t, &types.BlockResponse{Block: &forged.blocks[3]})
	handler := func(answer func(req []byte) []byte) network.StreamHandler {
		return func(s network.Stream) {
			jh.requests.Add(1)
			req, err := readFrame(s, maxRequestBytes)
			if err != nil || kind == junkSilent {
				<-hold
				_ = s.Reset()
				return
			}
			_ = writeFrame(s, answer(req))
			_ = s.Close()
		}
	}
	jh.host.SetStreamHandler(protocol.ID(params.ProtocolSyncRange), handler(func(req []byte) []byte {
		switch kind {
		case junkGarbage:
			return garbage
		case junkClaims:
			return claims
		case junkForger:
			var r types.SyncRequest
			_ = r.UnmarshalBorsh(req)
			resp, _ := forged.SyncRange(r.FromHeight, int(r.MaxBlocks))
			b, _ := encodeRange(*resp, int(r.MaxBlocks))
			return b
		}
		return behind
	}))
	jh.host.SetStreamHandler(protocol.ID(params.ProtocolSyncBlock), handler(func([]byte) []byte {
		switch kind {
		case junkGarbage:
			return garbage
		case junkForger:
			return wrongBlock
		}
		return noBlock
	}))
	return jh
}

// countingServer counts the range and block requests a Server answers.
type countingServer struct {
	Server
	ranges, blocks atomic.Int64
}

func (s *countingServer) SyncRange(from uint64, max int) (*types.SyncResponse, error) {
	s.ranges.Add(1)
	return s.Server.SyncRange(from, max)
}

func (s *countingServer) BlockByHash(h types.Hash) (*types.Block, bool) {
	s.blocks.Add(1)
	return s.Server.BlockByHash(h)
}

// extends is a check for SyncRange: the blocks extend prev, as the
// driver's CheckSync checks (without the certificates).
func extends(prev types.BlockHeader) func(*types.SyncResponse) error {
	return func(r *types.SyncResponse) error {
		ph, err := prev.Hash()
		if err != nil {
			return err
		}
		for i := range r.Blocks {
			if r.Blocks[i].Header.ParentHash != ph {
				return errors.New("does not extend the chain")
			}
			if ph, err = r.Blocks[i].Header.Hash(); err != nil {
				return err
			}
		}
		return nil
	}
}

// junkNet is a client connected to one honest sync server and one junk
// server of each kind.
type junkNet struct {
	client *testHost
	chain  *chainServer
	honest *testHost
	served *countingServer
	junk   []*junkHost
	// gate, when set, holds the honest server's range answers until it
	// returns true.
	gate atomic.Pointer[func() bool]
}

// newJunkNet starts the servers with keys from base on, base+len(kinds)
// for the honest one, and a client with key base+len(kinds)+1.
func newJunkNet(t *testing.T, base, blocks int, kinds ...junk) *junkNet {
	t.Helper()
	n := &junkNet{chain: newChainServer(t, blocks)}
	n.served = &countingServer{Server: &gatedServer{Server: n.chain, gate: func() bool {
		g := n.gate.Load()
		return g == nil || (*g)()
	}}}
	for i, k := range kinds {
		n.junk = append(n.junk, newJunkHost(t, base+i, k))
	}
	n.honest = newHost(t, base+len(kinds), func(c *Config) { c.Server = n.served })
	servers := []*testHost{n.honest}
	for _, j := range n.junk {
		servers = append(servers, j.testHost)
	}
	n.client = newHost(t, base+len(kinds)+1, bootstrapTo(servers...))
	waitFor(t, "the client to connect to every server", func() bool {
		for _, s := range servers {
			if !n.client.connected(s.ID()) {
				return false
			}
		}
		return true
	})
	return n
}

// penalised reports whether the client has penalised p.
func (n *junkNet) penalised(p peer.ID) bool { return n.client.penalties.score(p) < 0 }

// faulty reports whether a junk kind must be penalised for its range
// answers (and for its block answers: the same kinds).
func faulty(k junk) bool { return k != junkBehind }

// TestSyncJunkPeers: among an honest server and one junk server of each
// kind, SyncRange returns the honest blocks without waiting for the silent
// peer; the garbage, the claimed head not served, the silence and the
// forged chain each cost their peer standing and gossip score and get it
// skipped on the next request; the honest peers (the one with blocks and
// the one with nothing) are never penalised.
func TestSyncJunkPeers(t *testing.T) {
	n := newJunkNet(t, 20, 40, junkGarbage, junkClaims, junkBehind, junkSilent, junkForger)
	sc := NewSyncClient(n.client.Host)
	sc.fanout = len(n.junk) + 1 // every kind is asked the first request
	// The honest server answers the first request only once the client
	// has judged the answers that are there to judge: a forged chain
	// arriving after the honest one is abandoned unverified, costing
	// nothing. (With the fault missing, the gate opens after waitTimeout
	// and the checks below fail.)
	gate := func() bool {
		for _, j := range n.junk {
			if j.kind != junkBehind && j.kind != junkSilent && !n.penalised(j.ID()) {
				return false
			}
		}
		return true
	}
	n.gate.Store(&gate)
	ctx := context.Background()

	start := time.Now()
	resp, from, err := sc.SyncRange(ctx, 1, params.MaxSyncBlocks, extends(n.chain.blocks[0].Header))
	took := time.Since(start)
	t.Logf("first range from %d servers in %v", len(n.junk)+1, took.Round(time.Millisecond))
	n.gate.Store(nil)
	if err != nil {
		t.Fatal(err)
	}
	if from != n.honest.ID() || len(resp.Blocks) != params.MaxSyncBlocks || resp.Blocks[0].Header.Height != 1 {
		t.Fatalf("got %d blocks from %s, want %d from the honest server", len(resp.Blocks), from, params.MaxSyncBlocks)
	}
	// The honest answer is local: milliseconds, where the silent peer's
	// deadline is seconds.
	if took >= syncRangeFirstByte {
		t.Fatalf("took %v: waited for the silent peer's deadline (%v)", took, syncRangeFirstByte)
	}

	for _, j := range n.junk {
		if !faulty(j.kind) {
			continue
		}
		waitFor(t, j.kind.String()+" to be penalised", func() bool { return n.penalised(j.ID()) })
		if s := sc.record.standing(j.ID()); s >= 0 {
			t.Errorf("%s: sync standing %d, want below 0", j.kind, s)
		}
	}
	if s := sc.record.standing(n.honest.ID()); s <= 0 {
		t.Errorf("honest server: standing %d, want above 0", s)
	}

	// The next request skips the peers at fault.
	before := map[junk]int64{}
	for _, j := range n.junk {
		before[j.kind] = j.requests.Load()
	}
	honestBefore := n.served.ranges.Load()
	resp, from, err = sc.SyncRange(ctx, 17, params.MaxSyncBlocks, extends(n.chain.blocks[16].Header))
	if err != nil || from != n.honest.ID() || len(resp.Blocks) != params.MaxSyncBlocks {
		t.Fatalf("second range: %v from %s, err %v", resp, from, err)
	}
	for _, j := range n.junk {
		if got := j.requests.Load(); faulty(j.kind) && got != before[j.kind] {
			t.Errorf("%s was asked again (%d requests, %d before)", j.kind, got, before[j.kind])
		}
	}
	if got := n.served.ranges.Load(); got != honestBefore+1 {
		t.Errorf("honest server: %d requests, want %d", got, honestBefore+1)
	}

	// Past the head: the honest "nothing".
	resp, _, err = sc.SyncRange(ctx, 40, params.MaxSyncBlocks, extends(n.chain.blocks[39].Header))
	if err != nil || len(resp.Blocks) != 0 {
		t.Fatalf("past the head: %v, %v", resp, err)
	}
	for _, id := range []peer.ID{n.honest.ID(), n.junk[junkBehind].ID()} {
		if n.penalised(id) {
			t.Errorf("honest peer %s was penalised", id)
		}
	}
}

// TestSyncWaitsForEveryPeer: an honest "I have nothing" from a peer behind
// does not end the request while another peer asked may have blocks; when
// none has, the answer is "nothing" only once every peer asked has
// answered or missed its deadline.
func TestSyncWaitsForEveryPeer(t *testing.T) {
	behind := newJunkHost(t, 40, junkBehind)
	chain := newChainServer(t, 20)
	// The honest server answers only after the peer behind has.
	slow := &gatedServer{Server: chain, gate: func() bool { return behind.requests.Load() > 0 }}
	honest := newHost(t, 41, func(c *Config) { c.Server = slow })
	client := newHost(t, 42, bootstrapTo(honest, behind.testHost))
	waitFor(t, "the client to connect", func() bool {
		return client.connected(honest.ID()) && client.connected(behind.ID())
	})
	sc := NewSyncClient(client.Host)
	resp, from, err := sc.SyncRange(context.Background(), 1, 4, extends(chain.blocks[0].Header))
	if err != nil || from != honest.ID() || len(resp.Blocks) != 4 {
		t.Fatalf("got %v from %s, err %v; want 4 blocks from the honest server", resp, from, err)
	}

	// Nobody has blocks and one peer is silent: the answer waits for the
	// silent peer's deadline, which costs it.
	silent := newJunkHost(t, 43, junkSilent)
	client2 := newHost(t, 44, bootstrapTo(behind.testHost, silent.testHost))
	waitFor(t, "the second client to connect", func() bool {
		return client2.connected(silent.ID()) && client2.connected(behind.ID())
	})
	sc2 := NewSyncClient(client2.Host)
	resp, from, err = sc2.SyncRange(context.Background(), 1, 4, nil)
	if err != nil || from != behind.ID() || len(resp.Blocks) != 0 {
		t.Fatalf("got %v from %s, err %v; want nothing from the peer behind", resp, from, err)
	}
	if client2.penalties.score(silent.ID()) >= 0 {
		t.Fatal("concluded there is nothing before the silent peer's deadline")
	}
	if client2.penalties.score(behind.ID()) < 0 {
		t.Fatal("the peer behind was penalised")
	}
}

// gatedServer answers range requests only once gate holds.
type gatedServer struct {
	Server
	gate func() bool
}

func (s *gatedServer) SyncRange(from uint64, max int) (*types.SyncResponse, error) {
	deadline := time.Now().Add(waitTimeout)
	for !s.gate() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return s.Server.SyncRange(from, max)
}

// TestFetchBlockJunkPeers: FetchBlock takes the block whose header hashes
// to the hash asked for; garbage, a wrong block and silence cost their
// peers, "I do not have it" does not.
func TestFetchBlockJunkPeers(t *testing.T) {
	n := newJunkNet(t, 50, 20, junkGarbage, junkBehind, junkSilent, junkForger)
	sc := NewSyncClient(n.client.Host)
	sc.fanout = len(n.junk) + 1
	blk, err := sc.FetchBlock(context.Background(), n.chain.hash(7))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := blk.Header.Hash(); h != n.chain.hash(7) {
		t.Fatal("fetched the wrong block")
	}
	for _, j := range n.junk {
		if faulty(j.kind) {
			waitFor(t, j.kind.String()+" to be penalised", func() bool { return n.penalised(j.ID()) })
		}
	}
	// An unknown block: "not found", after everyone left has answered.
	if _, err := sc.FetchBlock(context.Background(), types.Hash{0xee}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown block: %v", err)
	}
	for _, id := range []peer.ID{n.honest.ID(), n.junk[1].ID()} {
		if n.penalised(id) {
			t.Errorf("honest peer %s was penalised", id)
		}
	}
}

// catchUp syncs the chain of n from height 1 to its head with the default
// client, whose record trusts the junk peers at first (they served well
// before turning), so that the first request goes to them and not to the
// honest server. It reports the SyncRange calls it made, how many of them
// lasted a deadline or more (waited for a silent peer), and the time it
// took.
func catchUp(t *testing.T, n *junkNet) (calls, slow int, took time.Duration) {
	t.Helper()
	sc := NewSyncClient(n.client.Host)
	for _, j := range n.junk {
		sc.record.good(j.ID())
	}
	prev := n.chain.blocks[0].Header
	head := uint64(len(n.chain.blocks) - 1)
	start := time.Now()
	failures := 0
	for {
		calls++
		begin := time.Now()
		resp, _, err := sc.SyncRange(context.Background(), prev.Height+1, params.MaxSyncBlocks, extends(prev))
		if time.Since(begin) >= syncRangeFirstByte {
			slow++
		}
		if err != nil {
			if failures++; failures > 2 {
				t.Fatalf("at height %d: %v", prev.Height, err)
			}
			continue
		}
		if len(resp.Blocks) == 0 {
			break
		}
		prev = resp.Blocks[len(resp.Blocks)-1].Header
	}
	if prev.Height != head {
		t.Fatalf("caught up to %d, want %d", prev.Height, head)
	}
	return calls, slow, time.Since(start)
}

// TestSyncCatchUpAmongJunk: catching up 500 blocks among junk sync peers
// takes the same number of rounds as from the honest server alone, asks
// each faulty peer at most twice, never waits for a deadline, and is not
// much slower. (Asking peers in turn with a 30 s timeout, and penalising
// none of them, made this over 90 s.)
func TestSyncCatchUpAmongJunk(t *testing.T) {
	const blocks = 501 // heights 0 to 500
	alone := newJunkNet(t, 60, blocks)
	aloneCalls, _, aloneTook := catchUp(t, alone)
	aloneServed := alone.served.ranges.Load()

	kinds := []junk{junkGarbage, junkClaims, junkBehind, junkSilent, junkForger}
	among := newJunkNet(t, 70, blocks, kinds...)
	amongCalls, slow, amongTook := catchUp(t, among)
	amongServed := among.served.ranges.Load()

	t.Logf("alone: %d calls, %d served, %v; among junk: %d calls, %d served, %d slow, %v",
		aloneCalls, aloneServed, aloneTook.Round(time.Millisecond),
		amongCalls, amongServed, slow, amongTook.Round(time.Millisecond))
	for _, j := range among.junk {
		t.Logf("%s: %d requests, penalised %v", j.kind, j.requests.Load(), among.penalised(j.ID()))
	}
	if amongCalls > aloneCalls+1 {
		t.Errorf("%d calls among junk, %d alone", amongCalls, aloneCalls)
	}
	if amongServed > aloneServed+2 {
		t.Errorf("honest server asked %d times among junk, %d alone", amongServed, aloneServed)
	}
	for _, j := range among.junk {
		if got := j.requests.Load(); faulty(j.kind) && got > 2 {
			t.Errorf("%s asked %d times", j.kind, got)
		}
	}
	// A call that waits for the silent peer lasts its deadline (seconds);
	// the others, milliseconds.
	if slow > 0 {
		t.Errorf("%d calls waited for a deadline", slow)
	}
	if limit := 2*aloneTook + syncRangeFirstByte; amongTook > limit {
		t.Errorf("among junk took %v, over %v", amongTook, limit)
	}
	if among.penalised(among.honest.ID()) || among.penalised(among.junk[2].ID()) {
		t.Error("an honest peer was penalised")
	}
}
