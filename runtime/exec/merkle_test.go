package exec_test

import (
	"crypto/sha256"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
)

// The rule of spec/state.md, written out by hand: the root of no leaves is
// SHA-256(""), a leaf is SHA-256(0x00 || hash), an interior node is
// SHA-256(0x01 || left || right), and n leaves split at the largest power of
// two below n.
func leafH(h types.Hash) types.Hash {
	return sha256.Sum256(append([]byte{0x00}, h[:]...))
}

func nodeH(l, r types.Hash) types.Hash {
	b := append([]byte{0x01}, l[:]...)
	return sha256.Sum256(append(b, r[:]...))
}

func TestMerkleRoot(t *testing.T) {
	var h [6]types.Hash
	for i := range h {
		h[i] = sha256.Sum256([]byte{byte('a' + i)})
	}
	a, b, c, d, e := leafH(h[0]), leafH(h[1]), leafH(h[2]), leafH(h[3]), leafH(h[4])
	for _, tc := range []struct {
		name   string
		leaves []types.Hash
		want   types.Hash
	}{
		{"empty", nil, sha256.Sum256(nil)},
		{"empty non-nil", []types.Hash{}, sha256.Sum256(nil)},
		{"one", h[:1], a},
		{"two", h[:2], nodeH(a, b)},
		// 3 splits as 2 + 1.
		{"three", h[:3], nodeH(nodeH(a, b), c)},
		{"four", h[:4], nodeH(nodeH(a, b), nodeH(c, d))},
		// 5 splits as 4 + 1.
		{"five", h[:5], nodeH(nodeH(nodeH(a, b), nodeH(c, d)), e)},
		// 6 splits as 4 + 2.
		{"six", h[:6], nodeH(nodeH(nodeH(a, b), nodeH(c, d)), nodeH(e, leafH(h[5])))},
	} {
		if got := exec.MerkleRoot(tc.leaves); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Pinned value: SHA-256("").
	if got := exec.MerkleRoot(nil).String(); got != "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty root %s", got)
	}
	// A leaf can never pass for the node above it: order matters, and
	// one leaf is not its own root.
	if exec.MerkleRoot(h[:2]) == exec.MerkleRoot([]types.Hash{h[1], h[0]}) {
		t.Error("root ignores order")
	}
	if exec.MerkleRoot(h[:1]) == h[0] {
		t.Error("a single leaf is not hashed")
	}
}

// Execute's roots are MerkleRoot over the tx and receipt hashes in order.
func TestExecuteRoots(t *testing.T) {
	txs := []types.Transaction{
		transfer(alice, bob, 1, types.AssetOrama, 0),
		claim(alice, "bob", 1), // fails (UsernameTaken) but is included: in both roots
		transfer(alice, carol, 2, types.AssetBTC, 2),
	}
	_, res := runBlock(t, baseGenesis(), defaultEnv(), txs...)
	var th, rh []types.Hash
	for i := range txs {
		th = append(th, txHash(t, txs[i]))
		h, err := res.Receipts[i].Hash()
		if err != nil {
			t.Fatal(err)
		}
		rh = append(rh, h)
	}
	if res.TransactionsRoot != nodeH(nodeH(leafH(th[0]), leafH(th[1])), leafH(th[2])) {
		t.Error("transactions_root")
	}
	if res.ReceiptsRoot != nodeH(nodeH(leafH(rh[0]), leafH(rh[1])), leafH(rh[2])) {
		t.Error("receipts_root")
	}
	if r := res.Receipts[1]; r.Status != types.TxStatusUsernameTaken || r.TxHash != th[1] || r.GasUsed != 107 || r.FeeBurned != 107*defaultBase {
		t.Errorf("receipt 1: %+v", r)
	}
	for _, i := range []int{0, 2} {
		if r := res.Receipts[i]; r.Status != types.TxStatusSuccess || r.TxHash != th[i] {
			t.Errorf("receipt %d: %+v", i, r)
		}
	}
	if res.GasUsed != 307 {
		t.Errorf("block gas %d, want 100 + 107 + 100", res.GasUsed)
	}
}
