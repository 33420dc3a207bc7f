package chainvectors

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/chainfile"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

const (
	casesDir     = "../../spec/cases/chain"
	committedDir = "../../conformance/vectors-chain"
)

// readTree returns every file under dir but the top README.md, by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "README.md" {
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compareTrees(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for p, w := range want {
		switch g, ok := got[p]; {
		case !ok:
			t.Errorf("%s: %s missing", what, p)
		case !bytes.Equal(g, w):
			t.Errorf("%s: %s differs", what, p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: extra file %s", what, p)
		}
	}
}

// built is shared by the tests that read the fixtures: building them signs
// and executes a few thousand transactions.
var builtFiles []File

func build(t *testing.T) map[string][]byte {
	t.Helper()
	if builtFiles == nil {
		fs, err := Build(casesDir)
		if err != nil {
			t.Fatal(err)
		}
		builtFiles = fs
	}
	out := map[string][]byte{}
	for _, f := range builtFiles {
		out[f.Path] = f.Data
	}
	return out
}

// TestGenerateTwiceIdentical: two runs into fresh directories give the
// same bytes, and a rerun over a tree replaces it exactly, keeping README.md.
func TestGenerateTwiceIdentical(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := Generate(casesDir, d); err != nil {
			t.Fatal(err)
		}
	}
	ta := readTree(t, a)
	compareTrees(t, "second run", readTree(t, b), ta)
	compareTrees(t, "Build", build(t), ta)

	if err := os.WriteFile(filepath.Join(a, "README.md"), []byte("doc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(a, "gone"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "gone", "chain.bin"), []byte{1}, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Generate(casesDir, a); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, "rerun", readTree(t, a), ta)
	if _, err := os.Stat(filepath.Join(a, "gone")); !os.IsNotExist(err) {
		t.Errorf("a removed fixture's directory survives a rerun: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(a, "README.md")); err != nil || string(b) != "doc" {
		t.Errorf("README.md not kept: %q %v", b, err)
	}
}

// TestCommittedFixturesUpToDate fails when conformance/vectors-chain
// differs from what the cases give: run `make generate`.
func TestCommittedFixturesUpToDate(t *testing.T) {
	compareTrees(t, "committed conformance/vectors-chain (run make generate)", readTree(t, committedDir), build(t))
}

// expectedFile is the part of expected.json the coverage test reads.
type expectedFile struct {
	Name    string                            `json:"name"`
	Records []recordOut                       `json:"records"`
	Import  importOut                         `json:"import"`
	Refused *refusedOut                       `json:"refused"`
	Blocks  []blockOut                        `json:"blocks"`
	Final   struct{ Usernames []usernameOut } `json:"final"`
}

// TestCoverage checks that the fixtures cover what issue 14 asks of them:
// every active transaction type succeeding, failed and charged
// transactions, the base fee rising and falling, usernames, several
// proposers, a view change with a multi-block record, and every refusal
// reason a single chain file can show.
func TestCoverage(t *testing.T) {
	tree := build(t)
	var all []expectedFile
	for p, data := range tree {
		if !strings.HasSuffix(p, "/expected.json") {
			continue
		}
		var e expectedFile
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		all = append(all, e)
	}
	successTypes := map[types.TxType]bool{}
	failures := map[types.TxStatus]bool{}
	reasons := map[string]bool{}
	proposers := map[string]bool{}
	baseUp, baseDown, multi, claimed := false, false, false, false
	for _, e := range all {
		if e.Refused != nil {
			reasons[e.Refused.Reason] = true
			if e.Import.Reason != e.Refused.Reason || e.Import.RefusedHeight == nil {
				t.Errorf("%s: import report %+v disagrees with refused %+v", e.Name, e.Import, e.Refused)
			}
		}
		if uint64(len(e.Blocks)) != e.Import.ImportedHeight {
			t.Errorf("%s: %d blocks listed, imported height %d", e.Name, len(e.Blocks), e.Import.ImportedHeight)
		}
		for _, r := range e.Records {
			multi = multi || (r.FirstHeight != r.LastHeight && r.Proof)
		}
		for i, b := range e.Blocks {
			proposers[b.Proposer] = true
			if i > 0 {
				now, _ := strconv.ParseUint(b.BaseFee, 10, 64)
				prev, _ := strconv.ParseUint(e.Blocks[i-1].BaseFee, 10, 64)
				baseUp = baseUp || now > prev
				baseDown = baseDown || now < prev
			}
			for _, r := range b.Receipts {
				var rc types.Receipt
				if err := json.Unmarshal(r.Value, &rc); err != nil {
					t.Fatal(err)
				}
				if rc.Status != types.TxStatusSuccess {
					failures[rc.Status] = true
					if rc.GasUsed == 0 || rc.FeeBurned == 0 {
						t.Errorf("%s: a failed transaction paid nothing: %+v", e.Name, rc)
					}
					continue
				}
				for _, ev := range rc.Events {
					switch ev.Topic {
					case "transfer":
						successTypes[types.TxTypeTransfer] = true
					case "username":
						successTypes[types.TxTypeClaimUsername] = true
						claimed = true
					}
				}
			}
		}
	}
	for ty := range types.TxType(15) {
		if txrules.Active(ty) && !successTypes[ty] {
			t.Errorf("no successful %v transaction", ty)
		}
	}
	for _, st := range []types.TxStatus{types.TxStatusUnsupportedType, types.TxStatusInvalidPayload, types.TxStatusInsufficientBalance,
		types.TxStatusUsernameTaken, types.TxStatusUsernameAlreadySet, types.TxStatusUsernameInvalid, types.TxStatusInvalidRecipient} {
		if !failures[st] {
			t.Errorf("no failed transaction with status %v", st)
		}
	}
	for _, r := range chainfile.Reasons {
		// conflicting_block needs a node that already holds another chain:
		// runtime/node's import tests cover it.
		if r != chainfile.ReasonConflictingBlock && !reasons[r] {
			t.Errorf("no fixture refused for %s", r)
		}
	}
	if !baseUp || !baseDown || !multi || !claimed || len(proposers) < 3 {
		t.Errorf("base fee up %v, down %v; multi-block record %v; username claimed %v; %d proposers",
			baseUp, baseDown, multi, claimed, len(proposers))
	}
}

// writeCases copies the cases to a temporary directory with one file
// replaced by edit of it, for the negative controls.
func writeCases(t *testing.T, file string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"keys.yaml", file} {
		b, err := os.ReadFile(filepath.Join(casesDir, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if f == file {
			s2 := edit(s)
			if s2 == s {
				t.Fatalf("edit of %s changed nothing", f)
			}
			s = s2
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRefusesWrongExpectations: the generator writes nothing when a case
// states what the executor or the import does not give.
func TestRefusesWrongExpectations(t *testing.T) {
	for _, c := range []struct {
		name, file, old, new, want string
	}{
		{"a status", "transactions.yaml", "username: alice, expect: Success", "username: alice, expect: UsernameTaken", "the executor says Success"},
		{"an includability reason", "refused_bad_nonce.yaml", "refused: BadNonce", "refused: InsufficientBalance", "the case expects it refused for InsufficientBalance"},
		{"a status before a refused one", "refused_bad_nonce.yaml", "{from: carol, to: alice, amount: 3, expect: Success}\n      - {from: alice, to: carol, amount: 4, nonce: 7",
			"{from: carol, to: alice, amount: 3, expect: InvalidPayload}\n      - {from: alice, to: carol, amount: 4, nonce: 7", "tx 0: the executor says Success, the case expects InvalidPayload"},
		{"a refusal reason", "refused_wrong_state_root.yaml", "reason: wrong_state_root", "reason: wrong_receipts_root", "the case expects block 3 for wrong_receipts_root"},
		{"a refused height", "refused_bad_vote.yaml", "{height: 2, reason: bad_certificate}", "{height: 3, reason: bad_certificate}", "the case expects block 3"},
		{"an imported height", "view_change.yaml", "imported_height: 7", "imported_height: 6", "the case expects 6"},
		{"no refusal", "refused_wrong_gas_used.yaml", "defect: {gas_used: 101}\n  - {}\nexpect:\n  imported_height: 1", "defect: {}\n  - {}\nexpect:\n  imported_height: 3", "import refuses nothing"},
		{"a proposer", "transactions.yaml", "  - doc: An empty block.\n", "  - doc: An empty block.\n    proposer: alice\n", "the leader is"},
		{"a valid signature", "refused_bad_tx_signature.yaml", "signed_by: bob, ", "", "its signature is valid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeCases(t, c.file, func(s string) string { return strings.Replace(s, c.old, c.new, 1) })
			_, err := Build(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Build: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestKeyAddressChecked: a key whose stated address is not its own is an
// error, so keys.yaml cannot drift from the keys it names.
func TestKeyAddressChecked(t *testing.T) {
	dir := writeCases(t, "keys.yaml", func(s string) string {
		return strings.Replace(s, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF", 1)
	})
	if _, err := Build(dir); err == nil || !strings.Contains(err.Error(), "derives address") {
		t.Fatalf("Build: %v", err)
	}
}
