package chainvectors

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/chainfile"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/p2p"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// YAML forms of a fixture (spec/cases/chain/*.yaml; the comment at the
// top of each file and conformance/vectors-chain/README.md describe them).
// An account is a key name of keys.yaml or "0x" + 40 hex digits.

type fixtureSpec struct {
	Doc     string      `yaml:"doc"`
	Genesis genesisSpec `yaml:"genesis"`
	Blocks  []blockSpec `yaml:"blocks"`
	File    fileSpec    `yaml:"file"`
	Expect  expectSpec  `yaml:"expect"`
}

type genesisSpec struct {
	ChainID     uint64          `yaml:"chain_id"`
	Timestamp   uint64          `yaml:"timestamp"`
	Allocations []allocSpec     `yaml:"allocations"`
	Validators  []validatorSpec `yaml:"validators"`
}

type allocSpec struct {
	Account      string `yaml:"account"`
	OramaBalance uint64 `yaml:"orama_balance"`
	BTCBalance   uint64 `yaml:"btc_balance"`
	Username     string `yaml:"username"`
}

// validatorSpec is a genesis validator; its peer id is the one libp2p
// derives from its key (runtime/p2p.PeerIDFromKey), as `orama devnet` writes.
type validatorSpec struct {
	Key       string `yaml:"key"`
	Stake     uint64 `yaml:"stake"`
	TrustedOS bool   `yaml:"trusted_os"`
}

// blockSpec is one block. View 0 means the view after the parent's;
// Proposer, when given, must be the leader of the view; TimeoutSigners
// sign the timeout certificate a block carries when its view does not
// follow its QC's (default: every validator).
type blockSpec struct {
	Doc            string     `yaml:"doc"`
	View           uint64     `yaml:"view"`
	Proposer       string     `yaml:"proposer"`
	TimeoutSigners []string   `yaml:"timeout_signers"`
	Transactions   []txSpec   `yaml:"transactions"`
	Defect         defectSpec `yaml:"defect"`
}

// txSpec is one transaction, or Repeat copies with consecutive nonces.
// Namespace builds the payload of a NamespaceCreate (with Tier, default
// Tier0, and Nodes) or a NamespaceDelete.
// Type defaults to Transfer, Asset to Orama, Nonce to the sender's next,
// GasLimit to the intrinsic gas, GasTipCap to 1 and GasFeeCap to
// MaxBaseFee. SignedBy signs with another key than From's (an invalid
// signature). Expect is the status the transaction must get; Refused,
// instead, says it is not includable for that reason (the block is then
// invalid; only the last transaction of a block may say it).
type txSpec struct {
	Type      string  `yaml:"type"`
	From      string  `yaml:"from"`
	To        string  `yaml:"to"`
	Amount    uint64  `yaml:"amount"`
	Asset     string  `yaml:"asset"`
	Nonce     *uint64 `yaml:"nonce"`
	GasLimit  *uint64 `yaml:"gas_limit"`
	GasTipCap *uint64 `yaml:"gas_tip_cap"`
	GasFeeCap *uint64 `yaml:"gas_fee_cap"`
	Data      *string `yaml:"data"`
	Username  *string `yaml:"username"`
	Namespace *string `yaml:"namespace"`
	Tier      string  `yaml:"tier"`
	Nodes     uint8   `yaml:"nodes"`
	Repeat    int     `yaml:"repeat"`
	SignedBy  string  `yaml:"signed_by"`
	Expect    string  `yaml:"expect"`
	Refused   string  `yaml:"refused"`
}

// defectSpec breaks one thing of a block on purpose. Header fields are
// replaced after execution and before the block is hashed and certified,
// so every certificate over it is valid. QCSigners sign the QC that
// certifies the block (default: every validator); QCBadSignature names a
// validator whose vote in it signs another block hash. Proof "none" gives
// the record ending at this block no commit proof (it runs on into the
// next), "force" one although the next views are not consecutive. Record
// "omit" leaves the record holding this block out of the file.
type defectSpec struct {
	StateRoot        *string  `yaml:"state_root"`
	TransactionsRoot *string  `yaml:"transactions_root"`
	ReceiptsRoot     *string  `yaml:"receipts_root"`
	GasUsed          *uint64  `yaml:"gas_used"`
	BaseFee          *uint64  `yaml:"base_fee"`
	QCSigners        []string `yaml:"qc_signers"`
	QCBadSignature   string   `yaml:"qc_bad_signature"`
	Proof            string   `yaml:"proof"`
	Record           string   `yaml:"record"`
}

