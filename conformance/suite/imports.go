package suite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// The chain fixtures (conformance/vectors-chain, written by
// gen/cmd/oramachain from spec/cases/chain): a genesis, a chain file and
// what importing it must give.

// fixtureFormat is the manifest format_version this suite reads.
const fixtureFormat = 1

type fixtureManifest struct {
	FormatVersion int `json:"format_version"`
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

type fixtureEncoded struct {
	Value json.RawMessage `json:"value"`
	Borsh string          `json:"borsh"`
	Hash  string          `json:"hash"`
}

type fixtureAccount struct {
	Address string          `json:"address"`
	Exists  bool            `json:"exists"`
	Value   json.RawMessage `json:"value"`
}

type fixtureUsername struct {
	Username string  `json:"username"`
	Address  *string `json:"address"`
}

type fixtureBlock struct {
	Height       string            `json:"height"`
	Hash         string            `json:"hash"`
	StateRoot    string            `json:"state_root"`
	Header       fixtureEncoded    `json:"header"`
	Transactions []string          `json:"transactions"`
	Receipts     []fixtureEncoded  `json:"receipts"`
	Accounts     []fixtureAccount  `json:"accounts"`
	Usernames    []fixtureUsername `json:"usernames"`
}

type fixtureExpected struct {
	Kind         string         `json:"kind"`
	Name         string         `json:"name"`
	Doc          string         `json:"doc"`
	Source       string         `json:"source"`
	GenesisHash  string         `json:"genesis_hash"`
	GenesisBlock fixtureEncoded `json:"genesis_block"`
	Import       importReport   `json:"import"`
	Blocks       []fixtureBlock `json:"blocks"`
	Final        *struct {
		Height    string            `json:"height"`
		StateRoot string            `json:"state_root"`
		Accounts  []fixtureAccount  `json:"accounts"`
		Usernames []fixtureUsername `json:"usernames"`
	} `json:"final"`
}

// importReport is the last line an adapter's import prints
// (conformance/CLIENT.md, "Import report").
type importReport struct {
	ImportedHeight *uint64 `json:"imported_height"`
	RefusedHeight  *uint64 `json:"refused_height,omitempty"`
	Reason         string  `json:"reason,omitempty"`
}

func (r importReport) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// reasonSections names the rule behind each refusal reason
// (spec/consensus.md "Importing a chain" lists them).
var reasonSections = map[string]string{
	"decode_error":               `conformance/CLIENT.md "Chain files"`,
	"conflicting_block":          `spec/consensus.md "Importing a chain" (blocks already held)`,
	"wrong_parent":               `spec/state.md "Block validity" (parent_hash)`,
	"wrong_transactions_root":    `spec/state.md "Block validity" (transactions_root)`,
	"bad_certificate":            `spec/consensus.md "Quorum", "Commit proof and block sync"`,
	"bad_commit_proof":           `spec/consensus.md "Commit rule", "Commit proof and block sync"`,
	"no_commit_proof":            `spec/consensus.md "Commit proof and block sync"`,
	"bad_header":                 `spec/state.md "Block validity" (header); "The base fee"`,
	"non_includable_transaction": `spec/state.md "Includability"`,
	"wrong_state_root":           `spec/state.md "Block validity", "Fee, nonce, then the type"`,
	"wrong_receipts_root":        `spec/state.md "Block validity" (receipts_root), "Fee, nonce, then the type"`,
	"wrong_gas_used":             `spec/state.md "Block validity" (gas_used)`,
}

// acceptedSections name the rules a fixture that imports whole exercises,
// by fixture name; others get the sections their doc names.
var acceptedSections = map[string]string{
	"base_fee":     `spec/state.md "The base fee"`,
	"transactions": `spec/state.md "Fee, nonce, then the type", "Includability"`,
	"view_change":  `spec/consensus.md "Messages and flow" (timeout certificates), "Commit rule"`,
}

var docSection = regexp.MustCompile(`spec/[a-z]+\.md,? "[^"]+"`)

func fixtureSpec(e *fixtureExpected) string {
	s := `spec/consensus.md "Importing a chain"`
	if e.Import.RefusedHeight != nil {
		if sec := reasonSections[e.Import.Reason]; sec != "" {
			s += "; " + sec
		}
	} else if sec := acceptedSections[e.Name]; sec != "" {
		s += "; " + sec
	}
	for _, m := range docSection.FindAllString(e.Doc, -1) {
		if !strings.Contains(s, m) {
			s += "; " + m
		}
	}
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	return s
}

// importPhase runs one check per fixture: import it through the adapter,
// then run the node on the result and read it back over REST.
func (r *runner) importPhase(ctx context.Context) {
	// Which checks Only selects depends on the fixtures' names, so the
	// manifest is looked at first; when it cannot be read, only a run of
	// everything (or of import/manifest) reports that.
	var m fixtureManifest
	ids := []string{"import/manifest"}
	if b, err := os.ReadFile(filepath.Join(r.cfg.Fixtures, "manifest.json")); err == nil && json.Unmarshal(b, &m) == nil {
		for _, f := range m.Fixtures {
			ids = append(ids, "import/"+f.Name)
		}
	}
	if !r.anySelected(ids) {
		return
	}
	m = fixtureManifest{}
	// The manifest check runs whatever Only selects: every fixture needs it.
	ok := r.runCheck(ctx, "import/manifest", "conformance/vectors-chain/manifest.json (every file listed, with its SHA-256)", func(c *C) {
		if r.cfg.Fixtures == "" {
			c.Setupf("no fixtures directory (--fixtures)")
		}
		b, err := os.ReadFile(filepath.Join(r.cfg.Fixtures, "manifest.json"))
		if err != nil {
			c.Setupf("%v", err)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			c.Setupf("manifest.json: %v", err)
		}
		if m.FormatVersion != fixtureFormat {
			c.Setupf("manifest format_version %d; this suite reads %d", m.FormatVersion, fixtureFormat)
		}
		files := make([]string, 0, len(m.Files))
		for _, f := range m.Files {
			files = append(files, f.Path)
			b, err := os.ReadFile(filepath.Join(r.cfg.Fixtures, filepath.FromSlash(f.Path)))
			if err != nil {
				c.Setupf("%v", err)
			}
			if sum := sha256.Sum256(b); "0x"+hex.EncodeToString(sum[:]) != f.SHA256 {
				c.Setupf("%s: SHA-256 %x, the manifest says %s", f.Path, sum, f.SHA256)
			}
		}
		r.cov.fixtureFiles(files)
		if len(m.Fixtures) == 0 {
			c.Setupf("the manifest lists no fixtures")
		}
	})
	if !ok {
		return
	}
	for _, f := range m.Fixtures {
		id := "import/" + f.Name
		if !r.selected(id) {
			continue
		}
		var e fixtureExpected
		paths := []string{f.Genesis, f.Chain, f.Expected}
		b, err := os.ReadFile(filepath.Join(r.cfg.Fixtures, filepath.FromSlash(f.Expected)))
		if err == nil {
			err = json.Unmarshal(b, &e)
		}
		spec := `spec/consensus.md "Importing a chain"`
		if err == nil {
			spec = fixtureSpec(&e)
		}
		r.check(ctx, id, spec, func(c *C) {
			if err != nil {
				c.Setupf("%s: %v", f.Expected, err)
			}
			abs := func(p string) string { return filepath.Join(r.cfg.Fixtures, filepath.FromSlash(p)) }
			r.importFixture(c, f.Name, abs(f.Genesis), abs(f.Chain), &e)
			if !c.Failed() {
				for _, p := range paths {
					r.cov.fixtureUsed(p, id)
				}
			}
		})
	}
}

// importFixture imports one fixture and reads everything expected back.
func (r *runner) importFixture(c *C, name, genesisPath, chainPath string, e *fixtureExpected) {
	if e.Import.ImportedHeight == nil {
		c.Setupf("expected.json has no import.imported_height")
	}
	dir := filepath.Join(r.work, "import", name)
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		c.Setupf("%v", err)
	}
	env := cleanEnv(map[string]string{"ORAMA_GENESIS": genesisPath, "ORAMA_DATA_DIR": dataDir, "ORAMA_CHAIN_FILE": chainPath})
	logPath := logName(r.work, "adapter-import-"+name)
	r.procs.log("adapter import "+name, logPath)
	out, status, err := runOnce(c.ctx, []string{r.cfg.Adapter, "import"}, env, logPath, 120*time.Second)
	if err != nil {
		c.Fatalf("adapter import: %v (log %s)", err, logPath)
	}
	rep, perr := lastJSONLine(out)
	wantStatus := 0
	if e.Import.RefusedHeight != nil {
		wantStatus = 3
	}
	switch {
	case status != 0 && status != 3:
		c.Fatalf("adapter import exited %d, an adapter failure (conformance/CLIENT.md); log %s", status, logPath)
	case perr != nil:
		c.Fatalf("adapter import: no report on the last line of stdout: %v", perr)
	case status != wantStatus:
		c.Errorf("adapter import exited %d with %s; want %d and %s", status, rep, wantStatus, e.Import)
	case !sameReport(rep, e.Import):
		c.Errorf("import report %s; want %s", rep, e.Import)
	}

	// Read the result back over REST.
	ports, err := freePorts(1)
	if err != nil {
		c.Setupf("%v", err)
	}
	env = cleanEnv(map[string]string{"ORAMA_GENESIS": genesisPath, "ORAMA_DATA_DIR": dataDir, "ORAMA_API_LISTEN": ports[0]})
	p, err := startProc("adapter run "+name, []string{r.cfg.Adapter, "run"}, env, logName(r.work, "adapter-run-"+name))
	if err != nil {
		c.Setupf("%v", err)
	}
	r.procs.add(p)
	defer p.stop()
	cl := newClient("the node under test", ports[0], r.spec, r.cov)
	if err := waitReady(c.ctx, cl, p, 30*time.Second); err != nil {
		c.Fatalf("after the import: %v", err)
	}
	r.readBack(c, cl, e)
}

