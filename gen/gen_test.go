package gen

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPipelineAddsField proves the spec is the single source of truth: one
// field added to a copy of spec/ comes out of the generator as a Go struct
// field with a working codec and as a key in the conformance vectors, with no
// hand edit anywhere.
func TestPipelineAddsField(t *testing.T) {
	spec := t.TempDir()
	copyDir(t, "../spec", spec)
	p := filepath.Join(spec, "accounts.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	anchor := "      - {name: nullifier_root,"
	i := bytes.Index(data, []byte(anchor))
	if i < 0 {
		t.Fatal("anchor field not found in accounts.yaml")
	}
	end := i + bytes.IndexByte(data[i:], '\n') + 1
	added := "      - {name: reputation_score, type: u32, doc: A field that exists only in this test.}\n"
	data = append(data[:end:end], append([]byte(added), data[end:]...)...)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}

	// Generated Go goes inside the module (under testdata, which ./... skips)
	// so that it can be compiled against runtime/borsh.
	goOut, err := os.MkdirTemp("testdata", "pipeline-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(goOut) })
	vecOut := t.TempDir()
	if err := Run(Options{SpecDir: spec, GoOut: goOut, VectorsOut: vecOut}); err != nil {
		t.Fatal(err)
	}

	// The struct has the field, after nullifier_root, with its JSON name.
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filepath.Join(goOut, "types", "accounts.go"), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	ast.Inspect(file, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Account" {
			return true
		}
		for _, f := range ts.Type.(*ast.StructType).Fields.List {
			fields = append(fields, f.Names[0].Name+" "+f.Type.(*ast.Ident).Name+" "+f.Tag.Value)
		}
		return false
	})
	if len(fields) == 0 || fields[len(fields)-1] != "ReputationScore uint32 `json:\"reputation_score\"`" {
		t.Fatalf("Account fields: %q", fields)
	}

	// It compiles, and its codec round-trips the new field.
	prog := filepath.Join(goOut, "check", "main.go")
	os.MkdirAll(filepath.Dir(prog), 0o755)
	pkg := "github.com/oramanetwork/orama-chain/gen/" + filepath.ToSlash(goOut) + "/types"
	src := `package main

import (
	"fmt"
	"os"

	types "` + pkg + `"
)

func main() {
	a := types.Account{ReputationScore: 0xdeadbeef}
	b, err := a.MarshalBorsh()
	var back types.Account
	if err == nil {
		err = back.UnmarshalBorsh(b)
	}
	if err != nil || back.ReputationScore != 0xdeadbeef || len(b) != a.BorshSize() {
		fmt.Println("round trip failed:", err)
		os.Exit(1)
	}
	fmt.Printf("%x", b[len(b)-4:])
}
`
	if err := os.WriteFile(prog, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "run", "./"+filepath.ToSlash(filepath.Dir(prog))).CombinedOutput()
	if err != nil {
		t.Fatalf("generated code does not build or round-trip: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "efbeadde" {
		t.Fatalf("last four bytes %s, want the field little-endian efbeadde", got)
	}

	// The vectors carry it: every Account case has the key, in spec order.
	raw, err := os.ReadFile(filepath.Join(vecOut, "codec", "Account.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vf struct {
		Cases []struct {
			Value map[string]any `json:"value"`
			Borsh string         `json:"borsh"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	for _, c := range vf.Cases {
		if _, ok := c.Value["reputation_score"]; !ok {
			t.Fatalf("vector case lacks reputation_score: %v", c.Value)
		}
	}
	// The sample case is 4 bytes longer than the real spec's sample case.
	orig, err := os.ReadFile("../conformance/vectors/codec/Account.json")
	if err != nil {
		t.Fatal(err)
	}
	var of struct {
		Cases []struct {
			Borsh string `json:"borsh"`
		} `json:"cases"`
	}
	json.Unmarshal(orig, &of)
	if len(vf.Cases[0].Borsh) != len(of.Cases[0].Borsh)+8 {
		t.Fatalf("zero case: %d hex digits, want %d", len(vf.Cases[0].Borsh), len(of.Cases[0].Borsh)+8)
	}
}

// TestDeterministic runs the generator twice and compares every byte.
func TestDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := Run(Options{SpecDir: "../spec", GoOut: filepath.Join(d, "go"), VectorsOut: filepath.Join(d, "vec"), APIOut: filepath.Join(d, "api")}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", rel)
		}
		n++
		return nil
	})
	if n < 50 {
		t.Fatalf("only %d files generated", n)
	}
}

// TestRejectsBadSpecs checks that mistakes in a spec are refused with a
// message naming the problem, rather than generating wrong code.
func TestRejectsBadSpecs(t *testing.T) {
	cases := map[string]string{
		"no max":         "types:\n  - name: T\n    doc: d\n    fields:\n      - {name: s, type: string, doc: d}\n",
		"unknown type":   "types:\n  - name: T\n    doc: d\n    fields:\n      - {name: s, type: Nope, doc: d}\n",
		"recursive":      "types:\n  - name: T\n    doc: d\n    fields:\n      - {name: s, type: option<T>, doc: d}\n",
		"bad field name": "types:\n  - name: T\n    doc: d\n    fields:\n      - {name: BadName, type: u8, doc: d}\n",
		"dup variant":    "types:\n  - name: E\n    enum: u8\n    doc: d\n    variants:\n      - {name: A, value: 1, doc: d}\n      - {name: B, value: 1, doc: d}\n",
		"unknown key":    "types:\n  - name: T\n    doc: d\n    colour: red\n    fields:\n      - {name: s, type: u8, doc: d}\n",
		"sig not last":   "types:\n  - name: T\n    doc: d\n    signing: {domain: Vote, signature: sig}\n    fields:\n      - {name: sig, type: Signature, doc: d}\n      - {name: s, type: u8, doc: d}\n",
	}
	want := map[string]string{
		"no max": "needs max", "unknown type": "unknown type", "recursive": "recursive",
		"bad field name": "snake_case", "dup variant": "unique", "unknown key": "colour", "sig not last": "last field",
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			spec := t.TempDir()
			copyDir(t, "../spec", spec)
			os.WriteFile(filepath.Join(spec, "zz_bad.yaml"), []byte(extra), 0o644)
			err := Run(Options{SpecDir: spec})
			if err == nil || !strings.Contains(err.Error(), want[name]) {
				t.Fatalf("got %v, want an error mentioning %q", err, want[name])
			}
		})
	}
}