// fileSpec breaks the file: Truncate cuts that many bytes off its end.
type fileSpec struct {
	Truncate int `yaml:"truncate"`
}

// expectSpec is what importing the file must give.
type expectSpec struct {
	ImportedHeight *uint64      `yaml:"imported_height"`
	Refused        *refusedSpec `yaml:"refused"`
}

type refusedSpec struct {
	Height uint64 `yaml:"height"`
	Reason string `yaml:"reason"`
}

// tailBlocks is how many blocks follow the listed ones, in the next views,
// only so that the last listed block has a commit proof; they are never in
// the file as blocks.
const tailBlocks = 2

// built is one block as built.
type built struct {
	spec    *blockSpec // nil for a tail block
	block   types.Block
	hash    types.Hash
	qc      types.QuorumCert // the QC that certifies this block
	root    types.Hash       // the state root its execution gives (the parent's when refused)
	receipt []types.Receipt  // nil when not executable
	written []types.Account
	names   []string // usernames its transactions claim
	refused *txRefusal
}

// txRefusal is a transaction that makes its block invalid.
type txRefusal struct {
	Index  int    `json:"index"`
	Status string `json:"status"`
}

// builder holds one fixture's context.
type builder struct {
	keys   map[string]*crypto.PrivateKey
	order  []string        // key names in keys.yaml order
	used   map[string]bool // key names the fixture uses
	g      *types.Genesis
	gh     types.Hash
	set    *consensus.ValidatorSet
	vkeys  []*crypto.PrivateKey // validators, sorted by address
	elect  *consensus.ReputationElector
	store  *smt.MemStore
	b0     *types.Block
	b0hash types.Hash
	// named lists every address the fixture names, for the final state.
	named map[types.Address]bool
	// usernames lists every username the fixture names.
	usernames map[string]bool
}

func (b *builder) key(name string) (*crypto.PrivateKey, error) {
	k, ok := b.keys[name]
	if !ok {
		return nil, fmt.Errorf("no key %q in keys.yaml", name)
	}
	b.used[name] = true
	return k, nil
}

// addr resolves an account: a key name or "0x" + 40 hex digits.
func (b *builder) addr(s string) (types.Address, error) {
	var a types.Address
	if strings.HasPrefix(s, "0x") {
		raw, err := parseHex(s, 20)
		if err != nil {
			return a, err
		}
		copy(a[:], raw)
	} else {
		k, err := b.key(s)
		if err != nil {
			return a, err
		}
		a = k.Address()
	}
	b.named[a] = true
	return a, nil
}

func (b *builder) genesis(gs *genesisSpec) error {
	g := &types.Genesis{ChainID: gs.ChainID, Timestamp: gs.Timestamp,
		Allocations: []types.GenesisAllocation{}, Validators: []types.Validator{}}
	for _, a := range gs.Allocations {
		addr, err := b.addr(a.Account)
		if err != nil {
			return fmt.Errorf("genesis: %w", err)
		}
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: addr,
			OramaBalance: a.OramaBalance, BTCBalance: a.BTCBalance, Username: a.Username})
		if a.Username != "" {
			b.usernames[a.Username] = true
		}
	}
	for _, v := range gs.Validators {
		k, err := b.key(v.Key)
		if err != nil {
			return fmt.Errorf("genesis: %w", err)
		}
		id, err := p2p.PeerIDFromKey(k)
		if err != nil {
			return err
		}
		b.named[k.Address()] = true
		g.Validators = append(g.Validators, types.Validator{Address: k.Address(), Stake: v.Stake, TrustedOS: v.TrustedOS, PeerID: id.String()})
		b.vkeys = append(b.vkeys, k)
	}
	sort.Slice(g.Allocations, func(i, j int) bool {
		return bytes.Compare(g.Allocations[i].Address[:], g.Allocations[j].Address[:]) < 0
	})
	sort.Slice(g.Validators, func(i, j int) bool {
		return bytes.Compare(g.Validators[i].Address[:], g.Validators[j].Address[:]) < 0
	})
	sort.Slice(b.vkeys, func(i, j int) bool {
		ai, aj := b.vkeys[i].Address(), b.vkeys[j].Address()
		return bytes.Compare(ai[:], aj[:]) < 0
	})
	if err := exec.ValidateGenesis(g); err != nil {
		return err
	}
	gh, err := g.Hash()
	if err != nil {
		return err
	}
	set, err := consensus.NewValidatorSetFromValidators(g.Validators)
	if err != nil {
		return err
	}
	b.g, b.gh, b.set = g, gh, set
	b.elect = consensus.NewReputationElector(set, gh)
	b.store = smt.NewMemStore()
	if b.b0, err = exec.GenesisBlock(b.store, g); err != nil {
		return err
	}
	b.b0.Header.QC.Votes = []types.ValidatorSignature{} // [] in JSON, as every list
	b.b0hash, err = b.b0.Header.Hash()
	b.named[exec.CurveAddress()] = true
	return err
}