// lastJSONLine parses the last non-empty line of out as the report.
func lastJSONLine(out []byte) (importReport, error) {
	var rep importReport
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return rep, errors.New("stdout is empty")
	}
	dec := json.NewDecoder(strings.NewReader(last))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return rep, fmt.Errorf("%q: %w", last, err)
	}
	if rep.ImportedHeight == nil {
		return rep, fmt.Errorf("%q has no imported_height", last)
	}
	return rep, nil
}

func sameReport(a, b importReport) bool {
	eq := func(x, y *uint64) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return eq(a.ImportedHeight, b.ImportedHeight) && eq(a.RefusedHeight, b.RefusedHeight) && a.Reason == b.Reason
}

// readBack compares what the node serves after an import with the
// fixture: the chain status, block 0, every block's header, transactions
// and receipts, the accounts and usernames after each block, and nothing
// above the imported height.
func (r *runner) readBack(c *C, cl *client, e *fixtureExpected) {
	imported := *e.Import.ImportedHeight
	var g types.Genesis
	var st api.ChainStatus
	if cl.get(c, "getChainStatus", "/v1/chain/status", &st) {
		if st.Height != u64s(imported) || st.FinalizedHeight != u64s(imported) {
			c.Errorf("after the import: height %s, finalized %s; want %d (the import report's)", st.Height, st.FinalizedHeight, imported)
		}
		if st.GenesisHash != e.GenesisHash {
			c.Errorf("genesis_hash %s; want %s", st.GenesisHash, e.GenesisHash)
		}
	}
	var set *consensus.ValidatorSet
	var chainID uint64
	var vals struct {
		Validators []api.Validator `json:"validators"`
	}
	if cl.get(c, "getValidators", "/v1/validators", &vals) {
		for _, v := range vals.Validators {
			var tv types.Validator
			if err := fromAPI(v, &tv); err != nil {
				c.Errorf("validator %s: %v", jsonOf(v), err)
				continue
			}
			g.Validators = append(g.Validators, tv)
		}
		var err error
		if set, err = consensus.NewValidatorSetFromValidators(g.Validators); err != nil {
			c.Errorf("validator set: %v", err)
		}
		chainID = atou(st.ChainId)
	}

	// Block 0 and each block, by height.
	blocks := append([]fixtureBlock{{Height: "0", Hash: e.GenesisBlock.Hash, Header: e.GenesisBlock}}, e.Blocks...)
	for _, fb := range blocks {
		r.readBlock(c, cl, &fb)
		if fb.Height != "0" {
			r.readAccounts(c, cl, fb.Height, fb.Accounts, set, chainID)
			r.readUsernames(c, cl, fb.Usernames, fb.Height)
		}
	}
	cl.fails(c, get("getBlock", "/v1/blocks/"+u64s(imported+1)), 404, "not_found")
	if e.Final != nil {
		if e.Final.Height != u64s(imported) {
			c.Errorf("the fixture's final height %s is not its imported height %d (a bad fixture)", e.Final.Height, imported)
		}
		var b api.Block
		if cl.get(c, "getBlock", "/v1/blocks/"+e.Final.Height, &b) && b.Header.StateRoot != e.Final.StateRoot {
			c.Errorf("final block %s: state root %s; want %s", e.Final.Height, b.Header.StateRoot, e.Final.StateRoot)
		}
		r.readAccounts(c, cl, "", e.Final.Accounts, set, chainID)
		r.readUsernames(c, cl, e.Final.Usernames, "")
	}
}

