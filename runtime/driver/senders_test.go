package driver

import (
	"context"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

// TestJunkCountsAgainstTheKeyNotTheRelay: content only the consensus layer
// can judge (a proposal from the wrong leader, a vote with a bad inner
// signature) never penalises the peer that relayed it; it is counted
// against the signing key, which is rate-limited past badLimit and
// recovers as its count decays.
func TestJunkCountsAgainstTheKeyNotTheRelay(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	d, _ := newTestDriver(t, keys)
	net := &askNet{}
	d.net = net
	clock := &stepClock{t: time.Unix(1_700_000_100, 0)}
	d.cfg.Clock = clock
	d.keys = newSenders(clock)
	ctx := context.Background()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	bad := keys[1].Address() // signs, but leads no view and is no validator here
	wrongLeader := &types.Proposal{Block: types.Block{Header: types.BlockHeader{Height: 1, View: 1, Proposer: bad}}}
	vote := &types.Vote{View: 1, Height: 1, Voter: keys[0].Address()} // signature all zero
	for range badLimit + 1 {
		if err := d.Handle(ctx, Incoming{Decoded: wrongLeader, From: "relay-a", Sender: bad}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Handle(ctx, Incoming{Decoded: vote, From: "relay-b", Sender: keys[0].Address()}); err != nil {
		t.Fatal(err)
	}
	if len(net.penalized) != 0 {
		t.Fatalf("relays penalised for what only consensus could check: %v", net.penalized)
	}
	if d.keys.allow(bad) {
		// allow lets one message per limitedEvery through; the second is refused.
		if d.keys.allow(bad) {
			t.Fatal("a key past the limit is not rate-limited")
		}
	}
	if !d.keys.allow(keys[0].Address()) {
		t.Fatal("a key with one invalid message is limited")
	}
	clock.t = clock.t.Add(10 * badHalfLife)
	if !d.keys.allow(bad) || !d.keys.allow(bad) {
		t.Fatal("the key is still limited after its count decayed")
	}
}

// stepClock is a clock the test moves.
type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { return c.t }
