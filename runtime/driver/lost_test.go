package driver

import (
	"context"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

// otherLeads makes one address lead every view.
type otherLeads struct{ a types.Address }

func (e otherLeads) Leader(uint64) types.Address { return e.a }

// lostDriver is keys[0]'s driver in a two-validator set whose every view
// keys[1] leads, on a network where keys[1] stays reachable.
func lostDriver(t *testing.T) (*Driver, *stepClock, types.Address) {
	t.Helper()
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	g, c, b0, pool := testGenesisChain(t, keys, keys)
	clock := &stepClock{t: time.Unix(1_700_000_100, 0)}
	d, err := New(Config{Genesis: b0.Header, Validators: g.Validators, Elector: otherLeads{keys[1].Address()},
		Signer: consensus.CryptoSigner{Key: keys[0], ChainID: testChainID}, Verifier: consensus.CryptoVerifier{ChainID: testChainID},
		BlockTime: 300 * time.Millisecond, ViewTimeout: 2 * time.Second, TickInterval: 50 * time.Millisecond, Clock: clock},
		c, pool, &askNet{})
	if err != nil {
		t.Fatal(err)
	}
	d.keys = newSenders(clock)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.heard[keys[1].Address()] = clock.t // not silent
	return d, clock, keys[1].Address()
}

// TestLimitedLeaderTimedOutAtOnce: a leader whose key was already
// rate-limited for junk when the view began is timed out at once, as a
// leader already disconnected is; one limited only during the view gets
// the grace of a block time and a quarter of a view timeout, since its
// proposal may be on its way (spec/consensus.md "Lost leader").
func TestLimitedLeaderTimedOutAtOnce(t *testing.T) {
	ctx := context.Background()

	d, _, leader := lostDriver(t)
	for range badLimit + 1 {
		d.keys.invalid(leader)
	}
	if err := d.leaderLost(ctx); err != nil {
		t.Fatal(err)
	}
	if !d.lostSent {
		t.Fatal("a leader limited before the view began: not timed out at once")
	}

	d, clock, leader := lostDriver(t)
	if err := d.leaderLost(ctx); err != nil { // enters the view: not limited
		t.Fatal(err)
	}
	for range badLimit + 1 {
		d.keys.invalid(leader)
	}
	clock.t = clock.t.Add(lostGrace(d.cfg.BlockTime, d.cfg.ViewTimeout) - time.Millisecond)
	d.heard[leader] = clock.t
	if err := d.leaderLost(ctx); err != nil {
		t.Fatal(err)
	}
	if d.lostSent {
		t.Fatal("a leader limited during the view: timed out before the grace")
	}
	clock.t = clock.t.Add(time.Millisecond)
	if err := d.leaderLost(ctx); err != nil {
		t.Fatal(err)
	}
	if !d.lostSent {
		t.Fatal("a limited leader: not timed out after the grace")
	}
}