// readBlock checks one block: its hash and header encoding, its
// transactions, and their receipts and places.
func (r *runner) readBlock(c *C, cl *client, fb *fixtureBlock) {
	var b api.Block
	if !cl.get(c, "getBlock", "/v1/blocks/"+fb.Height, &b) {
		return
	}
	hd, hh, err := headerFromAPI(b.Header)
	if err != nil {
		c.Errorf("block %s: %v", fb.Height, err)
		return
	}
	enc, _ := hd.MarshalBorsh()
	if hashHex(hh) != fb.Hash || b.Hash != fb.Hash || "0x"+hex.EncodeToString(enc) != fb.Header.Borsh {
		c.Errorf("block %s: hash %s (shown %s); want %s with the fixture's header", fb.Height, hashHex(hh), b.Hash, fb.Hash)
		return
	}
	if len(b.Transactions) != len(fb.Transactions) {
		c.Errorf("block %s: %d transactions; want %d", fb.Height, len(b.Transactions), len(fb.Transactions))
		return
	}
	for i, at := range b.Transactions {
		_, th, err := txFromAPI(at)
		if err != nil || hashHex(th) != fb.Transactions[i] {
			c.Errorf("block %s transaction %d: %s (%v); want %s", fb.Height, i, hashHex(th), err, fb.Transactions[i])
			continue
		}
		if i >= len(fb.Receipts) {
			continue
		}
		st, ok := cl.txStatus(c, th)
		if !ok {
			continue
		}
		if st.Receipt == nil || st.Height == nil || *st.Height != fb.Height || st.Index == nil || int(*st.Index) != i {
			c.Errorf("transaction %s: shown %s; want block %s index %d with a receipt", fb.Transactions[i], jsonOf(st), fb.Height, i)
			continue
		}
		rc, err := receiptFromAPI(*st.Receipt)
		if err != nil {
			c.Errorf("receipt of %s: %v", fb.Transactions[i], err)
			continue
		}
		got, _ := rc.MarshalBorsh()
		if "0x"+hex.EncodeToString(got) != fb.Receipts[i].Borsh {
			c.Errorf("receipt of %s (block %s): %s; want %s", fb.Transactions[i], fb.Height, jsonOf(st.Receipt), compact(fb.Receipts[i].Value))
			continue
		}
		wantStatus := api.Finalized
		if rc.Status != types.TxStatusSuccess {
			wantStatus = api.Rejected
			if st.Reason == nil || *st.Reason != rc.Status.String() {
				c.Errorf("transaction %s failed with %v: reason %v", fb.Transactions[i], rc.Status, st.Reason)
			}
			r.cov.txOutcome(txType(at), "failed")
		} else {
			r.cov.txOutcome(txType(at), "succeeded")
		}
		if st.Status != wantStatus {
			c.Errorf("transaction %s: status %q; want %q", fb.Transactions[i], st.Status, wantStatus)
		}
	}
}

