package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/chainfile"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// This file runs conformance/vectors-chain/ (format: its README.md): every
// fixture's chain file imported into a fresh node on disk, in process,
// through Node.Import (what `orama import` runs), and every block, receipt,
// account, username and the supply compared with the node's store; a
// refused chain must be refused at the stated height for the stated
// reason, with the chain left at the block before.

const cvDir = "vectors-chain"

// cvFormatVersion is the format of vectors-chain this runner implements.
const cvFormatVersion = 1

type cvManifest struct {
	FormatVersion int    `json:"format_version"`
	Generator     string `json:"generator"`
	Fixtures      []struct {
		Name     string `json:"name"`
		Genesis  string `json:"genesis"`
		Chain    string `json:"chain"`
		Expected string `json:"expected"`
	} `json:"fixtures"`
	Files []struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

type cvEncoded struct {
	Value json.RawMessage `json:"value"`
	Borsh string          `json:"borsh"`
	Hash  string          `json:"hash"`
}

type cvAccount struct {
	Address string          `json:"address"`
	Exists  bool            `json:"exists"`
	Value   json.RawMessage `json:"value"`
	Borsh   *string         `json:"borsh"`
}

type cvUsername struct {
	Username string  `json:"username"`
	Address  *string `json:"address"`
	Borsh    *string `json:"borsh"`
}

type cvExpected struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Doc    string `json:"doc"`
	Source string `json:"source"`
	Keys   []struct {
		Name       string `json:"name"`
		PrivateKey string `json:"private_key"`
		Address    string `json:"address"`
	} `json:"keys"`
	GenesisHash  string    `json:"genesis_hash"`
	GenesisBlock cvEncoded `json:"genesis_block"`
	Records      []struct {
		FirstHeight string `json:"first_height"`
		LastHeight  string `json:"last_height"`
		Proof       bool   `json:"proof"`
	} `json:"records"`
	TruncatedBytes int             `json:"truncated_bytes"`
	Import         json.RawMessage `json:"import"`
	Refused        *struct {
		Height      string `json:"height"`
		Reason      string `json:"reason"`
		Transaction *struct {
			Index  int    `json:"index"`
			Status string `json:"status"`
		} `json:"transaction"`
	} `json:"refused"`
	Blocks []struct {
		Height           string       `json:"height"`
		Hash             string       `json:"hash"`
		View             string       `json:"view"`
		Proposer         string       `json:"proposer"`
		BaseFee          string       `json:"base_fee"`
		GasUsed          string       `json:"gas_used"`
		StateRoot        string       `json:"state_root"`
		TransactionsRoot string       `json:"transactions_root"`
		ReceiptsRoot     string       `json:"receipts_root"`
		Header           cvEncoded    `json:"header"`
		Transactions     []string     `json:"transactions"`
		Receipts         []cvEncoded  `json:"receipts"`
		Accounts         []cvAccount  `json:"accounts"`
		Usernames        []cvUsername `json:"usernames"`
		Supply           cvEncoded    `json:"supply"`
	} `json:"blocks"`
	Final struct {
		Height    string       `json:"height"`
		StateRoot string       `json:"state_root"`
		Accounts  []cvAccount  `json:"accounts"`
		Usernames []cvUsername `json:"usernames"`
		Supply    cvEncoded    `json:"supply"`
	} `json:"final"`
}

