package driver

import (
	"context"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
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

// evidenceLog records what a driver reports.
type evidenceLog []types.Evidence

func (l *evidenceLog) RecordEvidence(ev *types.Evidence) { *l = append(*l, *ev) }

// TestConflictingProposalsReportedOnce: the first proposal of a view is
// kept; a second, different one of the same leader is dropped, counted
// against its key and reported as evidence holding both envelopes; a
// third is dropped and counted but not reported again.
func TestConflictingProposalsReportedOnce(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	d, c := newTestDriver(t, keys)
	var got evidenceLog
	d.cfg.Evidence = &got
	ctx := context.Background()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	head, hh := c.Head()
	leader := keys[0].Address()
	block := func(ts uint64) *types.Proposal {
		hdr := exec.NextHeader(&head.Header, hh, leader, ts)
		hdr.View = 1
		st, err := state.Open(smt.NewOverlay(c.states), head.Header.StateRoot)
		if err != nil {
			t.Fatal(err)
		}
		res, txs, err := Fill(st, exec.Env{Height: hdr.Height, Proposer: leader, BaseFee: hdr.BaseFee}, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Fill(&hdr)
		return &types.Proposal{Block: types.Block{Header: hdr, Transactions: txs}}
	}
	send := func(p *types.Proposal, env string) {
		if err := d.Handle(ctx, Incoming{Decoded: p, From: "relay", Sender: leader, Envelope: []byte(env)}); err != nil {
			t.Fatal(err)
		}
	}
	first, second, third := block(head.Header.Timestamp), block(head.Header.Timestamp+1), block(head.Header.Timestamp+2)
	send(first, "env-1")
	send(first, "env-1") // the same proposal again: not a conflict
	send(second, "env-2")
	send(third, "env-3")
	if len(got) != 1 {
		t.Fatalf("%d evidence records, want 1", len(got))
	}
	ev := got[0]
	if ev.Kind != types.EvidenceKindDoubleProposal || ev.Validator != leader || ev.View != 1 ||
		string(ev.First) != "env-1" || string(ev.Second) != "env-2" {
		t.Fatalf("evidence %+v", ev)
	}
	h2, _ := second.Block.Header.Hash()
	if d.Block(h2) != nil {
		t.Fatal("the conflicting proposal's body was kept")
	}
	if s := d.keys.keys[leader]; s == nil || s.bad != 2 {
		t.Fatalf("conflicting proposals counted against the key: %+v, want 2", s)
	}
}
