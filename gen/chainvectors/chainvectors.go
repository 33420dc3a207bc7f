// Package chainvectors generates the blockchain fixtures under
// conformance/vectors-chain/ (format: conformance/vectors-chain/README.md)
// from the cases in spec/cases/chain/: per fixture a genesis file, a chain
// file of certified blocks (conformance/CLIENT.md, "Chain files") and the
// expected result of importing it, block by block.
//
// Blocks are built the way a network of the well-known test validators
// (spec/cases/chain/keys.yaml) would build them: each proposed by the
// leader of its view (runtime/consensus.ReputationElector), executed by
// the reference executor (runtime/exec), and certified by a QC of real
// secp256k1 votes; the chain continues with two more blocks in the next
// two views so that its last block has a commit proof. A case may then
// break one thing on purpose (a header field, a certificate, a record of
// the file) to make a fixture that must be refused.
//
// As in gen/statevectors, the expected results are what the reference
// code computes, kept honest by what each case states: the status of every
// transaction (the generator fails when the executor disagrees), the
// height the import reaches, and for a refused chain the height and the
// reason (spec/consensus.md, "Importing a chain"). The generator imports
// every chain file it writes through the node's own import path
// (runtime/chainfile.Import onto a runtime/driver.Importer over an
// in-memory chain) and fails unless the result is the stated one and
// every imported block, receipt and state root is the one it built.
//
// Output is deterministic (RFC 6979 signatures, no clock, no map order):
// two runs give byte-identical trees.
package chainvectors

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// FormatVersion changes when the fixture layout changes incompatibly.
const FormatVersion = 1

// Generator names the command in the manifest.
const Generator = "gen/cmd/oramachain -cases spec/cases/chain -out conformance/vectors-chain"

// KindChain is the kind of every expected.json.
const KindChain = "chain"

// keysFile is the name of the file in the cases directory that defines
// the keys; every other *.yaml file is one fixture.
const keysFile = "keys.yaml"

// File is one generated file: its path under the output directory (slash
// separated) and its bytes.
type File = outdir.File

type keysSpec struct {
	Doc  string    `yaml:"doc"`
	Keys []keySpec `yaml:"keys"`
}

// keySpec is a well-known key; Address, when given, must be what the
// private key derives (EIP-55 or lowercase hex).
type keySpec struct {
	Name       string `yaml:"name"`
	PrivateKey string `yaml:"private_key"`
	Address    string `yaml:"address"`
	Doc        string `yaml:"doc"`
}

type namedKey struct {
	name string
	key  *crypto.PrivateKey
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

func loadKeys(path string) ([]namedKey, error) {
	var ks keysSpec
	if err := outdir.DecodeYAML(path, &ks); err != nil {
		return nil, err
	}
	var out []namedKey
	seen := map[string]bool{}
	for _, k := range ks.Keys {
		if !nameRE.MatchString(k.Name) || seen[k.Name] {
			return nil, fmt.Errorf("%s: key name %q invalid or repeated", path, k.Name)
		}
		seen[k.Name] = true
		b, err := parseHex(k.PrivateKey, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: key %s: %w", path, k.Name, err)
		}
		key, err := crypto.PrivateKeyFromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("%s: key %s: %w", path, k.Name, err)
		}
		if k.Address != "" {
			a := key.Address()
			if !strings.EqualFold(k.Address, "0x"+hex.EncodeToString(a[:])) {
				return nil, fmt.Errorf("%s: key %s derives address %s, the file says %s", path, k.Name, crypto.ChecksumHex(a), k.Address)
			}
		}
		out = append(out, namedKey{k.Name, key})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no keys", path)
	}
	return out, nil
}

type manifestFixture struct {
	Name     string `json:"name"`
	Genesis  string `json:"genesis"`
	Chain    string `json:"chain"`
	Expected string `json:"expected"`
}

type manifestEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

type manifest struct {
	FormatVersion int               `json:"format_version"`
	Generator     string            `json:"generator"`
	Fixtures      []manifestFixture `json:"fixtures"`
	Files         []manifestEntry   `json:"files"`
}

// Build reads keys.yaml and every other *.yaml file of casesDir (in name
// order, one fixture each, named after the file) and returns the files of
// the fixture tree, the manifest last.
func Build(casesDir string) ([]File, error) {
	keys, err := loadKeys(filepath.Join(casesDir, keysFile))
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(casesDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var files []File
	m := manifest{FormatVersion: FormatVersion, Generator: Generator, Fixtures: []manifestFixture{}, Files: []manifestEntry{}}
	for _, p := range paths {
		base := filepath.Base(p)
		if base == keysFile {
			continue
		}
		name := strings.TrimSuffix(base, ".yaml")
		if !nameRE.MatchString(name) {
			return nil, fmt.Errorf("%s: fixture name %q: want [a-z][a-z0-9_-]*", p, name)
		}
		var fs fixtureSpec
		if err := outdir.DecodeYAML(p, &fs); err != nil {
			return nil, err
		}
		out, err := buildFixture(name, "spec/cases/chain/"+base, keys, &fs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		files = append(files, out...)
		m.Fixtures = append(m.Fixtures, manifestFixture{Name: name,
			Genesis: name + "/genesis.json", Chain: name + "/chain.bin", Expected: name + "/expected.json"})
	}
	if len(m.Fixtures) == 0 {
		return nil, fmt.Errorf("chainvectors: no fixtures in %s", casesDir)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Files = append(m.Files, manifestEntry{Path: f.Path, SHA256: outdir.Hex(sum[:])})
	}
	md, err := outdir.JSON(m)
	if err != nil {
		return nil, err
	}
	return append(files, File{Path: "manifest.json", Data: md}), nil
}

// Generate writes the fixtures of casesDir under out. Every file under out
// except its README.md (hand-written documentation) is replaced, so a
// renamed or removed fixture leaves nothing.
func Generate(casesDir, out string) error {
	files, err := Build(casesDir)
	if err != nil {
		return err
	}
	return outdir.Write(out, files)
}

// parseHex reads "0x" + hex of exactly n bytes (any length when n < 0).
func parseHex(s string, n int) ([]byte, error) {
	if !strings.HasPrefix(s, "0x") {
		return nil, fmt.Errorf("%q: want 0x + hex", s)
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
	}
	if n >= 0 && len(b) != n {
		return nil, fmt.Errorf("%q: %d bytes, want %d", s, len(b), n)
	}
	return b, nil
}
