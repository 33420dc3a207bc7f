package conformance

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// This file runs conformance/vectors-state/ (format:
// vectors-state/README.md): state transitions re-executed with runtime/exec
// from each vector's genesis and Borsh transactions, and SMT roots and proofs
// checked with runtime/smt. Like TestVectors, it fails when a file is not in
// the manifest or a case goes unchecked.

const svDir = "vectors-state"

// svProofErrors maps the README's malformed-proof reasons to runtime/smt.
var svProofErrors = map[string]error{
	"truncated":              smt.ErrProofTruncated,
	"too_many_siblings":      smt.ErrTooManySiblings,
	"sibling_count_mismatch": smt.ErrSiblingCountMismatch,
	"invalid_option_tag":     smt.ErrInvalidOptionTag,
	"trailing_bytes":         smt.ErrTrailingBytes,
	"zero_sibling":           smt.ErrZeroSibling,
	"unexpected_leaf":        smt.ErrUnexpectedLeaf,
	"leaf_is_queried_key":    smt.ErrLeafIsQueriedKey,
	"leaf_not_on_path":       smt.ErrLeafNotOnPath,
	"root_mismatch":          smt.ErrRootMismatch,
}

func svHash(t *testing.T, s string) [32]byte {
	t.Helper()
	var h [32]byte
	b := unhex(t, s)
	if len(b) != 32 {
		t.Fatalf("hash %q is %d bytes", s, len(b))
	}
	copy(h[:], b)
	return h
}

func svU64(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("u64 %q: %v", s, err)
	}
	return n
}

type svCodec interface {
	MarshalBorsh() ([]byte, error)
	UnmarshalBorsh([]byte) error
}

// svDecode decodes borshHex into v and checks that v's canonical JSON equals
// js, that js decodes to the same bytes, and that re-encoding is exact.
func svDecode(t *testing.T, what string, v svCodec, borshHex string, js json.RawMessage) {
	t.Helper()
	want := unhex(t, borshHex)
	if err := v.UnmarshalBorsh(want); err != nil {
		t.Fatalf("%s: decode: %v", what, err)
	}
	if got, err := v.MarshalBorsh(); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: re-encode %x %v", what, got, err)
	}
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := canonical(t, got), canonical(t, js); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: JSON\n got %s\nwant %s", what, got, js)
	}
	v2 := reflect.New(reflect.TypeOf(v).Elem()).Interface().(svCodec)
	if err := json.Unmarshal(js, v2); err != nil {
		t.Fatalf("%s: from JSON: %v", what, err)
	}
	if b, err := v2.MarshalBorsh(); err != nil || !bytes.Equal(b, want) {
		t.Errorf("%s: JSON -> Borsh %x %v, want %x", what, b, err, want)
	}
}

// TestStateVectors runs every case of every file in the manifest.
func TestStateVectors(t *testing.T) {
	perCase := func(run func(*testing.T, json.RawMessage) string) func(*testing.T, vectorFile) int {
		return func(t *testing.T, vf vectorFile) int {
			n := 0
			for _, c := range vf.Cases {
				var head struct{ Name string }
				if err := json.Unmarshal(c, &head); err != nil || head.Name == "" {
					t.Fatalf("case without a name: %v", err)
				}
				t.Run(head.Name, func(t *testing.T) {
					if got := run(t, c); got != head.Name {
						t.Fatalf("runner did not finish the case")
					}
				})
				n++
			}
			return n
		}
	}
	checked := runManifest(t, svDir, 3, []string{"README.md"}, map[string]func(*testing.T, vectorFile) int{
		"smt":              perCase(svRunSMT),
		"state_transition": perCase(svRunTransition),
		"base_fee":         perCase(svRunBaseFee),
	})
	if checked["state_transition"] < 15 || checked["smt"] < 5 || checked["base_fee"] < 10 {
		t.Errorf("only %v cases checked", checked)
	}
	t.Logf("cases checked: %v", checked)
}

// --- SMT ---

