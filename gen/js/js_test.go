package js

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

const specDir = "../../spec"

func loadSpec(t *testing.T) *schema.Spec {
	t.Helper()
	s, err := schema.Load(specDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readOut(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, name := range Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m[name] = b
	}
	return m
}

// TestDeterministic: two runs (one over the first's output) give the same bytes.
func TestDeterministic(t *testing.T) {
	s := loadSpec(t)
	a, b := t.TempDir(), t.TempDir()
	if err := Generate(s, a); err != nil {
		t.Fatal(err)
	}
	if err := Generate(loadSpec(t), b); err != nil {
		t.Fatal(err)
	}
	if err := Generate(s, a); err != nil {
		t.Fatal(err)
	}
	ra, rb := readOut(t, a), readOut(t, b)
	for _, name := range Files {
		if !bytes.Equal(ra[name], rb[name]) {
			t.Errorf("%s differs between runs", name)
		}
		if name != "package.json" && !bytes.HasPrefix(ra[name], []byte(Header+"\n")) {
			t.Errorf("%s does not start with %q", name, Header)
		}
	}
}

// TestCoversSpec checks the text for every type, field limit, enum variant,
// signing rule, hash and constant of the spec.
func TestCoversSpec(t *testing.T) {
	s := loadSpec(t)
	out, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	section := func(name string) string {
		i := strings.Index(text, "export const "+name+" = Object.freeze({\n")
		if i < 0 {
			t.Fatalf("no export %s", name)
		}
		j := strings.Index(text[i:], "\n});\n")
		return text[i : i+j]
	}
	schemas, types, limits, enums := section("schemas"), section("types"), section("limits"), section("enums")
	signing, hashes, params := section("signing"), section("hashes"), section("params")
	for _, ty := range s.Types() {
		if !strings.Contains(text, "\nconst "+ty.Name+"Schema = ") {
			t.Errorf("%s: no schema constant", ty.Name)
		}
		if !strings.Contains(schemas, "\n  "+ty.Name+": "+ty.Name+"Schema,") {
			t.Errorf("%s: not in schemas", ty.Name)
		}
		if !strings.Contains(types, "\n  "+ty.Name+": {") {
			t.Errorf("%s: not in types", ty.Name)
		}
		for _, f := range ty.Fields {
			if f.Max > 0 && !strings.Contains(limits, fmt.Sprintf("%s: %d", f.Name, f.Max)) {
				t.Errorf("%s.%s: limit %d missing", ty.Name, f.Name, f.Max)
			}
		}
		for _, v := range ty.Variants {
			if !strings.Contains(enums, fmt.Sprintf("%s: %d", v.Name, v.Value)) {
				t.Errorf("%s.%s: enum value missing", ty.Name, v.Name)
			}
		}
		if ty.Signing != nil && !strings.Contains(signing, "\n  "+ty.Name+": { domain: '"+ty.Signing.Domain+"'") {
			t.Errorf("%s: signing missing", ty.Name)
		}
		if ty.Hash != "" && !strings.Contains(hashes, "\n  "+ty.Name+": 'sha256',") {
			t.Errorf("%s: hash missing", ty.Name)
		}
	}
	for _, c := range s.Constants {
		if !strings.Contains(params, "\n  "+c.Name+": ") {
			t.Errorf("constant %s missing", c.Name)
		}
	}
}

// TestNodeLoadsIt imports schema.js with Node (skipped without node) and
// compares what it exports with the spec model.
func TestNodeLoadsIt(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	s := loadSpec(t)
	dir := t.TempDir()
	if err := Generate(s, dir); err != nil {
		t.Fatal(err)
	}
	script := `const m = await import(process.argv[1]);
const out = {};
for (const [k, v] of Object.entries(m)) out[k] = v;
process.stdout.write(JSON.stringify(out, (k, v) => typeof v === 'bigint' ? v.toString() + 'n' : v));`
	cmd := exec.Command(node, "--input-type=module", "-e", script, filepath.Join(dir, "schema.js"))
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got struct {
		Schemas    map[string]any            `json:"schemas"`
		Types      map[string]map[string]any `json:"types"`
		Limits     map[string]map[string]int `json:"limits"`
		Enums      map[string]map[string]int `json:"enums"`
		Payloads   map[string]map[string]any `json:"payloads"`
		Signing    map[string]map[string]any `json:"signing"`
		Hashes     map[string]string         `json:"hashes"`
		Params     map[string]any            `json:"params"`
		ParamTypes map[string]string         `json:"paramTypes"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Schemas) != len(s.Types()) || len(got.Types) != len(s.Types()) {
		t.Errorf("%d schemas, %d types for %d spec types", len(got.Schemas), len(got.Types), len(s.Types()))
	}
	for _, ty := range s.Types() {
		sch, ok := got.Schemas[ty.Name]
		if !ok {
			t.Errorf("%s: no schema", ty.Name)
			continue
		}
		switch ty.Kind {
		case schema.Fixed:
			want := map[string]any{"array": map[string]any{"type": "u8", "len": float64(ty.Size)}}
			if !reflect.DeepEqual(sch, want) {
				t.Errorf("%s: schema %v", ty.Name, sch)
			}
		case schema.Enum:
			if sch != "u8" {
				t.Errorf("%s: schema %v", ty.Name, sch)
			}
			want := map[string]int{}
			for _, v := range ty.Variants {
				want[v.Name] = v.Value
			}
			if !reflect.DeepEqual(got.Enums[ty.Name], want) {
				t.Errorf("%s: enums %v", ty.Name, got.Enums[ty.Name])
			}
		case schema.Struct:
			st, _ := sch.(map[string]any)["struct"].(map[string]any)
			if len(st) != len(ty.Fields) {
				t.Errorf("%s: %d schema fields, spec %d", ty.Name, len(st), len(ty.Fields))
			}
			for _, f := range ty.Fields {
				if _, ok := st[f.Name]; !ok {
					t.Errorf("%s.%s: not in schema", ty.Name, f.Name)
				}
				if f.Max > 0 && got.Limits[ty.Name][f.Name] != f.Max {
					t.Errorf("%s.%s: limit %d, spec %d", ty.Name, f.Name, got.Limits[ty.Name][f.Name], f.Max)
				}
			}
		}
		if (ty.Signing != nil) != (got.Signing[ty.Name] != nil) || (ty.Hash != "") != (got.Hashes[ty.Name] != "") {
			t.Errorf("%s: signing or hash differs", ty.Name)
		}
	}
	for _, c := range s.Constants {
		want := any(c.Value)
		switch c.Type {
		case "u64":
			want = c.Value + "n"
		case "size":
			want = float64(c.Int())
		}
		if got.Params[c.Name] != want || got.ParamTypes[c.Name] != c.Type {
			t.Errorf("constant %s: %v (%s), spec %v (%s)", c.Name, got.Params[c.Name], got.ParamTypes[c.Name], want, c.Type)
		}
	}
	if len(got.Params) != len(s.Constants) {
		t.Errorf("%d params, spec %d", len(got.Params), len(s.Constants))
	}
	if len(got.Payloads["TxType"]) == 0 {
		t.Error("no TxType payloads")
	}
}

// TestCommittedUpToDate fails when generated/js differs from what the spec gives.
func TestCommittedUpToDate(t *testing.T) {
	committed := "../../generated/js"
	if _, err := os.Stat(committed); err != nil {
		t.Skip("generated/js not present")
	}
	fresh := t.TempDir()
	if err := Generate(loadSpec(t), fresh); err != nil {
		t.Fatal(err)
	}
	want, got := readOut(t, fresh), readOut(t, committed)
	for _, name := range Files {
		if !bytes.Equal(want[name], got[name]) {
			t.Errorf("generated/js/%s is stale: run make generate", name)
		}
	}
}