// signers returns the validator keys named (default: all), sorted by
// address as certificates list them.
func (b *builder) signers(names []string) ([]*crypto.PrivateKey, error) {
	if len(names) == 0 {
		return b.vkeys, nil
	}
	want := map[types.Address]bool{}
	for _, n := range names {
		k, err := b.key(n)
		if err != nil {
			return nil, err
		}
		if _, ok := b.set.Power(k.Address()); !ok {
			return nil, fmt.Errorf("%s is not a validator", n)
		}
		want[k.Address()] = true
	}
	var out []*crypto.PrivateKey
	for _, k := range b.vkeys {
		if want[k.Address()] {
			out = append(out, k)
		}
	}
	return out, nil
}

// certify returns the QC of hdr (whose hash is h) signed by signers; the
// vote of badSig, if named, signs another block hash.
func (b *builder) certify(hdr *types.BlockHeader, h types.Hash, signers []*crypto.PrivateKey, badSig string) (types.QuorumCert, error) {
	qc := types.QuorumCert{View: hdr.View, Height: hdr.Height, BlockHash: h, Votes: []types.ValidatorSignature{}}
	var bad types.Address
	if badSig != "" {
		k, err := b.key(badSig)
		if err != nil {
			return qc, err
		}
		bad = k.Address()
		found := false
		for _, s := range signers {
			found = found || s.Address() == bad
		}
		if !found {
			return qc, fmt.Errorf("qc_bad_signature %s does not sign the QC", badSig)
		}
	}
	for _, k := range signers {
		v := types.Vote{View: hdr.View, Height: hdr.Height, BlockHash: h, Voter: k.Address()}
		if k.Address() == bad {
			v.BlockHash[31] ^= 1
		}
		p, err := v.SigningPayload()
		if err != nil {
			return qc, err
		}
		sig, err := crypto.SignDomain(k, crypto.DomainVote, b.g.ChainID, p)
		if err != nil {
			return qc, err
		}
		qc.Votes = append(qc.Votes, types.ValidatorSignature{Validator: k.Address(), Signature: sig})
	}
	return qc, nil
}

// timeoutCert returns the TC of view, each signer's high QC at highQC.
func (b *builder) timeoutCert(view, highQC uint64, signers []*crypto.PrivateKey) (*types.TimeoutCert, error) {
	tc := &types.TimeoutCert{View: view, Timeouts: []types.TimeoutSignature{}}
	for _, k := range signers {
		t := types.Timeout{View: view, HighQCView: highQC, Sender: k.Address()}
		p, err := t.SigningPayload()
		if err != nil {
			return nil, err
		}
		sig, err := crypto.SignDomain(k, crypto.DomainTimeout, b.g.ChainID, p)
		if err != nil {
			return nil, err
		}
		tc.Timeouts = append(tc.Timeouts, types.TimeoutSignature{Validator: k.Address(), HighQCView: highQC, Signature: sig})
	}
	return tc, nil
}

// refusedPrefix marks an expectation that the block is refused.
const refusedPrefix = "refused:"

