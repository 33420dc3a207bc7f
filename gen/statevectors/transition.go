package statevectors

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// YAML forms of a state-transition case. Addresses are "0x" + 40 hex digits
// or a name ([a-z0-9_-]+), which stands for the first 20 bytes of
// SHA-256("orama/state-vectors/address/" + name).

type genesisSpec struct {
	ChainID     uint64          `yaml:"chain_id"`
	Timestamp   uint64          `yaml:"timestamp"`
	Allocations []allocSpec     `yaml:"allocations"`
	Validators  []validatorSpec `yaml:"validators"`
}

type allocSpec struct {
	Address      string `yaml:"address"`
	OramaBalance uint64 `yaml:"orama_balance"`
	BTCBalance   uint64 `yaml:"btc_balance"`
	Username     string `yaml:"username"`
}

type validatorSpec struct {
	Address   string `yaml:"address"`
	Stake     uint64 `yaml:"stake"`
	TrustedOS bool   `yaml:"trusted_os"`
	PeerID    string `yaml:"peer_id"`
}

type envSpec struct {
	Height   uint64 `yaml:"height"`
	Proposer string `yaml:"proposer"`
	BaseFee  uint64 `yaml:"base_fee"`
}

// txSpec is one transaction, or Repeat copies of it with nonces Nonce,
// Nonce+1, ... Type defaults to Transfer and Asset to Orama. Data is hex;
// Username, for a ClaimUsername, builds the Borsh payload instead, and
// Namespace, for a NamespaceCreate (with Tier, default Tier0, and Nodes) or
// a NamespaceDelete, builds its payload. A repeated NamespaceCreate whose
// Namespace holds a verb ("ns%02d") names each copy by its index (fmt.Sprintf). Expect is
// the status the transaction must get: the generator fails otherwise.
type txSpec struct {
	Type      string  `yaml:"type"`
	From      string  `yaml:"from"`
	To        string  `yaml:"to"`
	Amount    uint64  `yaml:"amount"`
	Asset     string  `yaml:"asset"`
	Nonce     uint64  `yaml:"nonce"`
	GasLimit  uint64  `yaml:"gas_limit"`
	GasTipCap uint64  `yaml:"gas_tip_cap"`
	GasFeeCap uint64  `yaml:"gas_fee_cap"`
	Data      *string `yaml:"data"`
	Username  *string `yaml:"username"`
	Namespace *string `yaml:"namespace"`
	Tier      string  `yaml:"tier"`
	Nodes     uint8   `yaml:"nodes"`
	Repeat    int     `yaml:"repeat"`
	Expect    string  `yaml:"expect"`
	// Refused, instead of Expect, says the transaction is not includable
	// for this reason (a TxStatus name): the case's block is invalid. Only
	// the last transaction of a case may say it.
	Refused string `yaml:"refused"`
}

type stCase struct {
	Name         string       `yaml:"name"`
	Doc          string       `yaml:"doc"`
	Genesis      *genesisSpec `yaml:"genesis"`
	Env          envSpec      `yaml:"env"`
	Transactions []txSpec     `yaml:"transactions"`
}

// JSON forms.

type namedAddr struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type envOut struct {
	Height   string `json:"height"`
	Proposer string `json:"proposer"`
	BaseFee  string `json:"base_fee"`
}

type encodedOut struct {
	Value json.RawMessage `json:"value"`
	Borsh string          `json:"borsh"`
	Hash  string          `json:"hash"`
}

type accountOut struct {
	Address string          `json:"address"`
	Exists  bool            `json:"exists"`
	Value   json.RawMessage `json:"value"`
	Borsh   *string         `json:"borsh"`
	Proof   string          `json:"proof"`
}

type supplyOut struct {
	Value json.RawMessage `json:"value"`
	Borsh string          `json:"borsh"`
	Proof string          `json:"proof"`
}

type usernameOut struct {
	Username string  `json:"username"`
	Address  *string `json:"address"`
	Borsh    *string `json:"borsh"`
	Proof    string  `json:"proof"`
}

