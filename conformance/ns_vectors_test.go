package conformance

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/ns"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// This file runs conformance/vectors-ns/ (format: vectors-ns/README.md)
// through runtime/ns.Verify, what `orama ns verify` runs: every log must
// replay to the head it states, every entry to the hash and root listed
// for its position, and every tampered log must fail at the position and
// check it is labelled with.

const nsDir = "vectors-ns"

type nsVector struct {
	Kind      string `json:"kind"`
	Namespace struct {
		Name          string `json:"name"`
		Tier          string `json:"tier"`
		Owner         string `json:"owner"`
		CreatedHeight string `json:"created_height"`
		Borsh         string `json:"borsh"`
	} `json:"namespace"`
	ChainID   string   `json:"chain_id"`
	Authority string   `json:"authority"`
	Entries   []string `json:"entries"`
	Positions []struct {
		Position, Kind, Status, Hash, Root string
	} `json:"positions"`
	Head struct {
		Entries, Hash, Root string
	} `json:"head"`
	Tampered []struct {
		Name string `json:"name"`
		Edit struct {
			Op, Index, Entry string
		} `json:"edit"`
		Mismatch struct {
			Position, What string
		} `json:"mismatch"`
	} `json:"tampered"`
}

func TestNamespaceReplayVectors(t *testing.T) {
	ctx := context.Background()
	v, err := ns.NewVM(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(ctx)
	runManifest(t, nsDir, 1, []string{"README.md"}, map[string]func(*testing.T, vectorFile) int{
		"ns_replay": func(t *testing.T, vf vectorFile) int {
			var vec nsVector
			if err := json.Unmarshal(vf.Raw, &vec); err != nil {
				t.Fatal(err)
			}
			return runNsVector(t, ctx, v, &vec)
		},
	})
}

// runNsVector checks one log and its tampered copies; it returns the cases
// it ran.
func runNsVector(t *testing.T, ctx context.Context, v *vm.VM, vec *nsVector) int {
	var meta types.NamespaceMeta
	if err := meta.UnmarshalBorsh(abiHex(t, vec.Namespace.Borsh)); err != nil {
		t.Fatal(err)
	}
	if meta.Name != vec.Namespace.Name || meta.Tier.String() != vec.Namespace.Tier || "0x"+hex.EncodeToString(meta.Owner[:]) != vec.Namespace.Owner ||
		strconv.FormatUint(meta.CreatedHeight, 10) != vec.Namespace.CreatedHeight {
		t.Fatalf("namespace fields %+v do not match its Borsh %+v", vec.Namespace, meta)
	}
	cfg := ns.VerifyConfig{Meta: meta, ChainID: abiU64(t, vec.ChainID), Authority: abiAddr(t, vec.Authority), VM: v}
	entries := make([][]byte, len(vec.Entries))
	for i, e := range vec.Entries {
		entries[i] = abiHex(t, e)
		var log types.TxLogEntry
		if err := log.UnmarshalBorsh(entries[i]); err != nil {
			t.Fatalf("entry %d: %v", i+1, err)
		}
		h, err := log.Hash()
		if err != nil {
			t.Fatal(err)
		}
		p := vec.Positions[i]
		if p.Position != strconv.Itoa(i+1) || log.Position != uint64(i+1) || "0x"+hex.EncodeToString(h[:]) != p.Hash ||
			"0x"+hex.EncodeToString(log.Root[:]) != p.Root || log.Outcome.Status.String() != p.Status {
			t.Fatalf("entry %d does not record what positions[%d] lists", i+1, i)
		}
	}
	rep, err := ns.Verify(ctx, cfg, &ns.SliceSource{Entries: entries})
	if err != nil {
		t.Fatalf("the log does not verify: %v", err)
	}
	if strconv.FormatUint(rep.Entries, 10) != vec.Head.Entries || "0x"+hex.EncodeToString(rep.Head[:]) != vec.Head.Hash ||
		"0x"+hex.EncodeToString(rep.Root[:]) != vec.Head.Root {
		t.Fatalf("replayed head %d %x %x, the vector says %+v", rep.Entries, rep.Head, rep.Root, vec.Head)
	}
	ran := 1
	for _, tc := range vec.Tampered {
		t.Run(tc.Name, func(t *testing.T) {
			i, err := strconv.Atoi(tc.Edit.Index)
			if err != nil || i < 1 || i > len(entries) {
				t.Fatalf("edit index %q", tc.Edit.Index)
			}
			edited := append([][]byte{}, entries...)
			switch tc.Edit.Op {
			case "replace":
				edited[i-1] = abiHex(t, tc.Edit.Entry)
			case "drop":
				edited = append(edited[:i-1], edited[i:]...)
			default:
				t.Fatalf("edit op %q", tc.Edit.Op)
			}
			_, err = ns.Verify(ctx, cfg, &ns.SliceSource{Entries: edited})
			var mm *ns.Mismatch
			if !errors.As(err, &mm) {
				t.Fatalf("Verify gave %v, want a mismatch at %s", err, tc.Mismatch.Position)
			}
			if strconv.FormatUint(mm.Position, 10) != tc.Mismatch.Position || mm.What != tc.Mismatch.What {
				t.Fatalf("Verify: %v; the vector says %s at %s", mm, tc.Mismatch.What, tc.Mismatch.Position)
			}
		})
		ran++
	}
	return ran
}