func cvStrict(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// readChainManifest checks the manifest against the tree: version, every
// file's sha256, every file listed, every fixture's files listed.
func readChainManifest(t *testing.T) (cvManifest, map[string][]byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(cvDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m cvManifest
	cvStrict(t, "manifest.json", raw, &m)
	if m.FormatVersion != cvFormatVersion {
		t.Fatalf("format_version %d, runner knows %d", m.FormatVersion, cvFormatVersion)
	}
	files := map[string][]byte{}
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(cvDir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := "0x" + hex.EncodeToString(sum[:]); got != f.SHA256 {
			t.Errorf("%s: sha256 %s, manifest %s", f.Path, got, f.SHA256)
		}
		files[f.Path] = b
	}
	err = filepath.WalkDir(cvDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(cvDir, p)
		rel = filepath.ToSlash(rel)
		if _, ok := files[rel]; !ok && rel != "manifest.json" && rel != "README.md" {
			t.Errorf("%s is not in the manifest", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range m.Fixtures {
		for _, p := range []string{fx.Genesis, fx.Chain, fx.Expected} {
			if _, ok := files[p]; !ok {
				t.Errorf("fixture %s: %s not listed", fx.Name, p)
			}
		}
	}
	return m, files
}

// TestChainVectors imports every fixture and checks everything it states.
func TestChainVectors(t *testing.T) {
	m, files := readChainManifest(t)
	refused, imported := 0, 0
	for _, fx := range m.Fixtures {
		t.Run(fx.Name, func(t *testing.T) {
			var e cvExpected
			cvStrict(t, fx.Expected, files[fx.Expected], &e)
			if e.Kind != "chain" || e.Name != fx.Name {
				t.Fatalf("kind %q name %q", e.Kind, e.Name)
			}
			if e.Refused != nil {
				refused++
			} else {
				imported++
			}
			if err := cvCheckFixture(t.TempDir(), &e, files[fx.Genesis], files[fx.Chain]); err != nil {
				t.Fatal(err)
			}
		})
	}
	if refused < 10 || imported < 3 {
		t.Errorf("%d refused and %d imported fixtures", refused, imported)
	}
}

// cvDecode decodes borshHex into v and checks that it is v's canonical
// JSON js, both ways.
func cvDecode(what string, v interface {
	MarshalBorsh() ([]byte, error)
	UnmarshalBorsh([]byte) error
}, borshHex string, js json.RawMessage) error {
	want, err := hexBytes(borshHex)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := v.UnmarshalBorsh(want); err != nil {
		return fmt.Errorf("%s: decode: %w", what, err)
	}
	got, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !jsonSame(got, js) {
		return fmt.Errorf("%s: JSON\n got %s\nwant %s", what, got, js)
	}
	return nil
}

func hexBytes(s string) ([]byte, error) {
	if len(s) < 2 || s[:2] != "0x" {
		return nil, fmt.Errorf("hex %q lacks 0x", s)
	}
	return hex.DecodeString(s[2:])
}

// jsonSame compares two JSON texts as values, an empty list and null
// alike (a decoded empty list is nil in Go; the fixtures write []).
func jsonSame(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	var norm func(any) any
	norm = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				v[k] = norm(e)
			}
		case []any:
			if len(v) == 0 {
				return nil
			}
			for i := range v {
				v[i] = norm(v[i])
			}
		}
		return v
	}
	return reflect.DeepEqual(norm(x), norm(y))
}

func borshHex(v interface{ MarshalBorsh() ([]byte, error) }) string {
	b, err := v.MarshalBorsh()
	if err != nil {
		return "error: " + err.Error()
	}
	return "0x" + hex.EncodeToString(b)
}

func u64Of(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

// cvCheckFixture imports one fixture into a fresh node in dir and returns
// the first way the node disagrees with it.
func cvCheckFixture(dir string, e *cvExpected, genesis, chain []byte) error {
	var g types.Genesis
	dec := json.NewDecoder(bytes.NewReader(genesis))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return fmt.Errorf("genesis.json: %w", err)
	}
	if err := exec.ValidateGenesis(&g); err != nil {
		return err
	}
	if gh, _ := g.Hash(); gh.String() != e.GenesisHash {
		return fmt.Errorf("genesis hash %v, want %s", gh, e.GenesisHash)
	}
	n, err := node.New(node.Config{DataDir: dir, NoSync: true}, &g, cryptotest.Key(999))
	if err != nil {
		return err
	}
	defer n.Close()
	b0, err := n.Store().Block(0)
	if err != nil {
		return err
	}
	var gb types.BlockHeader
	if err := cvDecode("genesis_block", &gb, e.GenesisBlock.Borsh, e.GenesisBlock.Value); err != nil {
		return err
	}
	if h, _ := b0.Header.Hash(); h.String() != e.GenesisBlock.Hash || borshHex(&b0.Header) != e.GenesisBlock.Borsh {
		return fmt.Errorf("block 0 is %v, want %s", h, e.GenesisBlock.Hash)
	}

	rep, err := n.Import(context.Background(), bytes.NewReader(chain))
	if err != nil {
		return err
	}
	got, _ := json.Marshal(rep)
	if !jsonSame(got, e.Import) {
		return fmt.Errorf("import report %s, want %s (%v)", got, e.Import, rep.Err)
	}
	if e.Refused != nil {
		if !rep.Refused() || strconv.FormatUint(*rep.RefusedHeight, 10) != e.Refused.Height || rep.Reason != e.Refused.Reason {
			return fmt.Errorf("refused %+v, want %+v", rep, e.Refused)
		}
		if _, err := n.Store().Block(*rep.RefusedHeight); err == nil {
			return fmt.Errorf("the refused block %d is in the store", *rep.RefusedHeight)
		}
	} else if rep.Refused() {
		return fmt.Errorf("refused: %+v %v", rep, rep.Err)
	}
	if len(e.Blocks) != int(rep.ImportedHeight) {
		return fmt.Errorf("%d blocks expected, imported height %d", len(e.Blocks), rep.ImportedHeight)
	}
	if head := n.Head().Header.Height; head != rep.ImportedHeight {
		return fmt.Errorf("head %d, report %d", head, rep.ImportedHeight)
	}

	for _, eb := range e.Blocks {
		h, err := u64Of(eb.Height)
		if err != nil {
			return err
		}
		b, err := n.Store().Block(h)
		if err != nil {
			return err
		}
		hdr := &b.Header
		hh, _ := hdr.Hash()
		if hh.String() != eb.Hash || eb.Header.Hash != eb.Hash || borshHex(hdr) != eb.Header.Borsh {
			return fmt.Errorf("block %d: hash %v, want %s", h, hh, eb.Hash)
		}
		var want types.BlockHeader
		if err := cvDecode("header", &want, eb.Header.Borsh, eb.Header.Value); err != nil {
			return err
		}
		for _, f := range []struct{ what, got, want string }{
			{"state_root", hdr.StateRoot.String(), eb.StateRoot},
			{"transactions_root", hdr.TransactionsRoot.String(), eb.TransactionsRoot},
			{"receipts_root", hdr.ReceiptsRoot.String(), eb.ReceiptsRoot},
			{"base_fee", strconv.FormatUint(hdr.BaseFee, 10), eb.BaseFee},
			{"gas_used", strconv.FormatUint(hdr.GasUsed, 10), eb.GasUsed},
			{"view", strconv.FormatUint(hdr.View, 10), eb.View},
			{"proposer", "0x" + hex.EncodeToString(hdr.Proposer[:]), eb.Proposer},
		} {
			if f.got != f.want {
				return fmt.Errorf("block %d: %s %s, want %s", h, f.what, f.got, f.want)
			}
		}
		if len(b.Transactions) != len(eb.Transactions) {
			return fmt.Errorf("block %d: %d transactions, want %d", h, len(b.Transactions), len(eb.Transactions))
		}
		for i := range b.Transactions {
			if th, _ := b.Transactions[i].Hash(); th.String() != eb.Transactions[i] {
				return fmt.Errorf("block %d: transaction %d is %v, want %s", h, i, th, eb.Transactions[i])
			}
		}
		rs, err := n.Store().Receipts(h)
		if err != nil {
			return err
		}
		if len(rs) != len(eb.Receipts) {
			return fmt.Errorf("block %d: %d receipts, want %d", h, len(rs), len(eb.Receipts))
		}
		for i := range rs {
			var r types.Receipt
			if err := cvDecode("receipt", &r, eb.Receipts[i].Borsh, eb.Receipts[i].Value); err != nil {
				return err
			}
			rh, _ := rs[i].Hash()
			if borshHex(&rs[i]) != eb.Receipts[i].Borsh || rh.String() != eb.Receipts[i].Hash {
				return fmt.Errorf("block %d receipt %d: the node stores %+v", h, i, rs[i])
			}
		}
		st, _, err := n.StateAt(h)
		if err != nil {
			return err
		}
		if err := cvLeaves("block "+eb.Height, st, eb.Accounts, eb.Usernames, eb.Supply); err != nil {
			return err
		}
	}
	if e.Final.Height != strconv.FormatUint(rep.ImportedHeight, 10) || n.State().Root().String() != e.Final.StateRoot {
		return fmt.Errorf("head state %v at %d, want %s at %s", n.State().Root(), rep.ImportedHeight, e.Final.StateRoot, e.Final.Height)
	}
	if err := cvLeaves("final", n.State(), e.Final.Accounts, e.Final.Usernames, e.Final.Supply); err != nil {
		return err
	}
	// Every record's proof was kept with its last block, so this node can
	// serve the chain it imported to a syncing peer.
	for _, r := range e.Records {
		last, err := u64Of(r.LastHeight)
		if err != nil {
			return err
		}
		if !r.Proof || last > rep.ImportedHeight {
			continue
		}
		if _, err := n.Store().CommitProof(last); err != nil {
			return fmt.Errorf("no commit proof stored at %d: %w", last, err)
		}
	}
	return nil
}

// cvLeaves compares accounts, usernames and the supply with st.
func cvLeaves(where string, st *state.State, accs []cvAccount, names []cvUsername, supply cvEncoded) error {
	for _, a := range accs {
		var addr types.Address
		if err := addr.UnmarshalText([]byte(a.Address)); err != nil {
			return err
		}
		acc, exists, _, err := st.ProveAccount(addr)
		if err != nil {
			return err
		}
		if exists != a.Exists {
			return fmt.Errorf("%s: account %s exists %v, want %v", where, a.Address, exists, a.Exists)
		}
		var want types.Account
		if err := json.Unmarshal(a.Value, &want); err != nil {
			return err
		}
		if borshHex(&acc) != borshHex(&want) || want.Address != addr {
			return fmt.Errorf("%s: account %s is %+v, want %s", where, a.Address, acc, a.Value)
		}
		if a.Exists != (a.Borsh != nil) || a.Exists && *a.Borsh != borshHex(&acc) {
			return fmt.Errorf("%s: account %s: borsh", where, a.Address)
		}
	}
	for _, u := range names {
		owner, ok, err := st.UsernameOwner(u.Username)
		if err != nil {
			return err
		}
		switch {
		case ok != (u.Address != nil) || ok != (u.Borsh != nil):
			return fmt.Errorf("%s: username %s owned %v, want %v", where, u.Username, ok, u.Address)
		case ok && "0x"+hex.EncodeToString(owner[:]) != *u.Address:
			return fmt.Errorf("%s: username %s owned by %v, want %s", where, u.Username, owner, *u.Address)
		case ok && borshHex(&types.UsernameRecord{Address: owner}) != *u.Borsh:
			return fmt.Errorf("%s: username %s record", where, u.Username)
		}
	}
	sup, err := st.Supply()
	if err != nil {
		return err
	}
	var want types.ChainSupply
	if err := cvDecode("supply", &want, supply.Borsh, supply.Value); err != nil {
		return err
	}
	if borshHex(&sup) != supply.Borsh {
		return fmt.Errorf("%s: supply %+v, want %s", where, sup, supply.Value)
	}
	return nil
}

// TestChainVectorsNegativeControl: the runner is not a rubber stamp. A
// fixture with one root, receipt, account, refusal reason or imported
// height changed fails it.
func TestChainVectorsNegativeControl(t *testing.T) {
	_, files := readChainManifest(t)
	for _, c := range []struct {
		name, fixture string
		edit          func(*cvExpected)
	}{
		{"state root", "transactions", func(e *cvExpected) { e.Blocks[2].StateRoot = e.Blocks[1].StateRoot }},
		{"receipt", "transactions", func(e *cvExpected) { e.Blocks[0].Receipts[0] = e.Blocks[0].Receipts[1] }},
		{"block account", "transactions", func(e *cvExpected) { e.Blocks[0].Accounts[1].Value = e.Blocks[0].Accounts[2].Value }},
		{"final username", "transactions", func(e *cvExpected) { e.Final.Usernames[1].Address = e.Final.Usernames[2].Address }},
		{"reason", "refused_wrong_state_root", func(e *cvExpected) {
			e.Refused.Reason = chainfile.ReasonWrongReceiptsRoot
			e.Import = json.RawMessage(`{"imported_height":2,"refused_height":3,"reason":"wrong_receipts_root"}`)
		}},
		{"refusal dropped", "refused_bad_nonce", func(e *cvExpected) { e.Import = json.RawMessage(`{"imported_height":2}`); e.Refused = nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e cvExpected
			cvStrict(t, c.fixture, files[c.fixture+"/expected.json"], &e)
			if err := cvCheckFixture(t.TempDir(), &e, files[c.fixture+"/genesis.json"], files[c.fixture+"/chain.bin"]); err != nil {
				t.Fatalf("the unchanged fixture fails: %v", err)
			}
			c.edit(&e)
			if err := cvCheckFixture(t.TempDir(), &e, files[c.fixture+"/genesis.json"], files[c.fixture+"/chain.bin"]); err == nil {
				t.Fatalf("the runner passed %s with its %s changed", c.fixture, c.name)
			}
		})
	}
}
