package consensus_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

const evChainID = 7

// evFixture holds two validators with real keys (set: both) and an
// outsider key that is no validator.
type evFixture struct {
	set              *consensus.ValidatorSet
	ver              consensus.Verifier
	key, other, out  *crypto.PrivateKey
	me, them, nobody types.Address
}

func newEvFixture(t testing.TB) *evFixture {
	f := &evFixture{key: evKey(t, 1), other: evKey(t, 2), out: evKey(t, 3), ver: consensus.CryptoVerifier{ChainID: evChainID}}
	f.me, f.them, f.nobody = types.Address(f.key.Address()), types.Address(f.other.Address()), types.Address(f.out.Address())
	set, err := consensus.NewValidatorSet([]consensus.Member{{Address: f.me, Power: 10}, {Address: f.them, Power: 10}})
	if err != nil {
		t.Fatal(err)
	}
	f.set = set
	return f
}

func evKey(t testing.TB, b byte) *crypto.PrivateKey {
	t.Helper()
	var raw [32]byte
	raw[31] = b
	k, err := crypto.PrivateKeyFromBytes(raw[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEnc(t testing.TB, m interface{ MarshalBorsh() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vote returns the encoding of a Vote by voter for view, signed by key
// under chainID.
func vote(t testing.TB, key *crypto.PrivateKey, chainID uint64, voter types.Address, view, height uint64, hash types.Hash) []byte {
	t.Helper()
	v := types.Vote{View: view, Height: height, BlockHash: hash, Voter: voter}
	p, err := v.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}
	if v.Signature, err = (consensus.CryptoSigner{Key: key, ChainID: chainID}).Sign(v.SigningDomain(), p); err != nil {
		t.Fatal(err)
	}
	return mustEnc(t, &v)
}

func timeout(t testing.TB, key *crypto.PrivateKey, chainID uint64, sender types.Address, view, highQCView uint64) []byte {
	t.Helper()
	m := types.Timeout{View: view, HighQCView: highQCView, Sender: sender}
	p, err := m.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}
	if m.Signature, err = (consensus.CryptoSigner{Key: key, ChainID: chainID}).Sign(m.SigningDomain(), p); err != nil {
		t.Fatal(err)
	}
	return mustEnc(t, &m)
}

// envelope returns an Envelope of type mt carrying payload, from sender,
// signed by key under chainID.
func envelope(t testing.TB, key *crypto.PrivateKey, chainID uint64, mt types.MessageType, sender types.Address, payload []byte) []byte {
	t.Helper()
	env := types.Envelope{Type: mt, Payload: payload, Sender: sender}
	p, err := env.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}
	if env.Signature, err = (consensus.CryptoSigner{Key: key, ChainID: chainID}).Sign(env.SigningDomain(), p); err != nil {
		t.Fatal(err)
	}
	return mustEnc(t, &env)
}

// block is a Proposal of proposer for view; stamp varies the header (its
// timestamp), body the body (a transaction the header does not commit to).
func block(t testing.TB, proposer types.Address, view, stamp uint64, body bool) types.Proposal {
	t.Helper()
	p := types.Proposal{Block: types.Block{Header: types.BlockHeader{Height: 5, View: view, Proposer: proposer, Timestamp: stamp, Epoch: 0}}}
	if body {
		p.Block.Transactions = []types.Transaction{{Nonce: 1}}
	}
	return p
}

func proposalEnv(t testing.TB, key *crypto.PrivateKey, chainID uint64, sender types.Address, p types.Proposal) []byte {
	return envelope(t, key, chainID, types.MessageTypeProposal, sender, mustEnc(t, &p))
}

// TestVerifyEvidenceAccepts: each kind of evidence with real keys verifies,
// in canonical order from NewEvidence whichever order the messages come in.
func TestVerifyEvidenceAccepts(t *testing.T) {
	f := newEvFixture(t)
	const view = 9
	cases := []struct {
		name string
		kind types.EvidenceKind
		a, b []byte
	}{
		{"vote: other block", types.EvidenceKindDoubleVote,
			vote(t, f.key, evChainID, f.me, view, 4, types.Hash{1}), vote(t, f.key, evChainID, f.me, view, 4, types.Hash{2})},
		{"vote: other height, same hash", types.EvidenceKindDoubleVote,
			vote(t, f.key, evChainID, f.me, view, 4, types.Hash{1}), vote(t, f.key, evChainID, f.me, view, 5, types.Hash{1})},
		{"timeout", types.EvidenceKindDoubleTimeout,
			timeout(t, f.key, evChainID, f.me, view, 7), timeout(t, f.key, evChainID, f.me, view, 8)},
		{"proposal", types.EvidenceKindDoubleProposal,
			proposalEnv(t, f.key, evChainID, f.me, block(t, f.me, view, 100, false)),
			proposalEnv(t, f.key, evChainID, f.me, block(t, f.me, view, 101, false))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ab := consensus.NewEvidence(c.kind, f.me, view, c.a, c.b)
			ba := consensus.NewEvidence(c.kind, f.me, view, c.b, c.a)
			if bytes.Compare(ab.First, ab.Second) >= 0 {
				t.Fatal("NewEvidence: first not below second")
			}
			if !bytes.Equal(mustEnc(t, &ab), mustEnc(t, &ba)) {
				t.Fatal("NewEvidence: the order of the arguments changes the encoding")
			}
			if err := consensus.VerifyEvidence(f.set, f.ver, &ab); err != nil {
				t.Fatalf("valid evidence rejected: %v", err)
			}
			// It survives its own encoding (what the store and a block keep).
			var back types.Evidence
			if err := back.UnmarshalBorsh(mustEnc(t, &ab)); err != nil {
				t.Fatal(err)
			}
			if err := consensus.VerifyEvidence(f.set, f.ver, &back); err != nil {
				t.Fatalf("decoded evidence rejected: %v", err)
			}
		})
	}
}

// TestVerifyEvidenceRejects: every rule, broken one at a time.
func TestVerifyEvidenceRejects(t *testing.T) {
	f := newEvFixture(t)
	const view = 9
	v1 := vote(t, f.key, evChainID, f.me, view, 4, types.Hash{1})
	v2 := vote(t, f.key, evChainID, f.me, view, 4, types.Hash{2})
	t1 := timeout(t, f.key, evChainID, f.me, view, 7)
	t2 := timeout(t, f.key, evChainID, f.me, view, 8)
	p1 := proposalEnv(t, f.key, evChainID, f.me, block(t, f.me, view, 100, false))
	p2 := proposalEnv(t, f.key, evChainID, f.me, block(t, f.me, view, 101, false))
	dv := types.EvidenceKindDoubleVote
	dt := types.EvidenceKindDoubleTimeout
	dp := types.EvidenceKindDoubleProposal
	ev := func(kind types.EvidenceKind, a, b []byte) types.Evidence {
		return consensus.NewEvidence(kind, f.me, view, a, b)
	}
	swap := func(e types.Evidence) types.Evidence { e.First, e.Second = e.Second, e.First; return e }
	with := func(e types.Evidence, mut func(*types.Evidence)) types.Evidence { mut(&e); return e }

	var (
		malformed    = consensus.ErrEvidenceMalformed
		unknown      = consensus.ErrEvidenceUnknownValidator
		identical    = consensus.ErrEvidenceIdentical
		notCanonical = consensus.ErrEvidenceNotCanonical
		undecodable  = consensus.ErrEvidenceUndecodable
		wrongType    = consensus.ErrEvidenceWrongMessageType
		otherVal     = consensus.ErrEvidenceOtherValidator
		wrongView    = consensus.ErrEvidenceWrongView
		badSig       = consensus.ErrEvidenceBadSignature
		noConflict   = consensus.ErrEvidenceNoConflict
	)
	cases := []struct {
		name string
		ev   types.Evidence
		want error // the reason sentinel
		also error // another sentinel the error must wrap, if any
	}{
		{"unknown validator", consensus.NewEvidence(dv, f.nobody, view,
			vote(t, f.out, evChainID, f.nobody, view, 4, types.Hash{1}), vote(t, f.out, evChainID, f.nobody, view, 4, types.Hash{2})), unknown, consensus.ErrUnknownValidator},
		{"vote: not canonical", swap(ev(dv, v1, v2)), notCanonical, nil},
		{"timeout: not canonical", swap(ev(dt, t1, t2)), notCanonical, nil},
		{"proposal: not canonical", swap(ev(dp, p1, p2)), notCanonical, nil},
		{"same message twice", ev(dv, v1, v1), identical, nil},
		{"unknown kind", with(ev(dv, v1, v2), func(e *types.Evidence) { e.Kind = 0 }), malformed, nil},
		{"votes as timeouts", ev(dt, v1, v2), undecodable, nil},
		{"timeouts as votes", ev(dv, t1, t2), undecodable, nil},
		{"votes as proposals", ev(dp, v1, v2), undecodable, nil},
		{"vote: trailing byte", ev(dv, v1, append(append([]byte(nil), v2...), 0)), undecodable, nil},
		{"vote: truncated", ev(dv, v1, v2[:len(v2)-1]), undecodable, nil},
		{"vote: other voter", ev(dv, v1, vote(t, f.other, evChainID, f.them, view, 4, types.Hash{2})), otherVal, nil},
		{"vote: other view", ev(dv, v1, vote(t, f.key, evChainID, f.me, view+1, 4, types.Hash{2})), wrongView, nil},
		{"vote: signed by another key", ev(dv, v1, vote(t, f.other, evChainID, f.me, view, 4, types.Hash{2})), badSig, consensus.ErrBadSignature},
		{"vote: signed for another chain", ev(dv, v1, vote(t, f.key, evChainID+1, f.me, view, 4, types.Hash{2})), badSig, consensus.ErrBadSignature},
		{"vote: evidence for another view", with(ev(dv, v1, v2), func(e *types.Evidence) { e.View++ }), wrongView, nil},
		{"vote: evidence names another validator", with(ev(dv, v1, v2), func(e *types.Evidence) { e.Validator = f.them }), otherVal, nil},
		{"timeout: signed for another chain", ev(dt, t1, timeout(t, f.key, evChainID+1, f.me, view, 8)), badSig, consensus.ErrBadSignature},
		{"timeout: other sender", ev(dt, t1, timeout(t, f.other, evChainID, f.them, view, 8)), otherVal, nil},
		{"timeout: other view", ev(dt, t1, timeout(t, f.key, evChainID, f.me, view+1, 8)), wrongView, nil},
		{"timeout: signed by another key", ev(dt, t1, timeout(t, f.other, evChainID, f.me, view, 8)), badSig, consensus.ErrBadSignature},
		{"proposal: same header, other body", ev(dp, p1,
			proposalEnv(t, f.key, evChainID, f.me, block(t, f.me, view, 100, true))), noConflict, nil},
		{"proposal: envelope carries a vote", ev(dp, p1,
			envelope(t, f.key, evChainID, types.MessageTypeVote, f.me, mustEnc(t, &types.Vote{View: view, Voter: f.me}))), wrongType, nil},
		{"proposal: payload is not a proposal", ev(dp, p1,
			envelope(t, f.key, evChainID, types.MessageTypeProposal, f.me, []byte{1, 2, 3})), undecodable, nil},
		{"proposal: envelope from another sender", ev(dp, p1,
			proposalEnv(t, f.other, evChainID, f.them, block(t, f.me, view, 101, false))), otherVal, nil},
		{"proposal: block of another proposer", ev(dp, p1,
			proposalEnv(t, f.key, evChainID, f.me, block(t, f.them, view, 101, false))), otherVal, nil},
		{"proposal: block of another view", ev(dp, p1,
			proposalEnv(t, f.key, evChainID, f.me, block(t, f.me, view+1, 101, false))), wrongView, nil},
		{"proposal: envelope signed by another key", ev(dp, p1,
			proposalEnv(t, f.other, evChainID, f.me, block(t, f.me, view, 101, false))), badSig, consensus.ErrBadSignature},
		{"proposal: envelope signed for another chain", ev(dp, p1,
			proposalEnv(t, f.key, evChainID+1, f.me, block(t, f.me, view, 101, false))), badSig, consensus.ErrBadSignature},
		{"oversized message", ev(dv, v1, make([]byte, params.MaxEvidenceMessageBytes+1)), malformed, nil},
		// Order: the form of the evidence before the validator, the
		// validator before the order of the messages, and every rule of
		// first before any of second.
		{"order: oversized beats unknown validator", consensus.NewEvidence(dv, f.nobody, view, v1, make([]byte, params.MaxEvidenceMessageBytes+1)), malformed, nil},
		{"order: unknown validator beats not canonical", swap(consensus.NewEvidence(dv, f.nobody, view, v1, v2)), unknown, nil},
		{"order: first's signature before second's decoding", ev(dv,
			vote(t, f.other, evChainID, f.me, view, 4, types.Hash{0}), append(append([]byte(nil), v2...), 0)), badSig, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := consensus.VerifyEvidence(f.set, f.ver, &c.ev)
			if !errors.Is(err, consensus.ErrBadEvidence) {
				t.Fatalf("err = %v, want ErrBadEvidence", err)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want reason %v", err, c.want)
			}
			if got, want := consensus.EvidenceReason(err), consensus.EvidenceReason(c.want); got != want || got == "" {
				t.Fatalf("EvidenceReason = %q, want %q", got, want)
			}
			if c.also != nil && !errors.Is(err, c.also) {
				t.Fatalf("err = %v, want it to wrap %v too", err, c.also)
			}
		})
	}
}