type svSMTCase struct {
	Name  string `json:"name"`
	Steps []struct {
		Op    string  `json:"op"`
		Key   string  `json:"key"`
		Value *string `json:"value"`
		Root  string  `json:"root"`
	} `json:"steps"`
	Root   string `json:"root"`
	Proofs []struct {
		Key   string  `json:"key"`
		Value *string `json:"value"`
		Proof string  `json:"proof"`
		Root  string  `json:"root"`
	} `json:"proofs"`
	Malformed []struct {
		Name  string  `json:"name"`
		Claim string  `json:"claim"`
		Key   string  `json:"key"`
		Value *string `json:"value"`
		Proof string  `json:"proof"`
		Root  string  `json:"root"`
		Error string  `json:"error"`
		Why   string  `json:"why"`
	} `json:"malformed"`
}

func svRunSMT(t *testing.T, raw json.RawMessage) string {
	var c svSMTCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	tr, err := smt.Open(smt.NewMemStore(), smt.EmptyRoot)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range c.Steps {
		switch {
		case s.Op == "set" && s.Value != nil:
			err = tr.Update(unhex(t, s.Key), unhex(t, *s.Value))
		case s.Op == "delete" && s.Value == nil:
			err = tr.Delete(unhex(t, s.Key))
		default:
			t.Fatalf("step %d: op %q", i, s.Op)
		}
		if err != nil {
			t.Fatal(err)
		}
		root, err := tr.Commit(uint64(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		if root != svHash(t, s.Root) {
			t.Fatalf("step %d (%s %s): root %x, want %s", i, s.Op, s.Key, root, s.Root)
		}
	}
	root := tr.Root()
	if root != svHash(t, c.Root) {
		t.Fatalf("final root %x, want %s", root, c.Root)
	}
	for _, p := range c.Proofs {
		key, enc := unhex(t, p.Key), unhex(t, p.Proof)
		if svHash(t, p.Root) != root {
			t.Errorf("proof of %s: root %s is not the case's", p.Key, p.Root)
		}
		var dec smt.Proof
		if err := dec.UnmarshalBinary(enc); err != nil {
			t.Errorf("proof of %s does not decode: %v", p.Key, err)
			continue
		}
		if re, err := dec.MarshalBinary(); err != nil || !bytes.Equal(re, enc) {
			t.Errorf("proof of %s re-encodes as %x %v", p.Key, re, err)
		}
		if p.Value != nil {
			err = smt.VerifyInclusion(root, key, unhex(t, *p.Value), dec)
		} else {
			err = smt.VerifyNonExistence(root, key, dec)
		}
		if err != nil {
			t.Errorf("proof of %s (value %v): %v", p.Key, p.Value != nil, err)
		}
		// The tree proves it the same way.
		own, err := tr.Prove(key)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := own.MarshalBinary(); !bytes.Equal(b, enc) {
			t.Errorf("Prove(%s) = %x, vector %s", p.Key, b, p.Proof)
		}
		if _, err := tr.Get(key); (err == nil) != (p.Value != nil) {
			t.Errorf("Get(%s): %v, vector says present=%v", p.Key, err, p.Value != nil)
		}
	}
	for _, m := range c.Malformed {
		want := svProofErrors[m.Error]
		if want == nil {
			t.Errorf("%s: unknown reason %q", m.Name, m.Error)
			continue
		}
		var dec smt.Proof
		err := dec.UnmarshalBinary(unhex(t, m.Proof))
		if err == nil {
			r, key := svHash(t, m.Root), unhex(t, m.Key)
			switch {
			case m.Claim == "inclusion" && m.Value != nil:
				err = smt.VerifyInclusion(r, key, unhex(t, *m.Value), dec)
			case m.Claim == "non_existence" && m.Value == nil:
				err = smt.VerifyNonExistence(r, key, dec)
			default:
				t.Fatalf("%s: claim %q with value %v", m.Name, m.Claim, m.Value)
			}
		}
		if !errors.Is(err, want) {
			t.Errorf("malformed %s (%s): got %v, want %s", m.Name, m.Why, err, m.Error)
		}
	}
	return c.Name
}

// --- state transitions ---

type svEncoded struct {
	Value json.RawMessage `json:"value"`
	Borsh string          `json:"borsh"`
	Hash  string          `json:"hash"`
}

type svTransitionCase struct {
	Name         string          `json:"name"`
	Genesis      json.RawMessage `json:"genesis"`
	GenesisBorsh string          `json:"genesis_borsh"`
	GenesisHash  string          `json:"genesis_hash"`
	GenesisBlock svEncoded       `json:"genesis_block"`
	PreStateRoot string          `json:"pre_state_root"`
	Refused      *struct {
		Index  int    `json:"index"`
		Reason string `json:"reason"`
	} `json:"refused"`
	Env struct {
		Height   string `json:"height"`
		Proposer string `json:"proposer"`
		BaseFee  string `json:"base_fee"`
	} `json:"env"`
	Transactions []svEncoded `json:"transactions"`
	Post         *struct {
		StateRoot        string      `json:"state_root"`
		TransactionsRoot string      `json:"transactions_root"`
		ReceiptsRoot     string      `json:"receipts_root"`
		GasUsed          string      `json:"gas_used"`
		Receipts         []svEncoded `json:"receipts"`
		Accounts         []struct {
			Address string          `json:"address"`
			Exists  bool            `json:"exists"`
			Value   json.RawMessage `json:"value"`
			Borsh   *string         `json:"borsh"`
			Proof   string          `json:"proof"`
		} `json:"accounts"`
		Supply struct {
			Value json.RawMessage `json:"value"`
			Borsh string          `json:"borsh"`
			Proof string          `json:"proof"`
		} `json:"supply"`
		Usernames []struct {
			Username string  `json:"username"`
			Address  *string `json:"address"`
			Borsh    *string `json:"borsh"`
			Proof    string  `json:"proof"`
		} `json:"usernames"`
		Namespaces []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
			Borsh *string         `json:"borsh"`
			Proof string          `json:"proof"`
		} `json:"namespaces"`
		NamespaceNodes []struct {
			Address string          `json:"address"`
			Value   json.RawMessage `json:"value"`
			Borsh   *string         `json:"borsh"`
			Proof   string          `json:"proof"`
		} `json:"namespace_nodes"`
	} `json:"post"`
}

func svProof(t *testing.T, s string) smt.Proof {
	t.Helper()
	var p smt.Proof
	if err := p.UnmarshalBinary(unhex(t, s)); err != nil {
		t.Fatalf("proof %s: %v", s, err)
	}
	return p
}

func svRunTransition(t *testing.T, raw json.RawMessage) string {
	var c svTransitionCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	var g types.Genesis
	svDecode(t, "genesis", &g, c.GenesisBorsh, c.Genesis)
	if h, err := g.Hash(); err != nil || h.String() != c.GenesisHash {
		t.Errorf("genesis hash %v %v, want %s", h, err, c.GenesisHash)
	}
	store := smt.NewMemStore()
	blk, err := exec.GenesisBlock(store, &g)
	if err != nil {
		t.Fatalf("genesis: %v", err)
	}
	if blk.Header.StateRoot.String() != c.PreStateRoot {
		t.Fatalf("genesis state root %v, want %s", blk.Header.StateRoot, c.PreStateRoot)
	}
	var hdr0 types.BlockHeader
	svDecode(t, "genesis block", &hdr0, c.GenesisBlock.Borsh, c.GenesisBlock.Value)
	if b, err := blk.Header.MarshalBorsh(); err != nil || "0x"+hex.EncodeToString(b) != c.GenesisBlock.Borsh {
		t.Errorf("genesis block header differs:\n got %+v\nwant %+v", blk.Header, hdr0)
	}
	if h, err := blk.Header.Hash(); err != nil || h.String() != c.GenesisBlock.Hash {
		t.Errorf("genesis block hash %v, want %s", h, c.GenesisBlock.Hash)
	}
	if gh, _ := g.Hash(); blk.Header.ParentHash != gh {
		t.Errorf("genesis block parent_hash %v, want the genesis hash %v", blk.Header.ParentHash, gh)
	}

	txs := make([]types.Transaction, len(c.Transactions))
	for i, e := range c.Transactions {
		svDecode(t, "transaction", &txs[i], e.Borsh, e.Value)
		if h, err := txs[i].Hash(); err != nil || h.String() != e.Hash {
			t.Errorf("tx %d hash %v %v, want %s", i, h, err, e.Hash)
		}
	}
	var proposer types.Address
	copy(proposer[:], unhex(t, c.Env.Proposer))
	// The namespace pool: the genesis validators (vectors-state/README.md).
	env := exec.Env{Height: svU64(t, c.Env.Height), Proposer: proposer, BaseFee: svU64(t, c.Env.BaseFee),
		Validators: exec.ValidatorAddresses(g.Validators)}
	st, err := state.Open(store, blk.Header.StateRoot)
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Execute(st, env, txs)
	if c.Refused != nil {
		var ni *exec.NotIncludableError
		if !errors.As(err, &ni) || ni.Status.String() != c.Refused.Reason ||
			!strings.Contains(err.Error(), fmt.Sprintf("transaction %d:", c.Refused.Index)) {
			t.Fatalf("execute: %v, want transaction %d refused for %s", err, c.Refused.Index, c.Refused.Reason)
		}
		if c.Post != nil || st.Root() != blk.Header.StateRoot {
			t.Fatalf("a refused block has a post-state or changed the state")
		}
		return c.Name
	}
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	if c.Post == nil {
		t.Fatal("an accepted block without a post-state")
	}

	p := c.Post
	if len(res.Receipts) != len(p.Receipts) {
		t.Fatalf("%d receipts, want %d", len(res.Receipts), len(p.Receipts))
	}
	for i := range res.Receipts {
		var want types.Receipt
		svDecode(t, "receipt", &want, p.Receipts[i].Borsh, p.Receipts[i].Value)
		got, err := res.Receipts[i].MarshalBorsh()
		if err != nil || "0x"+hex.EncodeToString(got) != p.Receipts[i].Borsh {
			t.Errorf("receipt %d:\n got %+v\nwant %+v", i, res.Receipts[i], want)
		}
		if h, err := res.Receipts[i].Hash(); err != nil || h.String() != p.Receipts[i].Hash {
			t.Errorf("receipt %d hash %v, want %s", i, h, p.Receipts[i].Hash)
		}
	}
	for _, x := range []struct{ what, got, want string }{
		{"state_root", res.StateRoot.String(), p.StateRoot},
		{"transactions_root", res.TransactionsRoot.String(), p.TransactionsRoot},
		{"receipts_root", res.ReceiptsRoot.String(), p.ReceiptsRoot},
		{"gas_used", strconv.FormatUint(res.GasUsed, 10), p.GasUsed},
	} {
		if x.got != x.want {
			t.Errorf("%s %s, want %s", x.what, x.got, x.want)
		}
	}

	root := svHash(t, p.StateRoot)
	post, err := state.Open(store, res.StateRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range p.Accounts {
		var addr types.Address
		copy(addr[:], unhex(t, a.Address))
		acc, ok, proof, err := post.ProveAccount(addr)
		if err != nil {
			t.Fatal(err)
		}
		if ok != a.Exists || (a.Borsh != nil) != a.Exists {
			t.Errorf("account %s: exists %v, want %v", a.Address, ok, a.Exists)
			continue
		}
		if enc, _ := proof.MarshalBinary(); "0x"+hex.EncodeToString(enc) != a.Proof {
			t.Errorf("account %s: proof differs", a.Address)
		}
		js, _ := json.Marshal(&acc)
		if !reflect.DeepEqual(canonical(t, js), canonical(t, a.Value)) {
			t.Errorf("account %s:\n got %s\nwant %s", a.Address, js, a.Value)
		}
		// The vector's own proof verifies against the vector's root.
		vp := svProof(t, a.Proof)
		if a.Exists {
			var want types.Account
			svDecode(t, "account", &want, *a.Borsh, a.Value)
			err = smt.VerifyInclusion(root, state.AccountKey(addr), unhex(t, *a.Borsh), vp)
		} else {
			err = smt.VerifyNonExistence(root, state.AccountKey(addr), vp)
		}
		if err != nil {
			t.Errorf("account %s: vector proof: %v", a.Address, err)
		}
	}

	var sup types.ChainSupply
	svDecode(t, "supply", &sup, p.Supply.Borsh, p.Supply.Value)
	if got, err := post.Supply(); err != nil || got != sup {
		t.Errorf("supply %+v %v, want %+v", got, err, sup)
	}
	if err := smt.VerifyInclusion(root, state.SupplyKey(), unhex(t, p.Supply.Borsh), svProof(t, p.Supply.Proof)); err != nil {
		t.Errorf("supply proof: %v", err)
	}

	for _, u := range p.Usernames {
		owner, ok, err := post.UsernameOwner(u.Username)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (u.Address != nil) || (ok && "0x"+hex.EncodeToString(owner[:]) != *u.Address) {
			t.Errorf("username %q: owner %v %v, want %v", u.Username, owner, ok, u.Address)
			continue
		}
		vp := svProof(t, u.Proof)
		if ok {
			var rec types.UsernameRecord
			copy(rec.Address[:], unhex(t, *u.Address))
			b, _ := rec.MarshalBorsh()
			if "0x"+hex.EncodeToString(b) != *u.Borsh {
				t.Errorf("username %q: record %x, vector %s", u.Username, b, *u.Borsh)
			}
			err = smt.VerifyInclusion(root, state.UsernameKey(u.Username), b, vp)
		} else {
			err = smt.VerifyNonExistence(root, state.UsernameKey(u.Username), vp)
		}
		if err != nil {
			t.Errorf("username %q: vector proof: %v", u.Username, err)
		}
	}

	for _, n := range p.Namespaces {
		rec, ok, err := post.Namespace(n.Name)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (n.Borsh != nil) {
			t.Errorf("namespace %q: present %v, vector %v", n.Name, ok, n.Borsh != nil)
			continue
		}
		vp := svProof(t, n.Proof)
		if ok {
			var want types.NamespaceRecord
			svDecode(t, "namespace "+n.Name, &want, *n.Borsh, n.Value)
			if !reflect.DeepEqual(rec, want) {
				t.Errorf("namespace %q:\n got %+v\nwant %+v", n.Name, rec, want)
			}
			err = smt.VerifyInclusion(root, state.NamespaceKey(n.Name), unhex(t, *n.Borsh), vp)
		} else {
			if string(n.Value) != "null" {
				t.Errorf("namespace %q: absent with value %s", n.Name, n.Value)
			}
			err = smt.VerifyNonExistence(root, state.NamespaceKey(n.Name), vp)
		}
		if err != nil {
			t.Errorf("namespace %q: vector proof: %v", n.Name, err)
		}
	}
	if len(p.NamespaceNodes) != len(g.Validators) {
		t.Errorf("%d namespace_nodes for %d genesis validators", len(p.NamespaceNodes), len(g.Validators))
	}
	for i, n := range p.NamespaceNodes {
		var addr types.Address
		copy(addr[:], unhex(t, n.Address))
		if i < len(g.Validators) && addr != g.Validators[i].Address {
			t.Errorf("namespace_nodes[%d] is %s, not validator %v", i, n.Address, g.Validators[i].Address)
		}
		got, err := post.NodeNamespaces(addr)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(&got)
		if !reflect.DeepEqual(canonical(t, js), canonical(t, n.Value)) {
			t.Errorf("node %s: slots %s, vector %s", n.Address, js, n.Value)
		}
		vp := svProof(t, n.Proof)
		if len(got.Slots) > 0 {
			if n.Borsh == nil {
				t.Errorf("node %s: slots without borsh", n.Address)
				continue
			}
			var want types.NodeNamespaces
			svDecode(t, "node "+n.Address, &want, *n.Borsh, n.Value)
			err = smt.VerifyInclusion(root, state.NodeNamespacesKey(addr), unhex(t, *n.Borsh), vp)
		} else {
			if n.Borsh != nil {
				t.Errorf("node %s: no slots, borsh %s", n.Address, *n.Borsh)
			}
			err = smt.VerifyNonExistence(root, state.NodeNamespacesKey(addr), vp)
		}
		if err != nil {
			t.Errorf("node %s: vector proof: %v", n.Address, err)
		}
	}
	return c.Name
}

// --- base fee ---

func svRunBaseFee(t *testing.T, raw json.RawMessage) string {
	var c struct {
		Name          string `json:"name"`
		ParentBaseFee string `json:"parent_base_fee"`
		ParentGasUsed string `json:"parent_gas_used"`
		NextBaseFee   string `json:"next_base_fee"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	got := txrules.NextBaseFee(svU64(t, c.ParentBaseFee), svU64(t, c.ParentGasUsed))
	if strconv.FormatUint(got, 10) != c.NextBaseFee {
		t.Errorf("NextBaseFee(%s, %s) = %d, want %s", c.ParentBaseFee, c.ParentGasUsed, got, c.NextBaseFee)
	}
	return c.Name
}
