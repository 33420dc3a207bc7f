package gen

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestPipelineFieldReachesREST: a field added to a copy of spec/ reaches the
// REST API's JSON and the TypeScript client's types with no hand edit. It
// regenerates generated/ (types, params, api) from the copy, compiles the
// real runtime/rpc against it with `go test -overlay`, and runs its
// spec-form tests with the new fields as probes; then it runs the
// TypeScript client's generator on the new document. It fails if any layer
// drops the field: the API schema, the Go conversion, the hand-tuned
// encoder, the served JSON or openapi-typescript.
func TestPipelineFieldReachesREST(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the node against a modified spec")
	}
	spec := t.TempDir()
	copyDir(t, "../spec", spec)
	insertAfter(t, filepath.Join(spec, "accounts.yaml"), "      - {name: nullifier_root,",
		"      - {name: reputation_score, type: u32, doc: A field that exists only in this test.}\n")
	insertAfter(t, filepath.Join(spec, "blocks.yaml"), "      - {name: timeout_cert,",
		"      - {name: probe_count, type: u64, doc: A field that exists only in this test.}\n")

	out := t.TempDir()
	gen := filepath.Join(out, "generated")
	if err := Run(Options{SpecDir: spec, GoOut: gen, APIOut: filepath.Join(gen, "api")}); err != nil {
		t.Fatal(err)
	}
	oapi, err := exec.Command("go", "tool", "-n", "oapi-codegen").Output()
	if err != nil {
		t.Fatal(err)
	}
	// oapi-codegen formats its output inside a module, as in make check-generated.
	if err := os.WriteFile(filepath.Join(out, "go.mod"), []byte("module tmp\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(strings.TrimSpace(string(oapi)), "-config", abs(t, "openapi/oapi-codegen.yaml"), "generated/api/openapi.yaml")
	cmd.Dir = out
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}

	// The document every tool reads has both fields, required.
	doc, err := os.ReadFile(filepath.Join(gen, "api", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string       `yaml:"required"`
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for typ, field := range map[string]string{"Account": "reputation_score", "BlockHeader": "probe_count"} {
		s := d.Components.Schemas[typ]
		if s.Properties[field] == nil || !strings.Contains(" "+strings.Join(s.Required, " ")+" ", " "+field+" ") {
			t.Errorf("generated/api/openapi.yaml: %s lacks required %s", typ, field)
		}
	}

	// The node's REST API, compiled against the regenerated packages.
	overlay := map[string]string{}
	for _, pkg := range []string{"types", "params", "api"} {
		old, _ := filepath.Glob(filepath.Join("..", "generated", pkg, "*.go"))
		for _, p := range old {
			overlay[abs(t, p)] = "" // gone unless regenerated
		}
		regen, _ := filepath.Glob(filepath.Join(gen, pkg, "*.go"))
		for _, p := range regen {
			overlay[abs(t, filepath.Join("..", "generated", pkg, filepath.Base(p)))] = p
		}
	}
	ov, _ := json.Marshal(map[string]any{"Replace": overlay})
	ovPath := filepath.Join(out, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("go", "test", "-count=1", "-overlay="+ovPath,
		"-run", "^(TestServedJSONHasSpecFields|TestSchemasCoverSpecTypes|TestAccountResponseJSON|TestAppendJSONMatchesEncodingJSON)$",
		"./runtime/rpc/")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "ORAMA_SPEC_PROBE=Account.reputation_score,BlockHeader.probe_count")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runtime/rpc against the modified spec: %v\n%s", err, tail(b))
	}

	// The TypeScript client's types, from the same document.
	ts := filepath.Join("..", "clients", "ts")
	if _, err := os.Stat(filepath.Join(ts, "node_modules", "openapi-typescript")); err != nil {
		t.Log("clients/ts/node_modules is not installed (make generate installs it): TypeScript part skipped")
		return
	}
	apiTS := filepath.Join(out, "api.ts")
	cmd = exec.Command("node", filepath.Join(ts, "scripts", "generate.mjs"), "--in", filepath.Join(gen, "api", "openapi.yaml"), "--out", apiTS)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openapi-typescript: %v\n%s", err, b)
	}
	src, err := os.ReadFile(apiTS)
	if err != nil {
		t.Fatal(err)
	}
	for typ, field := range map[string]string{"Account": "reputation_score: number;", "BlockHeader": `probe_count: components["schemas"]["U64"];`} {
		// The type's block in components.schemas, up to its closing brace.
		_, body, ok := bytes.Cut(src, []byte("\n        "+typ+": {\n"))
		body, _, _ = bytes.Cut(body, []byte("\n        };\n"))
		body = append(body, '\n')
		if !ok || !bytes.Contains(body, []byte("\n            "+field+"\n")) {
			t.Errorf("clients/ts types: %s lacks %q", typ, field)
		}
	}
}

// insertAfter inserts line after the line of path that starts with anchor.
func insertAfter(t *testing.T, path, anchor, line string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(anchor))
	if i < 0 {
		t.Fatalf("anchor %q not found in %s", anchor, path)
	}
	end := i + bytes.IndexByte(data[i:], '\n') + 1
	data = append(data[:end:end], append([]byte(line), data[end:]...)...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tail keeps the end of long go test output, where failures are.
func tail(b []byte) []byte {
	if len(b) > 8000 {
		return b[len(b)-8000:]
	}
	return b
}
