// Package statevectors generates the state-transition and SMT conformance
// vectors under conformance/vectors-state/ (format:
// conformance/vectors-state/README.md) from the cases in spec/cases/state/.
//
// Unlike gen/vectors, whose codec vectors are computed independently of the
// code under test, these vectors are defined by the reference executor: the
// post-state of a block is whatever runtime/exec computes, as Ethereum's
// consensus-specs tests are dumped from the executable spec. What keeps them
// honest is that every case states the status each transaction must get (the
// generator fails when the executor disagrees), the SMT roots are pinned to
// the independently cross-checked vectors of runtime/smt (see the tests), and
// every malformed proof is checked to fail for the reason it is labelled with.
//
// Output is deterministic: files, cases and lists are in a fixed order and
// nothing depends on time, randomness or map order. Running Generate twice
// gives byte-identical trees.
package statevectors

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/oramanetwork/orama-chain/gen/outdir"
)

// FormatVersion changes when the vector layout changes incompatibly.
// 2: state_transition cases may be refused blocks (refused, post null) and
// carry the genesis block; base_fee files.
// 3: post lists the namespace record leaves and every genesis validator's
// namespace slots (namespaces, namespace_nodes); the genesis validators
// are the pool NamespaceCreate places on.
const FormatVersion = 3

// Generator names the command in the manifest.
const Generator = "gen/cmd/oramastate -cases spec/cases/state -out conformance/vectors-state"

// Kinds of vector files.
const (
	KindSMT             = "smt"
	KindStateTransition = "state_transition"
	KindBaseFee         = "base_fee"
)

// caseFile is the YAML form of one spec/cases/state/*.yaml file. Either list
// may be empty.
type caseFile struct {
	// Genesis is the default genesis of the file's state_transition cases.
	Genesis         *genesisSpec  `yaml:"genesis"`
	SMT             []smtCase     `yaml:"smt"`
	StateTransition []stCase      `yaml:"state_transition"`
	BaseFee         []baseFeeCase `yaml:"base_fee"`
}

// File is one generated file: its path under the output directory (slash
// separated), its bytes and its number of cases.
type File = outdir.File

// vectorFile is the top level of every vector file.
type vectorFile struct {
	Kind   string `json:"kind"`
	Source string `json:"source"`
	Cases  any    `json:"cases"`
}

// Build reads every *.yaml file in casesDir (in name order) and returns the
// vector files and the manifest, in the order they are listed.
func Build(casesDir string) ([]File, error) {
	paths, err := filepath.Glob(filepath.Join(casesDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("statevectors: no *.yaml cases in %s", casesDir)
	}
	sort.Strings(paths)
	var files []File
	names := map[string]string{} // case name -> file, across all files
	for _, p := range paths {
		var cf caseFile
		if err := outdir.DecodeYAML(p, &cf); err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(filepath.Base(p), ".yaml")
		// Each kind a file holds becomes one vector file.
		kinds := []struct {
			kind  string
			cases int
			build func() (any, int, error)
		}{
			{KindSMT, len(cf.SMT), func() (any, int, error) { out, err := smtVectors(cf.SMT); return out, len(out), err }},
			{KindStateTransition, len(cf.StateTransition), func() (any, int, error) {
				out, err := stVectors(cf.Genesis, cf.StateTransition)
				return out, len(out), err
			}},
			{KindBaseFee, len(cf.BaseFee), func() (any, int, error) { out, err := baseFeeVectors(cf.BaseFee); return out, len(out), err }},
		}
		if len(caseNames(cf)) == 0 {
			return nil, fmt.Errorf("%s: no cases", p)
		}
		for _, n := range caseNames(cf) {
			if prev, ok := names[n]; ok {
				return nil, fmt.Errorf("%s: case %q already defined in %s", p, n, prev)
			}
			names[n] = p
		}
		for _, k := range kinds {
			if k.cases == 0 {
				continue
			}
			out, n, err := k.build()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			f, err := vectorJSON(k.kind, base, out, n)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return outdir.WithManifest(files, FormatVersion, Generator)
}

func caseNames(cf caseFile) []string {
	var n []string
	for _, c := range cf.SMT {
		n = append(n, c.Name)
	}
	for _, c := range cf.StateTransition {
		n = append(n, c.Name)
	}
	for _, c := range cf.BaseFee {
		n = append(n, c.Name)
	}
	return n
}

func vectorJSON(kind, base string, cases any, n int) (File, error) {
	data, err := outdir.JSON(vectorFile{Kind: kind, Source: "spec/cases/state/" + base + ".yaml", Cases: cases})
	if err != nil {
		return File{}, fmt.Errorf("%s/%s: %w", kind, base, err)
	}
	return File{Path: kind + "/" + base + ".json", Data: data, Cases: n}, nil
}

// Generate writes the vectors of casesDir under out. Every file under out
// except README.md (hand-written documentation) is replaced.
func Generate(casesDir, out string) error {
	files, err := Build(casesDir)
	if err != nil {
		return err
	}
	return outdir.Write(out, files)
}

// parseBytes reads a YAML byte string: "0x" + hex, or else the UTF-8 bytes
// of the text itself.
func parseBytes(s string) ([]byte, error) {
	if strings.HasPrefix(s, "0x") {
		b, err := hex.DecodeString(s[2:])
		if err != nil {
			return nil, fmt.Errorf("hex %q: %w", s, err)
		}
		return b, nil
	}
	return []byte(s), nil
}