// namespaceOut is a namespace record leaf (key SHA-256("orama/ns/" +
// name)): its value and Borsh, or null and a non-existence proof.
type namespaceOut struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
	Borsh *string         `json:"borsh"`
	Proof string          `json:"proof"`
}

// nodeOut is a node's NodeNamespaces leaf (key SHA-256("orama/nsnode/" ||
// address)); value is the slots read ([] when it has no leaf).
type nodeOut struct {
	Address string          `json:"address"`
	Value   json.RawMessage `json:"value"`
	Borsh   *string         `json:"borsh"`
	Proof   string          `json:"proof"`
}

type postOut struct {
	StateRoot        string         `json:"state_root"`
	TransactionsRoot string         `json:"transactions_root"`
	ReceiptsRoot     string         `json:"receipts_root"`
	GasUsed          string         `json:"gas_used"`
	Receipts         []encodedOut   `json:"receipts"`
	Accounts         []accountOut   `json:"accounts"`
	Supply           supplyOut      `json:"supply"`
	Usernames        []usernameOut  `json:"usernames"`
	Namespaces       []namespaceOut `json:"namespaces"`
	NamespaceNodes   []nodeOut      `json:"namespace_nodes"`
}

// refusedOut says which transaction makes the block invalid, and why.
type refusedOut struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