// txs builds and signs a block's transactions on the state st (for the
// senders' nonces) and returns the status each must get.
func (b *builder) txs(specs []txSpec, st *state.State) ([]types.Transaction, []string, []string, error) {
	var txs []types.Transaction
	var expect, names []string
	next := map[types.Address]uint64{} // the next nonce of each sender in this block
	for i, s := range specs {
		want := s.Expect
		switch {
		case s.Expect != "" && s.Refused != "":
			return nil, nil, nil, fmt.Errorf("tx %d: both expect and refused", i)
		case s.Refused != "":
			if i != len(specs)-1 || s.Repeat > 1 {
				return nil, nil, nil, fmt.Errorf("tx %d: only the last transaction of a block, once, may be refused", i)
			}
			want = refusedPrefix + s.Refused
		case s.Expect == "":
			return nil, nil, nil, fmt.Errorf("tx %d: no expect or refused", i)
		}
		if _, err := types.ParseTxStatus(s.Expect + s.Refused); err != nil {
			return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
		}
		var tx types.Transaction
		var err error
		if s.Type != "" {
			if tx.Type, err = types.ParseTxType(s.Type); err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
			}
		}
		if s.Asset != "" {
			if tx.Asset, err = types.ParseAsset(s.Asset); err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
			}
		}
		if s.From == "" || strings.HasPrefix(s.From, "0x") {
			return nil, nil, nil, fmt.Errorf("tx %d: from must name a key", i)
		}
		signer, err := b.key(s.From)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
		}
		if tx.From, err = b.addr(s.From); err != nil {
			return nil, nil, nil, err
		}
		if s.SignedBy != "" {
			if signer, err = b.key(s.SignedBy); err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
			}
		}
		if s.To != "" {
			if tx.To, err = b.addr(s.To); err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
			}
		}
		tx.Amount = s.Amount
		if (s.Tier != "" || s.Nodes != 0) && tx.Type != types.TxTypeNamespaceCreate {
			return nil, nil, nil, fmt.Errorf("tx %d: tier and nodes are a NamespaceCreate's", i)
		}
		given := 0
		for _, set := range []bool{s.Data != nil, s.Username != nil, s.Namespace != nil} {
			if set {
				given++
			}
		}
		switch {
		case given > 1:
			return nil, nil, nil, fmt.Errorf("tx %d: give one of data, username and namespace", i)
		case s.Namespace != nil:
			if tx.Data, err = namespacePayload(tx.Type, *s.Namespace, s.Tier, s.Nodes); err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
			}
		case s.Data != nil:
			if tx.Data, err = parseHex(*s.Data, -1); err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: data: %w", i, err)
			}
		case s.Username != nil:
			p := types.ClaimUsernamePayload{Username: *s.Username}
			if tx.Data, err = p.MarshalBorsh(); err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
			}
			names = append(names, *s.Username)
			b.usernames[*s.Username] = true
		}
		if tx.Data == nil {
			tx.Data = types.Bytes{}
		}
		tx.GasLimit = txrules.IntrinsicGas(&tx)
		if s.GasLimit != nil {
			tx.GasLimit = *s.GasLimit
		}
		tx.GasTipCap, tx.GasFeeCap = 1, params.MaxBaseFee
		if s.GasTipCap != nil {
			tx.GasTipCap = *s.GasTipCap
		}
		if s.GasFeeCap != nil {
			tx.GasFeeCap = *s.GasFeeCap
		}
		nonce, ok := next[tx.From]
		if !ok {
			acc, err := st.Account(tx.From)
			if err != nil {
				return nil, nil, nil, err
			}
			nonce = acc.Nonce
		}
		if s.Nonce != nil {
			nonce = *s.Nonce
		}
		for range max(s.Repeat, 1) {
			t := tx
			t.Nonce = nonce
			nonce++
			p, err := t.SigningPayload()
			if err != nil {
				return nil, nil, nil, fmt.Errorf("tx %d: %w", i, err)
			}
			if t.Signature, err = crypto.SignDomain(signer, crypto.DomainTransaction, b.g.ChainID, p); err != nil {
				return nil, nil, nil, err
			}
			txs = append(txs, t)
			expect = append(expect, want)
		}
		next[tx.From] = nonce
	}
	return txs, expect, names, nil
}

// namespacePayload is the Borsh payload of a NamespaceCreate or Delete.
func namespacePayload(t types.TxType, name, tier string, nodes uint8) ([]byte, error) {
	switch t {
	case types.TxTypeNamespaceDelete:
		p := types.NamespaceDeletePayload{Name: name}
		return p.MarshalBorsh()
	case types.TxTypeNamespaceCreate:
		p := types.NamespaceCreatePayload{Name: name, Nodes: nodes}
		if tier != "" {
			var err error
			if p.Tier, err = types.ParseNamespaceTier(tier); err != nil {
				return nil, err
			}
		}
		return p.MarshalBorsh()
	}
	return nil, fmt.Errorf("namespace given for a %v", t)
}