// txType is the type an API transaction names.
func txType(t api.Transaction) types.TxType {
	var tt types.TxType
	tt.UnmarshalText([]byte(t.Type))
	return tt
}

// readAccounts compares accounts with the fixture's: at height h ("" for
// the head) by plain read and by a proof a light client verifies.
func (r *runner) readAccounts(c *C, cl *client, h string, accounts []fixtureAccount, set *consensus.ValidatorSet, chainID uint64) {
	for _, fa := range accounts {
		var want types.Account
		var addr types.Address
		if err := addr.UnmarshalText([]byte(fa.Address)); err != nil {
			c.Setupf("fixture account %q: %v", fa.Address, err)
		}
		if fa.Exists {
			if err := json.Unmarshal(fa.Value, &want); err != nil {
				c.Setupf("fixture account %s: %v", fa.Address, err)
			}
		} else {
			want = types.Account{Address: addr}
		}
		q := "proof=true"
		at := "the head"
		if h != "" {
			q += "&height=" + h
			at = "block " + h
		}
		var ar api.AccountResponse
		if !cl.get(c, "getAccount", "/v1/accounts/"+crypto.FormatAddress(addr)+"?"+q, &ar) {
			continue
		}
		var got types.Account
		if err := fromAPI(ar.Account, &got); err != nil || !deepEqual(&got, &want) {
			c.Errorf("account %s at %s: %s; want %s", crypto.FormatAddress(addr), at, jsonOf(ar.Account), compact(fa.Value))
			continue
		}
		if set == nil {
			continue
		}
		pa, err := verifyAccountProof(&ar, addr, set, chainID, false)
		if err != nil {
			c.Errorf("account %s at %s: the proof does not verify: %v", crypto.FormatAddress(addr), at, err)
			continue
		}
		if pa.exists != fa.Exists {
			c.Errorf("account %s at %s: proven exists=%v; the fixture says %v", crypto.FormatAddress(addr), at, pa.exists, fa.Exists)
		}
	}
}