// TestEvidenceReasonsMatchSpec: the reason table of spec/consensus.md
// ("Equivocation evidence") and consensus.EvidenceReasons name the same
// reasons in the same order, each sentinel with its own name, so the
// conformance vectors' reasons map 1:1 onto the errors VerifyEvidence
// returns.
func TestEvidenceReasonsMatchSpec(t *testing.T) {
	spec := evidenceReasonTable(t, "../../spec/consensus.md")
	var got []string
	for _, r := range consensus.EvidenceReasons() {
		if !errors.Is(r, consensus.ErrBadEvidence) {
			t.Errorf("%v does not wrap ErrBadEvidence", r)
		}
		got = append(got, consensus.EvidenceReason(r))
	}
	if strings.Join(got, " ") != strings.Join(spec, " ") {
		t.Fatalf("sentinels name\n  %v\nspec/consensus.md lists\n  %v", got, spec)
	}
	// Negative control: the parser finds a row dropped from the table.
	data, _ := os.ReadFile("../../spec/consensus.md")
	cut := strings.Replace(string(data), "| `wrong_view` |", "| wrong_view |", 1)
	if rows := parseReasonTable(cut); len(rows) != len(spec)-1 {
		t.Fatalf("a dropped row still parses as %d rows", len(rows))
	}
}