// block builds the block of spec on parent (the last block built).
func (b *builder) block(spec *blockSpec, parent *built) (*built, error) {
	ph := &parent.block.Header
	view := ph.View + 1
	if spec.View != 0 {
		if spec.View <= ph.View {
			return nil, fmt.Errorf("view %d not above the parent's %d", spec.View, ph.View)
		}
		view = spec.View
	}
	leader := b.elect.Leader(view)
	if spec.Proposer != "" {
		p, err := b.addr(spec.Proposer)
		if err != nil {
			return nil, err
		}
		if p != leader {
			return nil, fmt.Errorf("view %d: the leader is %s, not %s", view, crypto.ChecksumHex(leader), spec.Proposer)
		}
	}
	b.named[leader] = true
	hdr := exec.NextHeader(ph, parent.hash, leader, b.g.Timestamp+view)
	hdr.View = view
	hdr.QC = parent.qc
	if view != hdr.QC.View+1 {
		signers, err := b.signers(spec.TimeoutSigners)
		if err != nil {
			return nil, err
		}
		if hdr.TimeoutCert, err = b.timeoutCert(view-1, hdr.QC.View, signers); err != nil {
			return nil, err
		}
	} else if len(spec.TimeoutSigners) > 0 {
		return nil, fmt.Errorf("view %d follows its QC's: no timeout certificate to sign", view)
	}

	out := &built{spec: spec, root: parent.root}
	st, err := state.Open(b.store, parent.root)
	if err != nil {
		return nil, err
	}
	txs, expect, names, err := b.txs(spec.Transactions, st)
	if err != nil {
		return nil, err
	}
	out.names = names
	if txs == nil {
		txs = []types.Transaction{}
	}
	hashes := make([]types.Hash, len(txs))
	for i := range txs {
		if hashes[i], err = txs[i].Hash(); err != nil {
			return nil, err
		}
	}
	// The namespace pool: the genesis validators (staking is inactive).
	env := exec.Env{Height: hdr.Height, Proposer: leader, BaseFee: hdr.BaseFee, Validators: exec.ValidatorAddresses(b.g.Validators)}
	last := len(txs) - 1
	refusedTx := last >= 0 && strings.HasPrefix(expect[last], refusedPrefix)
	var res *exec.Result
	switch {
	case refusedTx && expect[last] != refusedPrefix+types.TxStatusInvalidSignature.String():
		// One at a time, so the transactions before it are checked too.
		reason := strings.TrimPrefix(expect[last], refusedPrefix)
		blk := exec.Begin(st, env, len(txs))
		for i := range txs[:last] {
			rc, err := blk.Apply(&txs[i])
			if err != nil {
				return nil, fmt.Errorf("tx %d: the executor says %v, the case expects %s", i, err, expect[i])
			}
			if rc.Status.String() != expect[i] {
				return nil, fmt.Errorf("tx %d: the executor says %s, the case expects %s", i, rc.Status, expect[i])
			}
		}
		_, err := blk.Apply(&txs[last])
		blk.Abort()
		var ni *exec.NotIncludableError
		if !errors.As(err, &ni) || ni.Status.String() != reason {
			return nil, fmt.Errorf("tx %d: the executor says %v, the case expects it refused for %s", last, err, reason)
		}
		out.refused = &txRefusal{Index: last, Status: reason}
		// No execution result: the header commits to its body and
		// otherwise to nothing having happened.
		hdr.StateRoot, hdr.TransactionsRoot, hdr.ReceiptsRoot, hdr.GasUsed = parent.root, exec.MerkleRoot(hashes), exec.MerkleRoot(nil), 0
	case refusedTx:
		// Execution takes signatures as checked; the node checks them
		// first. The block is what its proposer's execution gives.
		tx := &txs[last]
		p, _ := tx.SigningPayload()
		if crypto.VerifyDomain(crypto.DomainTransaction, b.g.ChainID, p, tx.Signature, tx.From) == nil {
			return nil, fmt.Errorf("tx %d: its signature is valid; the case expects InvalidSignature", last)
		}
		expect[last] = types.TxStatusSuccess.String() // its receipt, were it valid; never written
		out.refused = &txRefusal{Index: last, Status: types.TxStatusInvalidSignature.String()}
		fallthrough
	default:
		if res, err = exec.Execute(st, env, txs); err != nil {
			return nil, err
		}
	}
	if res != nil {
		for i := range res.Receipts {
			if got := res.Receipts[i].Status.String(); got != expect[i] {
				return nil, fmt.Errorf("tx %d: the executor says %s, the case expects %s", i, got, expect[i])
			}
			if res.Receipts[i].Events == nil {
				res.Receipts[i].Events = []types.Event{}
			}
		}
		res.Fill(&hdr)
		out.root, out.receipt, out.written = res.StateRoot, res.Receipts, st.Written()
	}

	d := &spec.Defect
	for _, r := range []struct {
		v   *string
		dst *types.Hash
	}{{d.StateRoot, &hdr.StateRoot}, {d.TransactionsRoot, &hdr.TransactionsRoot}, {d.ReceiptsRoot, &hdr.ReceiptsRoot}} {
		if r.v != nil {
			h, err := parseHex(*r.v, 32)
			if err != nil {
				return nil, err
			}
			copy(r.dst[:], h)
		}
	}
	if d.GasUsed != nil {
		hdr.GasUsed = *d.GasUsed
	}
	if d.BaseFee != nil {
		hdr.BaseFee = *d.BaseFee
	}
	out.block = types.Block{Header: hdr, Transactions: txs}
	if out.hash, err = hdr.Hash(); err != nil {
		return nil, err
	}
	b.elect.Committed(&hdr)
	signers, err := b.signers(d.QCSigners)
	if err != nil {
		return nil, err
	}
	if out.qc, err = b.certify(&hdr, out.hash, signers, d.QCBadSignature); err != nil {
		return nil, err
	}
	return out, nil
}