// readUsernames resolves each @name: to the fixture's address, or no
// account (unknown_username, or invalid_account for a name that breaks the
// format rules).
func (r *runner) readUsernames(c *C, cl *client, names []fixtureUsername, h string) {
	for _, u := range names {
		target := "/v1/accounts/" + url.PathEscape("@"+u.Username)
		if h != "" {
			target += "?height=" + h
		}
		if u.Address == nil {
			if crypto.ValidateUsername(u.Username) != nil {
				cl.fails(c, get("getAccount", target), 400, "invalid_account")
			} else if h == "" {
				// A username resolves at the head (spec/openapi.yaml getAccount):
				// only there is a name no one holds unknown.
				cl.fails(c, get("getAccount", target), 404, "unknown_username")
			}
			continue
		}
		var ar api.AccountResponse
		if !cl.get(c, "getAccount", target, &ar) {
			continue
		}
		var want types.Address
		if err := want.UnmarshalText([]byte(*u.Address)); err != nil {
			c.Setupf("fixture username %s: %v", u.Username, err)
		}
		if ar.Account.Address != crypto.FormatAddress(want) {
			c.Errorf("@%s names %s; want %s", u.Username, ar.Account.Address, crypto.FormatAddress(want))
		}
	}
}

// compact is raw JSON on one line.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