func evidenceReasonTable(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := parseReasonTable(string(data))
	if len(rows) < 5 {
		t.Fatalf("%s: %d reasons in the Equivocation evidence table", path, len(rows))
	}
	return rows
}

// parseReasonTable returns the reason names (first column, in backquotes)
// of the table in the "## Equivocation evidence" section.
func parseReasonTable(doc string) []string {
	_, sec, _ := strings.Cut(doc, "\n## Equivocation evidence\n")
	sec, _, _ = strings.Cut(sec, "\n## ")
	var out []string
	for _, line := range strings.Split(sec, "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if name, _, ok := strings.Cut(rest, "` |"); ok {
				out = append(out, name)
			}
		}
	}
	return out
}

// acceptAll verifies every signature: it isolates the conflict rule from
// the signatures, which with deterministic signing cannot give two valid
// signatures over one message.
type acceptAll struct{}

func (acceptAll) Verify(types.SigningDomain, []byte, types.Signature, types.Address) error {
	return nil
}

// TestVerifyEvidenceSameContent: two encodings that differ only in their
// signatures (two signatures of one vote, timeout or envelope) are no
// evidence: the validator signed one thing.
func TestVerifyEvidenceSameContent(t *testing.T) {
	f := newEvFixture(t)
	const view = 9
	resign := func(b []byte) []byte {
		c := append([]byte(nil), b...)
		c[len(c)-2] ^= 0xff // inside the signature's S
		return c
	}
	for _, c := range []struct {
		name string
		kind types.EvidenceKind
		msg  []byte
	}{
		{"vote", types.EvidenceKindDoubleVote, vote(t, f.key, evChainID, f.me, view, 4, types.Hash{1})},
		{"timeout", types.EvidenceKindDoubleTimeout, timeout(t, f.key, evChainID, f.me, view, 7)},
		{"proposal", types.EvidenceKindDoubleProposal, proposalEnv(t, f.key, evChainID, f.me, block(t, f.me, view, 100, false))},
	} {
		e := consensus.NewEvidence(c.kind, f.me, view, c.msg, resign(c.msg))
		if err := consensus.VerifyEvidence(f.set, acceptAll{}, &e); !errors.Is(err, consensus.ErrEvidenceNoConflict) {
			t.Errorf("%s: err = %v, want no_conflict", c.name, err)
		}
		// With the real verifier the altered signature fails first.
		if err := consensus.VerifyEvidence(f.set, f.ver, &e); !errors.Is(err, consensus.ErrEvidenceBadSignature) {
			t.Errorf("%s (real keys): err = %v, want bad_signature", c.name, err)
		}
	}
}

// FuzzVerifyEvidence: VerifyEvidence on any decodable Evidence never
// panics, rejects only with a reason of the spec, and what it accepts
// satisfies the canonical-form and signer rules. Seeds are valid evidence
// of each kind.
func FuzzVerifyEvidence(fz *testing.F) {
	f := newEvFixture(fz)
	const view = 9
	for _, e := range []types.Evidence{
		consensus.NewEvidence(types.EvidenceKindDoubleVote, f.me, view,
			vote(fz, f.key, evChainID, f.me, view, 4, types.Hash{1}), vote(fz, f.key, evChainID, f.me, view, 4, types.Hash{2})),
		consensus.NewEvidence(types.EvidenceKindDoubleTimeout, f.me, view,
			timeout(fz, f.key, evChainID, f.me, view, 7), timeout(fz, f.key, evChainID, f.me, view, 8)),
		consensus.NewEvidence(types.EvidenceKindDoubleProposal, f.me, view,
			proposalEnv(fz, f.key, evChainID, f.me, block(fz, f.me, view, 100, false)),
			proposalEnv(fz, f.key, evChainID, f.me, block(fz, f.me, view, 101, false))),
	} {
		fz.Add(mustEnc(fz, &e))
	}
	fz.Fuzz(func(t *testing.T, data []byte) {
		var e types.Evidence
		if e.UnmarshalBorsh(data) != nil {
			return
		}
		for _, ver := range []consensus.Verifier{f.ver, acceptAll{}} {
			err := consensus.VerifyEvidence(f.set, ver, &e)
			if err != nil {
				if !errors.Is(err, consensus.ErrBadEvidence) {
					t.Fatalf("error does not wrap ErrBadEvidence: %v", err)
				}
				if consensus.EvidenceReason(err) == "" {
					t.Fatalf("error carries no reason of the spec: %v", err)
				}
				continue
			}
			if bytes.Compare(e.First, e.Second) >= 0 {
				t.Fatal("accepted evidence not in canonical order")
			}
			if _, ok := f.set.Power(e.Validator); !ok {
				t.Fatal("accepted evidence of a non-validator")
			}
		}
	})
}
