package consensus

import (
	"errors"
	"fmt"
	"sort"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Errors for certificates and signed messages. All are expected for
// messages from the network: the core drops the message and returns the
// error from Step.
var (
	ErrBadSignature   = errors.New("consensus: bad signature")
	ErrNoQuorum       = errors.New("consensus: signers hold no more than 2/3 of power")
	ErrUnsortedSigner = errors.New("consensus: signers not strictly ascending (duplicate?)")
	ErrBadTC          = errors.New("consensus: invalid timeout certificate")
)

// IsGenesisQC reports whether qc is the genesis QC, which certifies block 0:
// all zero, no votes.
func IsGenesisQC(qc *types.QuorumCert) bool {
	return qc.View == 0 && qc.Height == 0 && qc.BlockHash == (types.Hash{}) && len(qc.Votes) == 0
}

func votePayload(view, height uint64, h types.Hash, voter types.Address) ([]byte, error) {
	v := types.Vote{View: view, Height: height, BlockHash: h, Voter: voter}
	return v.SigningPayload()
}

func timeoutPayload(view, highQCView uint64, sender types.Address) ([]byte, error) {
	t := types.Timeout{View: view, HighQCView: highQCView, Sender: sender}
	return t.SigningPayload()
}

// sigKey identifies one verified signature by everything it signs and
// the signature itself: a vote (view, height, block hash) or a timeout
// (view, high QC view). A certificate is valid only if every entry it
// lists is checked (consensus.md "Quorum"): the cache spares the
// signature checks of entries seen before, never the membership, ordering
// and quorum checks of the certificate at hand, so a certificate whose
// signed fields match one verified before but whose entries differ is
// judged on its own entries.
type sigKey struct {
	domain    types.SigningDomain
	view, aux uint64 // aux: a vote's height, a timeout's high QC view
	hash      types.Hash
	signer    types.Address
	sig       types.Signature
}

// maxSeenSigs bounds the cache: beyond it signatures are checked without
// being remembered (a Byzantine validator can sign many messages a view).
const maxSeenSigs = 1 << 16

func voteKey(v *types.Vote) sigKey {
	return sigKey{types.SigningDomainVote, v.View, v.Height, v.BlockHash, v.Voter, v.Signature}
}

func timeoutKey(t *types.Timeout) sigKey {
	return sigKey{domain: types.SigningDomainTimeout, view: t.View, aux: t.HighQCView, signer: t.Sender, sig: t.Signature}
}

// remember records a signature verified elsewhere (a vote or timeout the
// core checked on arrival, or signed itself).
func (c *certVerifier) remember(k sigKey) {
	if len(c.seen) < maxSeenSigs {
		c.seen[k] = struct{}{}
	}
}

// prune forgets verified signatures below view: they can no longer
// matter once a block of that view is final.
func (c *certVerifier) prune(view uint64) {
	for k := range c.seen {
		if k.view < view {
			delete(c.seen, k)
		}
	}
}

// certVerifier checks certificates and remembers the signatures already
// verified.
type certVerifier struct {
	set      *ValidatorSet
	verifier Verifier
	seen     map[sigKey]struct{}
}

func newCertVerifier(set *ValidatorSet, v Verifier) *certVerifier {
	return &certVerifier{set: set, verifier: v, seen: map[sigKey]struct{}{}}
}

// verifyQC checks that qc is the genesis QC or carries valid votes, one per
// known validator in ascending order, of more than 2/3 of the power.
func (c *certVerifier) verifyQC(qc *types.QuorumCert) error {
	if IsGenesisQC(qc) {
		return nil
	}
	return c.verifySigners(types.SigningDomainVote, len(qc.Votes),
		func(i int) (types.Address, types.Signature, error) {
			return qc.Votes[i].Validator, qc.Votes[i].Signature, nil
		},
		func(i int) sigKey {
			return sigKey{types.SigningDomainVote, qc.View, qc.Height, qc.BlockHash, qc.Votes[i].Validator, qc.Votes[i].Signature}
		},
		func(i int) ([]byte, error) {
			return votePayload(qc.View, qc.Height, qc.BlockHash, qc.Votes[i].Validator)
		})
}

// verifyTC checks tc's timeouts like verifyQC, each also naming a high QC
// view below the TC's view.
func (c *certVerifier) verifyTC(tc *types.TimeoutCert) error {
	return c.verifySigners(types.SigningDomainTimeout, len(tc.Timeouts),
		func(i int) (types.Address, types.Signature, error) {
			t := &tc.Timeouts[i]
			if t.HighQCView >= tc.View {
				return t.Validator, t.Signature, fmt.Errorf("%w: high QC view %d not below view %d", ErrBadTC, t.HighQCView, tc.View)
			}
			return t.Validator, t.Signature, nil
		},
		func(i int) sigKey {
			t := &tc.Timeouts[i]
			return sigKey{domain: types.SigningDomainTimeout, view: tc.View, aux: t.HighQCView, signer: t.Validator, sig: t.Signature}
		},
		func(i int) ([]byte, error) {
			return timeoutPayload(tc.View, tc.Timeouts[i].HighQCView, tc.Timeouts[i].Validator)
		})
}

// verifySigners is the one loop behind verifyQC and verifyTC, so that the
// two certificates cannot drift apart in what they accept. A certificate has
// n entries; entry(i) returns the i-th signer, its signature and, if the
// entry is malformed in itself, why; payload(i) returns what the i-th signer
// signed under domain d. Each entry is checked in turn, cheapest first:
// signers strictly ascending (so each counts once), the entry well formed,
// the signer a member of the set, its signature valid. Then the signers'
// power must be a quorum. The first failure is returned.
func (c *certVerifier) verifySigners(d types.SigningDomain, n int,
	entry func(i int) (types.Address, types.Signature, error),
	key func(i int) sigKey,
	payload func(i int) ([]byte, error)) error {
	var (
		power uint64
		prev  types.Address
	)
	for i := range n {
		signer, sig, malformed := entry(i)
		if i > 0 && !addrLess(prev, signer) {
			return ErrUnsortedSigner
		}
		prev = signer
		if malformed != nil {
			return malformed
		}
		p, ok := c.set.Power(signer)
		if !ok {
			return fmt.Errorf("%w: %x", ErrUnknownValidator, signer)
		}
		if k := key(i); !c.isSeen(k) {
			msg, err := payload(i)
			if err != nil {
				return err
			}
			if err := c.verifier.Verify(d, msg, sig, signer); err != nil {
				return fmt.Errorf("%w: %v", ErrBadSignature, err)
			}
			c.remember(k)
		}
		power += p // distinct members: the sum is at most the set's total
	}
	if !c.set.IsQuorum(power) {
		return ErrNoQuorum
	}
	return nil
}

func (c *certVerifier) isSeen(k sigKey) bool {
	_, ok := c.seen[k]
	return ok
}

// maxHighQCView is the highest high QC view in tc.
func maxHighQCView(tc *types.TimeoutCert) uint64 {
	var m uint64
	for _, t := range tc.Timeouts {
		m = max(m, t.HighQCView)
	}
	return m
}

type voteTarget struct {
	height uint64
	hash   types.Hash
}

type voteTally struct {
	power uint64
	sigs  []types.ValidatorSignature
}

// voteCollector gathers votes per view. Each validator counts once per view:
// its first vote in a view is kept, and a later one for another block is
// returned as the conflict it is (equivocation), never counted.
type voteCollector struct {
	set    *ValidatorSet
	voters map[uint64]map[types.Address]types.Vote
	tally  map[uint64]map[voteTarget]*voteTally
	done   map[uint64]bool
}

func newVoteCollector(set *ValidatorSet) *voteCollector {
	return &voteCollector{set: set, voters: map[uint64]map[types.Address]types.Vote{},
		tally: map[uint64]map[voteTarget]*voteTally{}, done: map[uint64]bool{}}
}

// add records a verified vote. It returns a QC when the vote completes a
// quorum, and the voter's earlier vote of the view when v names another
// block.
func (c *voteCollector) add(v *types.Vote, power uint64) (qc *types.QuorumCert, conflict *types.Vote) {
	vs := c.voters[v.View]
	if vs == nil {
		vs = map[types.Address]types.Vote{}
		c.voters[v.View] = vs
		c.tally[v.View] = map[voteTarget]*voteTally{}
	}
	if prev, dup := vs[v.Voter]; dup {
		if prev.Height != v.Height || prev.BlockHash != v.BlockHash {
			return nil, &prev
		}
		return nil, nil
	}
	vs[v.Voter] = *v
	if c.done[v.View] {
		return nil, nil
	}
	k := voteTarget{v.Height, v.BlockHash}
	t := c.tally[v.View][k]
	if t == nil {
		t = &voteTally{}
		c.tally[v.View][k] = t
	}
	t.power += power
	t.sigs = append(t.sigs, types.ValidatorSignature{Validator: v.Voter, Signature: v.Signature})
	if !c.set.IsQuorum(t.power) {
		return nil, nil
	}
	c.done[v.View] = true
	sigs := append([]types.ValidatorSignature(nil), t.sigs...)
	sort.Slice(sigs, func(i, j int) bool { return addrLess(sigs[i].Validator, sigs[j].Validator) })
	return &types.QuorumCert{View: v.View, Height: v.Height, BlockHash: v.BlockHash, Votes: sigs}, nil
}

// views is how many views the collector holds (bounded-state tests).
func (c *voteCollector) views() int { return len(c.voters) }

// prune forgets views below v.
func (c *voteCollector) prune(v uint64) {
	for view := range c.voters {
		if view < v {
			delete(c.voters, view)
			delete(c.tally, view)
			delete(c.done, view)
		}
	}
}

// timeoutCollector gathers timeouts per view, one per validator; a second,
// different timeout of a validator for a view is returned as a conflict.
type timeoutCollector struct {
	set   *ValidatorSet
	sigs  map[uint64]map[types.Address]types.TimeoutSignature
	power map[uint64]uint64
	done  map[uint64]bool
}

func newTimeoutCollector(set *ValidatorSet) *timeoutCollector {
	return &timeoutCollector{set: set, sigs: map[uint64]map[types.Address]types.TimeoutSignature{},
		power: map[uint64]uint64{}, done: map[uint64]bool{}}
}

// add records a verified timeout. It returns a TC when the timeout
// completes a quorum, and the sender's earlier timeout of the view when t
// names another high QC view.
func (c *timeoutCollector) add(t *types.Timeout, power uint64) (tc *types.TimeoutCert, conflict *types.Timeout) {
	m := c.sigs[t.View]
	if m == nil {
		m = map[types.Address]types.TimeoutSignature{}
		c.sigs[t.View] = m
	}
	if prev, dup := m[t.Sender]; dup {
		if prev.HighQCView != t.HighQCView {
			return nil, &types.Timeout{View: t.View, HighQCView: prev.HighQCView, Sender: t.Sender, Signature: prev.Signature}
		}
		return nil, nil
	}
	m[t.Sender] = types.TimeoutSignature{Validator: t.Sender, HighQCView: t.HighQCView, Signature: t.Signature}
	if c.done[t.View] {
		return nil, nil
	}
	c.power[t.View] += power
	if !c.set.IsQuorum(c.power[t.View]) {
		return nil, nil
	}
	c.done[t.View] = true
	tc = &types.TimeoutCert{View: t.View}
	for _, s := range m {
		tc.Timeouts = append(tc.Timeouts, s)
	}
	sort.Slice(tc.Timeouts, func(i, j int) bool { return addrLess(tc.Timeouts[i].Validator, tc.Timeouts[j].Validator) })
	return tc, nil
}

// views is how many views the collector holds (bounded-state tests).
func (c *timeoutCollector) views() int { return len(c.sigs) }

func (c *timeoutCollector) prune(v uint64) {
	for view := range c.sigs {
		if view < v {
			delete(c.sigs, view)
			delete(c.power, view)
			delete(c.done, view)
		}
	}
}

// VerifyQC checks qc against set as a core does: the genesis QC, or valid
// votes of distinct known validators in ascending order holding more than
// 2/3 of the power. Block sync uses it to check blocks it did not see
// proposed.
func VerifyQC(set *ValidatorSet, v Verifier, qc *types.QuorumCert) error {
	return newCertVerifier(set, v).verifyQC(qc)
}
