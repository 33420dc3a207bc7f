package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/chainfile"
)

// The import tests use the committed chain fixtures
// (conformance/vectors-chain, gen/chainvectors); conformance/'s runner
// checks every fixture's roots and receipts, these what only a node on
// disk can show: resuming, a conflicting chain, persistence, the index.
const fixtures = "../../conformance/vectors-chain"

func readFixture(t *testing.T, name string) (*types.Genesis, []byte) {
	t.Helper()
	gb, err := os.ReadFile(filepath.Join(fixtures, name, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g types.Genesis
	if err := json.Unmarshal(gb, &g); err != nil {
		t.Fatal(err)
	}
	chain, err := os.ReadFile(filepath.Join(fixtures, name, "chain.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return &g, chain
}

func openImportNode(t *testing.T, dir string, g *types.Genesis) *Node {
	t.Helper()
	n, err := New(Config{DataDir: dir, NoSync: true}, g, testKey(99))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func importFile(t *testing.T, n *Node, file []byte) chainfile.Report {
	t.Helper()
	rep, err := n.Import(context.Background(), bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// firstRecords returns the first k records of a chain file.
func firstRecords(t *testing.T, file []byte, k int) []byte {
	t.Helper()
	off := 0
	for range k {
		if off+4 > len(file) {
			t.Fatalf("the file has fewer than %d records", k)
		}
		off += 4 + int(binary.LittleEndian.Uint32(file[off:]))
	}
	return file[:off]
}

// TestImportResumes imports a chain in two parts on one data dir, closing
// the node in between: the second import skips what the first committed
// and ends at the same head, with the same hashes, as one import.
func TestImportResumes(t *testing.T) {
	g, file := readFixture(t, "view_change")
	whole := openImportNode(t, t.TempDir(), g)
	defer whole.Close()
	want := importFile(t, whole, file)
	if want.Refused() || want.ImportedHeight != 7 {
		t.Fatalf("whole import: %+v", want)
	}

	dir := t.TempDir()
	n := openImportNode(t, dir, g)
	// Two records: blocks 1 and 2.
	if rep := importFile(t, n, firstRecords(t, file, 2)); rep.Refused() || rep.ImportedHeight != 2 {
		t.Fatalf("first part: %+v", rep)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = openImportNode(t, dir, g)
	defer n.Close()
	if h := n.Head().Header.Height; h != 2 {
		t.Fatalf("reopened at height %d, want 2", h)
	}
	if rep := importFile(t, n, file); rep.Refused() || rep.ImportedHeight != 7 {
		t.Fatalf("second import: %+v", rep)
	}
	for h := uint64(0); h <= 7; h++ {
		a, err := whole.Store().Block(h)
		if err != nil {
			t.Fatal(err)
		}
		b, err := n.Store().Block(h)
		if err != nil {
			t.Fatal(err)
		}
		if mustHash(&a.Header) != mustHash(&b.Header) {
			t.Fatalf("height %d differs between one import and two", h)
		}
	}
	// Importing the same file again changes nothing.
	if rep := importFile(t, n, file); rep.Refused() || rep.ImportedHeight != 7 {
		t.Fatalf("third import: %+v", rep)
	}
}

// TestImportConflictingChain imports a chain of the same genesis but other
// blocks onto a node that holds one: block 1 differs, so it is refused as
// conflicting_block and the node keeps its chain.
func TestImportConflictingChain(t *testing.T) {
	g, file := readFixture(t, "transactions")
	g2, other := readFixture(t, "view_change")
	gh, _ := g.Hash()
	gh2, _ := g2.Hash()
	if gh != gh2 {
		t.Fatal("the two fixtures no longer share a genesis: pick two that do")
	}
	n := openImportNode(t, t.TempDir(), g)
	defer n.Close()
	if rep := importFile(t, n, file); rep.Refused() {
		t.Fatalf("import: %+v", rep)
	}
	head := n.Head()
	rep := importFile(t, n, other)
	if !rep.Refused() || rep.Reason != chainfile.ReasonConflictingBlock || *rep.RefusedHeight != 1 || rep.ImportedHeight != head.Header.Height {
		t.Fatalf("conflicting import: %+v, want conflicting_block at 1, head %d", rep, head.Header.Height)
	}
	if n.Head() != head {
		t.Fatal("a refused import moved the head")
	}
}

// TestImportRefusalPersists: a refused block leaves the chain, on disk,
// at the block before it; the blocks before it are indexed and served
// like synced blocks.
func TestImportRefusalPersists(t *testing.T) {
	g, file := readFixture(t, "refused_wrong_state_root")
	var exp struct {
		Blocks []struct {
			Height       string   `json:"height"`
			StateRoot    string   `json:"state_root"`
			Transactions []string `json:"transactions"`
		} `json:"blocks"`
	}
	eb, err := os.ReadFile(filepath.Join(fixtures, "refused_wrong_state_root", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(eb, &exp); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := openImportNode(t, dir, g)
	rep := importFile(t, n, file)
	if !rep.Refused() || rep.Reason != chainfile.ReasonWrongStateRoot || *rep.RefusedHeight != 3 || rep.ImportedHeight != 2 {
		t.Fatalf("import: %+v", rep)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = openImportNode(t, dir, g)
	defer n.Close()
	head := n.Head().Header
	if head.Height != 2 || head.StateRoot.String() != exp.Blocks[1].StateRoot {
		t.Fatalf("reopened at %d %v, want 2 %s", head.Height, head.StateRoot, exp.Blocks[1].StateRoot)
	}
	if n.State().Root() != head.StateRoot {
		t.Fatal("the head state is not the head block's")
	}
	for _, b := range exp.Blocks {
		for _, th := range b.Transactions {
			var h types.Hash
			if err := h.UnmarshalText([]byte(th)); err != nil {
				t.Fatal(err)
			}
			ok, err := n.included(h)
			if err != nil || !ok {
				t.Fatalf("transaction %s of block %s not indexed: %v", th, b.Height, err)
			}
		}
	}
}

// TestImportRefusesEmptyAndGarbage: an empty file imports nothing and is
// no refusal; bytes that are no record are a decode error at the next height.
func TestImportRefusesEmptyAndGarbage(t *testing.T) {
	g, _ := readFixture(t, "transactions")
	n := openImportNode(t, t.TempDir(), g)
	defer n.Close()
	if rep := importFile(t, n, nil); rep.Refused() || rep.ImportedHeight != 0 {
		t.Fatalf("empty file: %+v", rep)
	}
	rep := importFile(t, n, []byte{5, 0, 0, 0, 1, 2, 3, 4, 5})
	if !rep.Refused() || rep.Reason != chainfile.ReasonDecodeError || *rep.RefusedHeight != 1 {
		t.Fatalf("garbage: %+v", rep)
	}
}
