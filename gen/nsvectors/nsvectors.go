// Package nsvectors generates the namespace replay vectors under
// conformance/vectors-ns/ (format: conformance/vectors-ns/README.md) from
// the logs described in spec/cases/ns/*.yaml.
//
// Each case file describes a sequence of signed requests to one Tier 1
// namespace. The generator executes them, in order, on the reference
// executor (runtime/ns on an in-memory store, as `orama ns verify` replays)
// and writes the TxLog entries it records: the bytes a second
// implementation must reproduce, entry by entry, root by root. Every step
// states the status its entry must get, and the generator fails when the
// executor disagrees. It then derives tampered copies of each log (a
// flipped root, a changed event, a dropped entry, a replayed request, ...),
// each labelled with the position and the name of the first check it must
// fail (spec/namespaces.md 8), and checks every label with runtime/ns.Verify.
//
// Output is deterministic: signatures are RFC 6979, keys come from fixed
// seeds, nothing depends on time, randomness or map order, and the WASM
// modules are the committed files under spec/cases/ns/modules/ (built from
// examples/contracts/as; a test there keeps them current).
package nsvectors

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/ns"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// FormatVersion changes when the vector layout changes incompatibly.
const FormatVersion = 1

// Generator names the command in the manifest.
const Generator = "gen/cmd/oramans -cases spec/cases/ns -out conformance/vectors-ns"

// KindReplay is the kind of every vector file here.
const KindReplay = "ns_replay"

// caseFile is the YAML form of one spec/cases/ns/*.yaml file: one log.
type caseFile struct {
	Description string `yaml:"description"`
	Namespace   struct {
		Name          string `yaml:"name"`
		Owner         byte   `yaml:"owner"`
		CreatedHeight uint64 `yaml:"created_height"`
	} `yaml:"namespace"`
	ChainID   uint64 `yaml:"chain_id"`
	Authority byte   `yaml:"authority"`
	Steps     []step `yaml:"steps"`
}

// step is one request. Height and timestamp carry over from the step
// before when absent; keys are named by seed (Key).
type step struct {
	Height    *uint64 `yaml:"height"`
	Timestamp *uint64 `yaml:"timestamp"`
	Signer    byte    `yaml:"signer"`
	Deposit   *struct {
		Asset  string `yaml:"asset"`
		Amount uint64 `yaml:"amount"`
		To     byte   `yaml:"to"`
		Source uint64 `yaml:"source"`
	} `yaml:"deposit"`
	Withdraw *struct {
		Asset  string `yaml:"asset"`
		Amount uint64 `yaml:"amount"`
		To     byte   `yaml:"to"`
	} `yaml:"withdraw"`
	Deploy *struct {
		Module string      `yaml:"module"`
		Init   string      `yaml:"init"`
		Args   []uint64    `yaml:"args"`
		Input  []inputPart `yaml:"input"`
		Gas    uint64      `yaml:"gas"`
	} `yaml:"deploy"`
	Call *struct {
		// Contract is the n-th contract the log deployed (1 = the first),
		// or, when negative, an address no contract has.
		Contract   int         `yaml:"contract"`
		Function   string      `yaml:"function"`
		Args       []uint64    `yaml:"args"`
		Input      []inputPart `yaml:"input"`
		OramaValue uint64      `yaml:"orama_value"`
		BtcValue   uint64      `yaml:"btc_value"`
		Gas        uint64      `yaml:"gas"`
	} `yaml:"call"`
	Expect  string  `yaml:"expect"`  // the entry's NsStatus
	Results []int64 `yaml:"results"` // when given, the entry's results (i64 views of u64)
}

// inputPart is a piece of a call's input bytes, concatenated in order.
type inputPart struct {
	Address *byte   `yaml:"address"` // the 20-byte address of a key seed
	U64     *uint64 `yaml:"u64"`     // 8 bytes little-endian
	Text    *string `yaml:"text"`    // UTF-8
	Hex     *string `yaml:"hex"`     // "0x..."
}

// Key returns the key of seed s: the 32-byte scalar 0x01 00 .. 00 s.
func Key(s byte) (*crypto.PrivateKey, error) {
	b := make([]byte, 32)
	b[0], b[31] = 1, s
	return crypto.PrivateKeyFromBytes(b)
}