// record is one record of the chain file: blocks (indices into the built
// chain) and the commit proof of the last one.
type record struct {
	blocks []int
	proof  *types.CommitProof
}

// records lays the listed blocks (chain[1:n+1]; chain[0] is block 0) out
// as a range-sync server sends them: a record ends at each block with a
// commit proof (its next two blocks in the next two views), or after
// MaxSyncBlocks blocks without one; blocks after the last proof end the
// file without one.
func records(chain []*built, n int) ([]record, error) {
	var out []record
	var cur []int
	for i := 1; i <= n; i++ {
		d := &chain[i].spec.Defect
		cur = append(cur, i)
		proven := consensus.ConsecutiveViews(&chain[i].block.Header, &chain[i+1].block.Header, &chain[i+2].block.Header)
		switch d.Proof {
		case "":
		case "none":
			proven = false
		case "force":
			if proven {
				return nil, fmt.Errorf("block %d: proof force on a block that has one", i)
			}
			proven = true
		default:
			return nil, fmt.Errorf("block %d: proof %q: want none or force", i, d.Proof)
		}
		if proven {
			out = append(out, record{blocks: cur, proof: &types.CommitProof{
				Child: chain[i+1].block.Header, Grandchild: chain[i+2].block.Header, QC: chain[i+2].qc}})
			cur = nil
		} else if len(cur) == params.MaxSyncBlocks {
			out = append(out, record{blocks: cur})
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, record{blocks: cur})
	}
	// Records left out on purpose.
	kept := out[:0]
	for _, r := range out {
		omit := false
		for _, i := range r.blocks {
			switch chain[i].spec.Defect.Record {
			case "":
			case "omit":
				omit = true
			default:
				return nil, fmt.Errorf("block %d: record %q: want omit", i, chain[i].spec.Defect.Record)
			}
		}
		if !omit {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

// chainFile encodes the records, the server's head being the last
// block sent.
func chainFile(chain []*built, recs []record, truncate int) ([]byte, error) {
	var out []byte
	var head uint64
	for _, r := range recs {
		head = max(head, chain[r.blocks[len(r.blocks)-1]].block.Header.Height)
	}
	for _, r := range recs {
		resp := types.SyncResponse{Blocks: []types.Block{}, Proof: r.proof, HeadHeight: head}
		for _, i := range r.blocks {
			resp.Blocks = append(resp.Blocks, chain[i].block)
		}
		var err error
		if out, err = chainfile.AppendRecord(out, &resp); err != nil {
			return nil, err
		}
	}
	if truncate < 0 || truncate >= len(out) {
		return nil, fmt.Errorf("file: truncate %d of a %d-byte file", truncate, len(out))
	}
	return out[:len(out)-truncate], nil
}