type stCaseOut struct {
	Name         string       `json:"name"`
	Doc          string       `json:"doc"`
	Addresses    []namedAddr  `json:"addresses"`
	Genesis      any          `json:"genesis"`
	GenesisBorsh string       `json:"genesis_borsh"`
	GenesisHash  string       `json:"genesis_hash"`
	GenesisBlock encodedOut   `json:"genesis_block"`
	PreStateRoot string       `json:"pre_state_root"`
	Env          envOut       `json:"env"`
	Transactions []encodedOut `json:"transactions"`
	// Refused is set when the block is invalid; Post is then null (the
	// state stays at pre_state_root).
	Refused *refusedOut `json:"refused"`
	Post    *postOut    `json:"post"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// NamedAddress is the address a case name stands for.
func NamedAddress(name string) types.Address {
	h := sha256.Sum256([]byte("orama/state-vectors/address/" + name))
	var a types.Address
	copy(a[:], h[:])
	return a
}

// resolver turns YAML addresses into addresses and remembers the names used.
type resolver map[string]types.Address

func (r resolver) addr(s string) (types.Address, error) {
	var a types.Address
	switch {
	case s == "":
		return a, nil
	case len(s) == 42 && s[:2] == "0x":
		b, err := hex.DecodeString(s[2:])
		if err != nil {
			return a, fmt.Errorf("address %q: %w", s, err)
		}
		copy(a[:], b)
		return a, nil
	case nameRE.MatchString(s):
		a = NamedAddress(s)
		r[s] = a
		return a, nil
	}
	return a, fmt.Errorf("address %q: want 0x + 40 hex digits or a name", s)
}

func (r resolver) list() []namedAddr {
	out := []namedAddr{}
	for n, a := range r {
		out = append(out, namedAddr{Name: n, Address: outdir.Hex(a[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r resolver) genesis(gs *genesisSpec) (*types.Genesis, error) {
	g := &types.Genesis{ChainID: gs.ChainID, Timestamp: gs.Timestamp, Allocations: []types.GenesisAllocation{}, Validators: []types.Validator{}}
	for _, a := range gs.Allocations {
		addr, err := r.addr(a.Address)
		if err != nil {
			return nil, err
		}
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: addr, OramaBalance: a.OramaBalance, BTCBalance: a.BTCBalance, Username: a.Username})
	}
	for _, v := range gs.Validators {
		addr, err := r.addr(v.Address)
		if err != nil {
			return nil, err
		}
		g.Validators = append(g.Validators, types.Validator{Address: addr, Stake: v.Stake, TrustedOS: v.TrustedOS, PeerID: v.PeerID})
	}
	// Names hash to arbitrary addresses: sort as the Genesis rules require.
	sort.Slice(g.Allocations, func(i, j int) bool {
		return bytes.Compare(g.Allocations[i].Address[:], g.Allocations[j].Address[:]) < 0
	})
	sort.Slice(g.Validators, func(i, j int) bool {
		return bytes.Compare(g.Validators[i].Address[:], g.Validators[j].Address[:]) < 0
	})
	if err := exec.ValidateGenesis(g); err != nil {
		return nil, err
	}
	return g, nil
}

// txs expands the YAML transactions and the status each must get. names
// are the usernames claimed, nsNames the namespaces named.
func (r resolver) txs(specs []txSpec) (txs []types.Transaction, expect, names, nsNames []string, err error) {
	fail := func(e error) ([]types.Transaction, []string, []string, []string, error) { return nil, nil, nil, nil, e }
	for i, s := range specs {
		want := s.Expect
		switch {
		case s.Expect != "" && s.Refused != "":
			return fail(fmt.Errorf("tx %d: both expect and refused", i))
		case s.Refused != "":
			if i != len(specs)-1 || s.Repeat > 1 {
				return fail(fmt.Errorf("tx %d: only the last transaction of a case, once, may be refused", i))
			}
			want = refusedPrefix + s.Refused
		case s.Expect == "":
			return fail(fmt.Errorf("tx %d: no expect or refused", i))
		}
		if _, err := types.ParseTxStatus(s.Expect + s.Refused); err != nil {
			return fail(fmt.Errorf("tx %d: %w", i, err))
		}
		tx := types.Transaction{Amount: s.Amount, Nonce: s.Nonce, GasLimit: s.GasLimit, GasTipCap: s.GasTipCap, GasFeeCap: s.GasFeeCap}
		if s.Type != "" {
			if tx.Type, err = types.ParseTxType(s.Type); err != nil {
				return fail(fmt.Errorf("tx %d: %w", i, err))
			}
		}
		if s.Asset != "" {
			if tx.Asset, err = types.ParseAsset(s.Asset); err != nil {
				return fail(fmt.Errorf("tx %d: %w", i, err))
			}
		}
		if tx.From, err = r.addr(s.From); err != nil {
			return fail(err)
		}
		if tx.To, err = r.addr(s.To); err != nil {
			return fail(err)
		}
		given := 0
		for _, set := range []bool{s.Data != nil, s.Username != nil, s.Namespace != nil} {
			if set {
				given++
			}
		}
		if (s.Tier != "" || s.Nodes != 0) && tx.Type != types.TxTypeNamespaceCreate {
			return fail(fmt.Errorf("tx %d: tier and nodes are a NamespaceCreate's", i))
		}
		switch {
		case given > 1:
			return fail(fmt.Errorf("tx %d: give one of data, username and namespace", i))
		case s.Data != nil:
			b, err := parseBytes(*s.Data)
			if err != nil || !strings.HasPrefix(*s.Data, "0x") {
				return fail(fmt.Errorf("tx %d: data must be 0x hex", i))
			}
			tx.Data = b
		case s.Username != nil:
			p := types.ClaimUsernamePayload{Username: *s.Username}
			if tx.Data, err = p.MarshalBorsh(); err != nil {
				return fail(fmt.Errorf("tx %d: %w", i, err))
			}
			names = append(names, *s.Username)
		case s.Namespace != nil && tx.Type != types.TxTypeNamespaceCreate && tx.Type != types.TxTypeNamespaceDelete:
			return fail(fmt.Errorf("tx %d: namespace given for a %v", i, tx.Type))
		}
		n := max(s.Repeat, 1)
		for j := range n {
			t := tx
			t.Nonce = tx.Nonce + uint64(j)
			if s.Namespace != nil {
				name := *s.Namespace
				if strings.Contains(name, "%") {
					name = fmt.Sprintf(name, j)
				}
				if t.Data, err = namespacePayload(t.Type, name, s.Tier, s.Nodes); err != nil {
					return fail(fmt.Errorf("tx %d: %w", i, err))
				}
				nsNames = append(nsNames, name)
			}
			txs = append(txs, t)
			expect = append(expect, want)
		}
	}
	return txs, expect, names, nsNames, nil
}

// namespacePayload is the Borsh payload of a NamespaceCreate or Delete.
func namespacePayload(t types.TxType, name, tier string, nodes uint8) ([]byte, error) {
	if t == types.TxTypeNamespaceDelete {
		p := types.NamespaceDeletePayload{Name: name}
		return p.MarshalBorsh()
	}
	p := types.NamespaceCreatePayload{Name: name, Nodes: nodes}
	if tier != "" {
		var err error
		if p.Tier, err = types.ParseNamespaceTier(tier); err != nil {
			return nil, err
		}
	}
	return p.MarshalBorsh()
}

// refusedPrefix marks an expectation that the block is refused.
const refusedPrefix = "refused:"

func stVectors(def *genesisSpec, cases []stCase) ([]stCaseOut, error) {
	var out []stCaseOut
	for _, c := range cases {
		o, err := stVector(def, c)
		if err != nil {
			return nil, fmt.Errorf("state_transition case %s: %w", c.Name, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// canonicalJSON is json.Marshal of a generated type, re-read so that the
// indenting writer lays it out like the rest of the file.
func canonicalJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

type borshValue interface {
	MarshalBorsh() ([]byte, error)
}

func encode(v borshValue, withHash func() (types.Hash, error)) (encodedOut, error) {
	js, err := canonicalJSON(v)
	if err != nil {
		return encodedOut{}, err
	}
	b, err := v.MarshalBorsh()
	if err != nil {
		return encodedOut{}, err
	}
	h, err := withHash()
	if err != nil {
		return encodedOut{}, err
	}
	return encodedOut{Value: js, Borsh: outdir.Hex(b), Hash: h.String()}, nil
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

func stVector(def *genesisSpec, c stCase) (stCaseOut, error) {
	o := stCaseOut{Name: c.Name, Doc: c.Doc}
	if c.Name == "" {
		return o, errors.New("no name")
	}
	gs := c.Genesis
	if gs == nil {
		gs = def
	}
	if gs == nil {
		return o, errors.New("no genesis and no file default")
	}
	if c.Env.Height == 0 {
		return o, errors.New("env height must be at least 1 (block 0 is the genesis block)")
	}
	r := resolver{}
	g, err := r.genesis(gs)
	if err != nil {
		return o, err
	}
	proposer, err := r.addr(c.Env.Proposer)
	if err != nil {
		return o, err
	}
	txs, expect, claimed, nsNamed, err := r.txs(c.Transactions)
	if err != nil {
		return o, err
	}

	gb, err := g.MarshalBorsh()
	if err != nil {
		return o, err
	}
	gh, err := g.Hash()
	if err != nil {
		return o, err
	}
	if o.Genesis, err = canonicalJSON(g); err != nil {
		return o, err
	}
	o.GenesisBorsh, o.GenesisHash = outdir.Hex(gb), gh.String()

	store := smt.NewMemStore()
	blk, err := exec.GenesisBlock(store, g)
	if err != nil {
		return o, err
	}
	if o.GenesisBlock, err = encode(&blk.Header, blk.Header.Hash); err != nil {
		return o, fmt.Errorf("genesis block: %w", err)
	}
	o.PreStateRoot = blk.Header.StateRoot.String()
	// The pool namespaces are placed on: the genesis validators (staking is
	// inactive, DECISIONS.md D10).
	env := exec.Env{Height: c.Env.Height, Proposer: proposer, BaseFee: c.Env.BaseFee, Validators: exec.ValidatorAddresses(g.Validators)}
	o.Env = envOut{Height: u64(env.Height), Proposer: outdir.Hex(proposer[:]), BaseFee: u64(env.BaseFee)}
	o.Transactions = []encodedOut{}
	for i := range txs {
		e, err := encode(&txs[i], txs[i].Hash)
		if err != nil {
			return o, fmt.Errorf("tx %d: %w", i, err)
		}
		o.Transactions = append(o.Transactions, e)
	}

	st, err := state.Open(store, blk.Header.StateRoot)
	if err != nil {
		return o, err
	}
	res, err := exec.Execute(st, env, txs)
	last := len(txs) - 1
	if last >= 0 && strings.HasPrefix(expect[last], refusedPrefix) {
		reason := strings.TrimPrefix(expect[last], refusedPrefix)
		var ni *exec.NotIncludableError
		if !errors.As(err, &ni) {
			return o, fmt.Errorf("tx %d: the executor says %v, the case expects the block refused for %s", last, err, reason)
		}
		if ni.Status.String() != reason || !strings.Contains(err.Error(), fmt.Sprintf("transaction %d:", last)) {
			return o, fmt.Errorf("the executor refuses the block with %v, the case expects tx %d refused for %s", err, last, reason)
		}
		if st.Root() != blk.Header.StateRoot {
			return o, errors.New("a refused block changed the state")
		}
		o.Refused = &refusedOut{Index: last, Reason: reason}
		o.Addresses = r.list()
		return o, nil
	}
	if err != nil {
		return o, err
	}
	p := postOut{
		StateRoot:        res.StateRoot.String(),
		TransactionsRoot: res.TransactionsRoot.String(),
		ReceiptsRoot:     res.ReceiptsRoot.String(),
		GasUsed:          u64(res.GasUsed),
		Receipts:         []encodedOut{},
		Accounts:         []accountOut{},
		Usernames:        []usernameOut{},
		Namespaces:       []namespaceOut{},
		NamespaceNodes:   []nodeOut{},
	}
	for i := range res.Receipts {
		rc := res.Receipts[i]
		if got := rc.Status.String(); got != expect[i] {
			return o, fmt.Errorf("tx %d: the executor says %s, the case expects %s", i, got, expect[i])
		}
		if rc.Events == nil {
			rc.Events = []types.Event{} // an empty list is [], as in every vector
		}
		e, err := encode(&rc, rc.Hash)
		if err != nil {
			return o, fmt.Errorf("receipt %d: %w", i, err)
		}
		p.Receipts = append(p.Receipts, e)
	}

	// The post-state of every account the case names, sorted by address.
	post, err := state.Open(store, res.StateRoot)
	if err != nil {
		return o, err
	}
	tree, err := smt.Open(store, res.StateRoot)
	if err != nil {
		return o, err
	}
	seen := map[types.Address]bool{}
	var addrs []types.Address
	note := func(a types.Address) {
		if !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	for _, a := range g.Allocations {
		note(a.Address)
	}
	for _, tx := range txs {
		note(tx.From)
		if tx.Type == types.TxTypeTransfer || !tx.To.IsZero() {
			note(tx.To)
		}
	}
	note(proposer)
	note(exec.CurveAddress())
	sort.Slice(addrs, func(i, j int) bool { return bytes.Compare(addrs[i][:], addrs[j][:]) < 0 })
	for _, a := range addrs {
		acc, ok, proof, err := post.ProveAccount(a)
		if err != nil {
			return o, err
		}
		js, err := canonicalJSON(&acc)
		if err != nil {
			return o, err
		}
		pe, err := proof.MarshalBinary()
		if err != nil {
			return o, err
		}
		ao := accountOut{Address: outdir.Hex(a[:]), Exists: ok, Value: js, Proof: outdir.Hex(pe)}
		if ok {
			b, err := acc.MarshalBorsh()
			if err != nil {
				return o, err
			}
			ao.Borsh = strp(outdir.Hex(b))
			if err := smt.VerifyInclusion(res.StateRoot, state.AccountKey(a), b, proof); err != nil {
				return o, fmt.Errorf("account %v: %w", a, err)
			}
		} else if err := smt.VerifyNonExistence(res.StateRoot, state.AccountKey(a), proof); err != nil {
			return o, fmt.Errorf("account %v: %w", a, err)
		}
		p.Accounts = append(p.Accounts, ao)
	}

	sup, err := post.Supply()
	if err != nil {
		return o, err
	}
	sb, _ := sup.MarshalBorsh()
	sp, err := tree.Prove(state.SupplyKey())
	if err != nil {
		return o, err
	}
	spe, err := sp.MarshalBinary()
	if err != nil {
		return o, err
	}
	if err := smt.VerifyInclusion(res.StateRoot, state.SupplyKey(), sb, sp); err != nil {
		return o, fmt.Errorf("supply: %w", err)
	}
	sj, err := canonicalJSON(&sup)
	if err != nil {
		return o, err
	}
	p.Supply = supplyOut{Value: sj, Borsh: outdir.Hex(sb), Proof: outdir.Hex(spe)}

	// Every username the case names (genesis and claims), sorted.
	nameSet := map[string]bool{}
	for _, a := range g.Allocations {
		if a.Username != "" {
			nameSet[a.Username] = true
		}
	}
	for _, n := range claimed {
		nameSet[n] = true
	}
	for _, n := range sortedSet(nameSet) {
		owner, ok, err := post.UsernameOwner(n)
		if err != nil {
			return o, err
		}
		pr, err := tree.Prove(state.UsernameKey(n))
		if err != nil {
			return o, err
		}
		pe, err := pr.MarshalBinary()
		if err != nil {
			return o, err
		}
		uo := usernameOut{Username: n, Proof: outdir.Hex(pe)}
		if ok {
			rec := types.UsernameRecord{Address: owner}
			b, _ := rec.MarshalBorsh()
			uo.Address, uo.Borsh = strp(outdir.Hex(owner[:])), strp(outdir.Hex(b))
			err = smt.VerifyInclusion(res.StateRoot, state.UsernameKey(n), b, pr)
		} else {
			err = smt.VerifyNonExistence(res.StateRoot, state.UsernameKey(n), pr)
		}
		if err != nil {
			return o, fmt.Errorf("username %q: %w", n, err)
		}
		p.Usernames = append(p.Usernames, uo)
	}
	if err := namespaceLeaves(&p, post, tree, res.StateRoot, nsNamed, g.Validators); err != nil {
		return o, err
	}
	o.Addresses = r.list()
	o.Post = &p
	return o, nil
}

// namespaceLeaves lists every namespace the case names (sorted, with its
// record or none) and every genesis validator's slot list (by address),
// each with its proof against root.
func namespaceLeaves(p *postOut, post *state.State, tree *smt.Tree, root types.Hash, named []string, vals []types.Validator) error {
	set := map[string]bool{}
	for _, n := range named {
		set[n] = true
	}
	prove := func(key, value []byte, present bool) (string, error) {
		pr, err := tree.Prove(key)
		if err != nil {
			return "", err
		}
		if present {
			err = smt.VerifyInclusion(root, key, value, pr)
		} else {
			err = smt.VerifyNonExistence(root, key, pr)
		}
		if err != nil {
			return "", err
		}
		pe, err := pr.MarshalBinary()
		return outdir.Hex(pe), err
	}
	for _, n := range sortedSet(set) {
		rec, ok, err := post.Namespace(n)
		if err != nil {
			return err
		}
		no := namespaceOut{Name: n, Value: json.RawMessage("null")}
		var b []byte
		if ok {
			if b, err = rec.MarshalBorsh(); err != nil {
				return err
			}
			if no.Value, err = canonicalJSON(&rec); err != nil {
				return err
			}
			no.Borsh = strp(outdir.Hex(b))
		}
		if no.Proof, err = prove(state.NamespaceKey(n), b, ok); err != nil {
			return fmt.Errorf("namespace %q: %w", n, err)
		}
		p.Namespaces = append(p.Namespaces, no)
	}
	for _, v := range vals { // sorted by address (Genesis rule)
		nn, err := post.NodeNamespaces(v.Address)
		if err != nil {
			return err
		}
		js, err := canonicalJSON(&nn)
		if err != nil {
			return err
		}
		oo := nodeOut{Address: outdir.Hex(v.Address[:]), Value: js}
		var b []byte
		if len(nn.Slots) > 0 {
			if b, err = nn.MarshalBorsh(); err != nil {
				return err
			}
			oo.Borsh = strp(outdir.Hex(b))
		}
		if oo.Proof, err = prove(state.NodeNamespacesKey(v.Address), b, len(nn.Slots) > 0); err != nil {
			return fmt.Errorf("node %v: %w", v.Address, err)
		}
		p.NamespaceNodes = append(p.NamespaceNodes, oo)
	}
	return nil
}