func address(s byte) (types.Address, error) {
	k, err := Key(s)
	if err != nil {
		return types.Address{}, err
	}
	return k.Address(), nil
}

// Vector is one generated file.
type Vector struct {
	Kind        string     `json:"kind"`
	Source      string     `json:"source"`
	Description string     `json:"description"`
	Namespace   Meta       `json:"namespace"`
	ChainID     string     `json:"chain_id"`
	Authority   string     `json:"authority"`
	Entries     []string   `json:"entries"`
	Positions   []Position `json:"positions"`
	Head        Head       `json:"head"`
	Tampered    []Tampered `json:"tampered"`
}

// Meta is the namespace's NamespaceMeta, as fields and as Borsh.
type Meta struct {
	Name          string `json:"name"`
	Tier          string `json:"tier"`
	Owner         string `json:"owner"`
	CreatedHeight string `json:"created_height"`
	Borsh         string `json:"borsh"`
}

// Position is what an entry records, for a runner's messages.
type Position struct {
	Position string `json:"position"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Hash     string `json:"hash"`
	Root     string `json:"root"`
}

// Head is the log's last position, entry hash and root.
type Head struct {
	Entries string `json:"entries"`
	Hash    string `json:"hash"`
	Root    string `json:"root"`
}

// Tampered is the log with one edit, and the first check it fails.
type Tampered struct {
	Name     string   `json:"name"`
	Why      string   `json:"why"`
	Edit     Edit     `json:"edit"`
	Mismatch Mismatch `json:"mismatch"`
}

// Edit changes the log: "replace" puts entry at index (1-based) of the
// entries; "drop" removes the entry at index.
type Edit struct {
	Op    string `json:"op"`
	Index string `json:"index"`
	Entry string `json:"entry,omitempty"`
}

// Mismatch is the position and the check's name (spec/namespaces.md 8).
type Mismatch struct {
	Position string `json:"position"`
	What     string `json:"what"`
}

// File is one generated file.
type File = outdir.File

// Build reads every *.yaml file in casesDir (in name order) and returns the
// vector files and the manifest.
func Build(ctx context.Context, casesDir string) ([]File, error) {
	paths, err := filepath.Glob(filepath.Join(casesDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("nsvectors: no *.yaml cases in %s", casesDir)
	}
	sort.Strings(paths)
	v, err := ns.NewVM(ctx, "")
	if err != nil {
		return nil, err
	}
	defer v.Close(ctx)
	var files []File
	for _, p := range paths {
		var cf caseFile
		if err := outdir.DecodeYAML(p, &cf); err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(filepath.Base(p), ".yaml")
		vec, err := build(ctx, v, casesDir, &cf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		vec.Source = "spec/cases/ns/" + base + ".yaml"
		out, err := outdir.JSON(vec)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: "replay/" + base + ".json", Data: out, Cases: 1 + len(vec.Tampered)})
	}
	return outdir.WithManifest(files, FormatVersion, Generator)
}

// Generate writes the vectors of casesDir under out; every file there but
// README.md is replaced.
func Generate(ctx context.Context, casesDir, out string) error {
	files, err := Build(ctx, casesDir)
	if err != nil {
		return err
	}
	return outdir.Write(out, files)
}

// build executes the case's steps and derives the tampered logs.
func build(ctx context.Context, v *vm.VM, casesDir string, cf *caseFile) (*Vector, error) {
	if cf.Namespace.Name == "" || cf.ChainID == 0 || len(cf.Steps) == 0 {
		return nil, errors.New("namespace.name, chain_id and steps are required")
	}
	owner, err := address(cf.Namespace.Owner)
	if err != nil {
		return nil, err
	}
	authority, err := address(cf.Authority)
	if err != nil {
		return nil, err
	}
	meta := types.NamespaceMeta{Name: cf.Namespace.Name, Tier: types.NamespaceTierTier1, Owner: owner, CreatedHeight: cf.Namespace.CreatedHeight}
	m, done, err := ns.NewMemoryMachine(meta, cf.ChainID, authority, v)
	if err != nil {
		return nil, err
	}
	defer done()
	nonces := map[byte]uint64{}
	var contracts []types.Address
	var height, ts uint64
	var entries []*ns.Entry
	var signers []byte // the signer seed of each entry
	for i, st := range cf.Steps {
		if st.Height != nil {
			height = *st.Height
		}
		if st.Timestamp != nil {
			ts = *st.Timestamp
		}
		k, err := Key(st.Signer)
		if err != nil {
			return nil, err
		}
		payload, module, err := request(casesDir, &st, contracts)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		sub, err := ns.NewSubmission(meta.Name, k, cf.ChainID, nonces[st.Signer], payload, module)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		if _, err := ns.CheckSubmission(sub, meta.Name, cf.ChainID, authority); err != nil {
			return nil, fmt.Errorf("step %d: refused: %w", i+1, err)
		}
		e, err := m.Execute(ctx, sub, height, ts)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		nonces[st.Signer]++
		if got := e.Log.Outcome.Status.String(); got != st.Expect {
			return nil, fmt.Errorf("step %d: status %s (trap %q), the case expects %s", i+1, got, e.Log.Outcome.Trap, st.Expect)
		}
		if st.Results != nil {
			var got []int64
			for _, r := range e.Log.Outcome.Results {
				got = append(got, int64(r))
			}
			if fmt.Sprint(got) != fmt.Sprint(st.Results) {
				return nil, fmt.Errorf("step %d: results %v, the case expects %v", i+1, got, st.Results)
			}
		}
		if st.Deploy != nil && e.Log.Outcome.Contract != nil {
			contracts = append(contracts, *e.Log.Outcome.Contract)
		}
		entries = append(entries, e)
		signers = append(signers, st.Signer)
	}
	if err := m.Commit(ctx); err != nil {
		return nil, err
	}
	mb, err := meta.MarshalBorsh()
	if err != nil {
		return nil, err
	}
	vec := &Vector{
		Kind:        KindReplay,
		Description: strings.TrimSpace(cf.Description),
		Namespace: Meta{Name: meta.Name, Tier: meta.Tier.String(), Owner: outdir.Hex(owner[:]),
			CreatedHeight: strconv.FormatUint(meta.CreatedHeight, 10), Borsh: outdir.Hex(mb)},
		ChainID:   strconv.FormatUint(cf.ChainID, 10),
		Authority: outdir.Hex(authority[:]),
	}
	raw := make([][]byte, len(entries))
	for i, e := range entries {
		raw[i] = e.Bytes
		vec.Entries = append(vec.Entries, outdir.Hex(e.Bytes))
		vec.Positions = append(vec.Positions, Position{Position: strconv.FormatUint(e.Log.Position, 10),
			Kind: e.Log.Submission.Request.Kind.String(), Status: e.Log.Outcome.Status.String(),
			Hash: outdir.Hex(e.Hash[:]), Root: outdir.Hex(e.Log.Root[:])})
	}
	last := entries[len(entries)-1]
	vec.Head = Head{Entries: strconv.Itoa(len(entries)), Hash: outdir.Hex(last.Hash[:]), Root: outdir.Hex(last.Log.Root[:])}
	cfg := ns.VerifyConfig{Meta: meta, ChainID: cf.ChainID, Authority: authority, VM: v}
	rep, err := ns.Verify(ctx, cfg, &ns.SliceSource{Entries: raw})
	if err != nil {
		return nil, fmt.Errorf("the log does not verify: %w", err)
	}
	if rep.Head != last.Hash || rep.Root != last.Log.Root {
		return nil, errors.New("the log verifies to another head")
	}
	if vec.Tampered, err = tamper(entries, signers); err != nil {
		return nil, err
	}
	for _, t := range vec.Tampered {
		edited, err := Apply(raw, t.Edit)
		if err != nil {
			return nil, err
		}
		_, err = ns.Verify(ctx, cfg, &ns.SliceSource{Entries: edited})
		var mm *ns.Mismatch
		if !errors.As(err, &mm) {
			return nil, fmt.Errorf("tampered %s: Verify gave %v, not a mismatch", t.Name, err)
		}
		if got := strconv.FormatUint(mm.Position, 10); got != t.Mismatch.Position || mm.What != t.Mismatch.What {
			return nil, fmt.Errorf("tampered %s: Verify reports %q at %s (%v), labelled %q at %s", t.Name, mm.What, got, mm, t.Mismatch.What, t.Mismatch.Position)
		}
	}
	return vec, nil
}

// request builds a step's payload (and module, for a deploy).
func request(casesDir string, st *step, contracts []types.Address) (any, []byte, error) {
	n := 0
	for _, set := range []bool{st.Deposit != nil, st.Withdraw != nil, st.Deploy != nil, st.Call != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, nil, errors.New("a step is exactly one of deposit, withdraw, deploy, call")
	}
	switch {
	case st.Deposit != nil:
		a, to, err := assetTo(st.Deposit.Asset, st.Deposit.To)
		if err != nil {
			return nil, nil, err
		}
		var src types.Hash
		binary.BigEndian.PutUint64(src[24:], st.Deposit.Source)
		return &types.NsDeposit{Asset: a, Amount: st.Deposit.Amount, To: to, Source: src}, nil, nil
	case st.Withdraw != nil:
		a, to, err := assetTo(st.Withdraw.Asset, st.Withdraw.To)
		if err != nil {
			return nil, nil, err
		}
		return &types.NsWithdraw{Asset: a, Amount: st.Withdraw.Amount, To: to}, nil, nil
	case st.Deploy != nil:
		mod, err := os.ReadFile(filepath.Join(casesDir, "modules", st.Deploy.Module+".wasm"))
		if err != nil {
			return nil, nil, err
		}
		in, err := input(st.Deploy.Input)
		if err != nil {
			return nil, nil, err
		}
		return &types.NsDeploy{Init: st.Deploy.Init, Args: st.Deploy.Args, Input: in, GasLimit: st.Deploy.Gas}, mod, nil
	default:
		c := st.Call
		var to types.Address
		switch {
		case c.Contract > 0 && c.Contract <= len(contracts):
			to = contracts[c.Contract-1]
		case c.Contract < 0:
			to[19] = byte(-c.Contract)
		default:
			return nil, nil, fmt.Errorf("contract %d: %d deployed so far", c.Contract, len(contracts))
		}
		in, err := input(c.Input)
		if err != nil {
			return nil, nil, err
		}
		return &types.NsCall{Contract: to, Function: c.Function, Args: c.Args, Input: in, OramaValue: c.OramaValue,
			BTCValue: c.BtcValue, GasLimit: c.Gas}, nil, nil
	}
}

// assetTo reads a deposit's or withdrawal's asset name and recipient seed.
func assetTo(asset string, to byte) (types.Asset, types.Address, error) {
	var a types.Asset
	if err := a.UnmarshalText([]byte(asset)); err != nil {
		return a, types.Address{}, err
	}
	addr, err := address(to)
	return a, addr, err
}

func input(parts []inputPart) ([]byte, error) {
	var out []byte
	for _, p := range parts {
		switch {
		case p.Address != nil:
			a, err := address(*p.Address)
			if err != nil {
				return nil, err
			}
			out = append(out, a[:]...)
		case p.U64 != nil:
			out = binary.LittleEndian.AppendUint64(out, *p.U64)
		case p.Text != nil:
			out = append(out, *p.Text...)
		case p.Hex != nil:
			b, err := hex.DecodeString(strings.TrimPrefix(*p.Hex, "0x"))
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		default:
			return nil, errors.New("an input part is one of address, u64, text, hex")
		}
	}
	return out, nil
}

// Apply returns entries with the edit made (the runner's step too).
func Apply(entries [][]byte, e Edit) ([][]byte, error) {
	i, err := strconv.Atoi(e.Index)
	if err != nil || i < 1 || i > len(entries) {
		return nil, fmt.Errorf("edit index %q out of 1..%d", e.Index, len(entries))
	}
	out := append([][]byte{}, entries...)
	switch e.Op {
	case "replace":
		b, err := hex.DecodeString(strings.TrimPrefix(e.Entry, "0x"))
		if err != nil {
			return nil, err
		}
		out[i-1] = b
	case "drop":
		out = append(out[:i-1], out[i:]...)
	default:
		return nil, fmt.Errorf("edit op %q", e.Op)
	}
	return out, nil
}
