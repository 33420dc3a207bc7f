package suite

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// The suite's arithmetic is checked against the state vectors, which are
// generated independently of the node; the suite is then only as trusted
// as the vectors, never as the node it tests.

const stateVectors = "../vectors-state"

func TestNextBaseFeeVectors(t *testing.T) {
	var f struct {
		Cases []struct {
			Name          string `json:"name"`
			ParentBaseFee string `json:"parent_base_fee"`
			ParentGasUsed string `json:"parent_gas_used"`
			NextBaseFee   string `json:"next_base_fee"`
		} `json:"cases"`
	}
	readJSON(t, filepath.Join(stateVectors, "base_fee", "base_fee.json"), &f)
	if len(f.Cases) < 5 {
		t.Fatalf("%d base fee cases", len(f.Cases))
	}
	for _, c := range f.Cases {
		got := nextBaseFee(mustU64(t, c.ParentBaseFee), mustU64(t, c.ParentGasUsed))
		if strconv.FormatUint(got, 10) != c.NextBaseFee {
			t.Errorf("%s: nextBaseFee(%s, %s) = %d, want %s", c.Name, c.ParentBaseFee, c.ParentGasUsed, got, c.NextBaseFee)
		}
	}
	// The rounding the negative control flips: 9 over an empty block is 8,
	// not 7 (9/8 rounds down to 1).
	if got := nextBaseFee(9, 0); got != 8 {
		t.Errorf("nextBaseFee(9, 0) = %d, want 8", got)
	}
}

// stateCase is the part of a state-transition vector the suite's rules
// are checked against.
type stateCase struct {
	Name         string          `json:"name"`
	Genesis      json.RawMessage `json:"genesis"`
	GenesisHash  string          `json:"genesis_hash"`
	GenesisBlock struct {
		Value json.RawMessage `json:"value"`
		Hash  string          `json:"hash"`
	} `json:"genesis_block"`
	Env struct {
		Height   string `json:"height"`
		Proposer string `json:"proposer"`
		BaseFee  string `json:"base_fee"`
	} `json:"env"`
	Transactions []struct {
		Value json.RawMessage `json:"value"`
	} `json:"transactions"`
	Refused json.RawMessage `json:"refused"`
	Post    *struct {
		TransactionsRoot string `json:"transactions_root"`
		ReceiptsRoot     string `json:"receipts_root"`
		GasUsed          string `json:"gas_used"`
		Receipts         []struct {
			Value json.RawMessage `json:"value"`
		} `json:"receipts"`
	} `json:"post"`
}

func TestRulesAgainstStateVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(stateVectors, "state_transition", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no state-transition vectors: %v", err)
	}
	checked := 0
	for _, file := range files {
		var f struct {
			Cases []stateCase `json:"cases"`
		}
		readJSON(t, file, &f)
		for _, c := range f.Cases {
			var g types.Genesis
			if err := json.Unmarshal(c.Genesis, &g); err != nil {
				t.Fatalf("%s: genesis: %v", c.Name, err)
			}
			var want types.BlockHeader
			if err := json.Unmarshal(c.GenesisBlock.Value, &want); err != nil {
				t.Fatalf("%s: genesis block: %v", c.Name, err)
			}
			got, err := genesisHeader(&g)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			if !deepEqual(&got, &want) {
				t.Errorf("%s: genesis header\n got %s\nwant %s", c.Name, jsonOf(got), jsonOf(want))
			}
			if c.Post == nil {
				continue
			}
			baseFee := mustU64(t, c.Env.BaseFee)
			var hashes, receiptHashes []types.Hash
			var gas uint64
			for i, tx := range c.Transactions {
				var x types.Transaction
				if err := json.Unmarshal(tx.Value, &x); err != nil {
					t.Fatalf("%s: tx %d: %v", c.Name, i, err)
				}
				h, err := x.Hash()
				if err != nil {
					t.Fatal(err)
				}
				if i >= len(c.Post.Receipts) {
					break
				}
				var rc types.Receipt
				if err := json.Unmarshal(c.Post.Receipts[i].Value, &rc); err != nil {
					t.Fatal(err)
				}
				if rc.TxHash != h {
					continue // refused transactions are left out of the block
				}
				hashes = append(hashes, h)
				g, burned, tip := fees(&x, baseFee)
				if rc.GasUsed != g || rc.FeeBurned != burned || rc.FeeTip != tip {
					t.Errorf("%s: receipt %d: gas %d burned %d tip %d; the suite computes %d %d %d", c.Name, i, rc.GasUsed, rc.FeeBurned, rc.FeeTip, g, burned, tip)
				}
				rh, err := rc.Hash()
				if err != nil {
					t.Fatal(err)
				}
				receiptHashes = append(receiptHashes, rh)
				gas += rc.GasUsed
			}
			if len(hashes) != len(c.Post.Receipts) {
				continue // a case whose refusals the loop above cannot line up
			}
			if hashHex(merkleRoot(hashes)) != c.Post.TransactionsRoot || hashHex(merkleRoot(receiptHashes)) != c.Post.ReceiptsRoot {
				t.Errorf("%s: roots %s %s, want %s %s", c.Name, hashHex(merkleRoot(hashes)), hashHex(merkleRoot(receiptHashes)),
					c.Post.TransactionsRoot, c.Post.ReceiptsRoot)
			}
			if u64s(gas) != c.Post.GasUsed {
				t.Errorf("%s: gas %d, want %s", c.Name, gas, c.Post.GasUsed)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d state-transition cases checked", checked)
	}
}

func TestBlockReward(t *testing.T) {
	p, c := blockReward(1, 0, 0)
	if p != params.BlockRewardRays*80/100 || c != params.BlockRewardRays*20/100 {
		t.Errorf("height 1: proposer %d curve %d", p, c)
	}
	if p, c := blockReward(params.HalvingIntervalBlocks+1, 0, params.CurveInventoryCapRays); p != params.BlockRewardRays/2 || c != 0 {
		t.Errorf("after the first halving with the curve full: %d %d", p, c)
	}
	if p, c := blockReward(1, params.SupplyCapRays-10, 0); p+c != 10 {
		t.Errorf("at the supply cap: %d + %d, want 10", p, c)
	}
	if p, c := blockReward(0, 0, 0); p != 0 || c != 0 {
		t.Errorf("block 0 mints %d %d", p, c)
	}
}

func TestMerkleRootShape(t *testing.T) {
	h := func(b byte) types.Hash { return types.Hash{b} }
	empty := merkleRoot(nil)
	if hashHex(empty) != "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("root of nothing %s", hashHex(empty))
	}
	// Three leaves split 2 + 1, not 1 + 2.
	three := merkleRoot([]types.Hash{h(1), h(2), h(3)})
	left := merkleRoot([]types.Hash{h(1), h(2)})
	right := merkleRoot([]types.Hash{h(3)})
	node := append(append([]byte{1}, left[:]...), right[:]...)
	if three != sha(node) {
		t.Error("three leaves are not split at two")
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func mustU64(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sha(b []byte) types.Hash { return sha256.Sum256(b) }

// TestPlacementAgainstStateVectors: the suite's placement gives every
// namespace_created event of the state vectors, following each case's
// creates and deletes on its genesis validators.
func TestPlacementAgainstStateVectors(t *testing.T) {
	var f struct {
		Cases []stateCase `json:"cases"`
	}
	readJSON(t, filepath.Join(stateVectors, "state_transition", "namespaces.json"), &f)
	checked := 0
	for _, c := range f.Cases {
		if c.Post == nil {
			continue
		}
		var g types.Genesis
		if err := json.Unmarshal(c.Genesis, &g); err != nil {
			t.Fatal(err)
		}
		pool := make([]types.Address, len(g.Validators))
		for i, v := range g.Validators {
			pool[i] = v.Address
		}
		taken := map[types.Address][]uint8{}
		placed := map[string][]types.NamespaceNode{}
		for i, tx := range c.Transactions {
			var x types.Transaction
			var rc types.Receipt
			if err := json.Unmarshal(tx.Value, &x); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(c.Post.Receipts[i].Value, &rc); err != nil {
				t.Fatal(err)
			}
			if rc.Status != types.TxStatusSuccess {
				continue
			}
			switch x.Type {
			case types.TxTypeNamespaceCreate:
				var p types.NamespaceCreatePayload
				if err := p.UnmarshalBorsh(x.Data); err != nil {
					t.Fatal(err)
				}
				var ev types.NamespaceCreatedEvent
				if len(rc.Events) != 1 || ev.UnmarshalBorsh(rc.Events[0].Data) != nil {
					t.Fatalf("%s: tx %d: events %+v", c.Name, i, rc.Events)
				}
				got, ok := placement(pool, taken, p.Name, p.Nodes)
				if !ok || !deepEqual(&types.NamespaceCreatedEvent{Name: p.Name, Tier: p.Tier, Owner: x.From, Nodes: got}, &ev) {
					t.Errorf("%s: tx %d: the suite places %s on %s, the vector %s", c.Name, i, p.Name, jsonOf(got), jsonOf(ev.Nodes))
				}
				for _, n := range ev.Nodes {
					taken[n.Node] = append(taken[n.Node], n.Slot)
				}
				placed[p.Name] = ev.Nodes
				checked++
			case types.TxTypeNamespaceDelete:
				var p types.NamespaceDeletePayload
				if err := p.UnmarshalBorsh(x.Data); err != nil {
					t.Fatal(err)
				}
				for _, n := range placed[p.Name] {
					taken[n.Node] = slices.DeleteFunc(taken[n.Node], func(s uint8) bool { return s == n.Slot })
				}
				delete(placed, p.Name)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d namespace creates checked", checked)
	}
}
