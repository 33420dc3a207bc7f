package openapi

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

func loadSpec(t *testing.T) *schema.Spec {
	t.Helper()
	s, err := schema.Load("../../spec")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// doc is a minimal hand-written document whose one path returns body.
func doc(schemas string) string {
	return `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Out'}
components:
  schemas:
` + schemas
}

// TestForms pins the JSON form of every kind of field.
func TestForms(t *testing.T) {
	m, err := build(loadSpec(t), []byte(doc(`    Out:
      type: object
      properties:
        header: {$ref: '#/components/schemas/BlockHeader'}
        proof: {$ref: '#/components/schemas/SMTProof'}
        validator: {$ref: '#/components/schemas/Validator'}
        tx: {$ref: '#/components/schemas/Transaction'}
`)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), Header+"\n") {
		t.Fatalf("no generated-code header:\n%.200s", out)
	}
	var d struct {
		Components struct {
			Schemas map[string]map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	sc := d.Components.Schemas
	prop := func(typ, field string) map[string]any {
		t.Helper()
		p, _ := sc[typ]["properties"].(map[string]any)[field].(map[string]any)
		if p == nil {
			t.Fatalf("%s.%s missing", typ, field)
		}
		return p
	}
	ref := func(p map[string]any) string {
		if all, ok := p["allOf"].([]any); ok && len(all) == 1 {
			return all[0].(map[string]any)["$ref"].(string)
		}
		return ""
	}
	for _, c := range []struct{ typ, field, ref string }{
		{"BlockHeader", "height", "#/components/schemas/U64"},
		{"BlockHeader", "parent_hash", "#/components/schemas/Hash"},
		{"BlockHeader", "proposer", "#/components/schemas/Address"},
		{"BlockHeader", "qc", "#/components/schemas/QuorumCert"},
		{"BlockHeader", "timeout_cert", "#/components/schemas/TimeoutCert"},
		{"Transaction", "type", "#/components/schemas/TxType"},
		{"Transaction", "data", "#/components/schemas/HexBytes"},
		{"Transaction", "signature", "#/components/schemas/Signature"},
		{"SMTProof", "bitmap", "#/components/schemas/Bitmap256"},
	} {
		if got := ref(prop(c.typ, c.field)); got != c.ref {
			t.Errorf("%s.%s: $ref %q, want %q", c.typ, c.field, got, c.ref)
		}
	}
	// Options: nullable and not required; everything else required.
	if prop("BlockHeader", "timeout_cert")["nullable"] != true {
		t.Error("option timeout_cert is not nullable")
	}
	req := sc["BlockHeader"]["required"].([]any)
	if len(req) != 12 || slices.Contains(toStrings(req), "timeout_cert") {
		t.Errorf("BlockHeader required %v", req)
	}
	if p := prop("Validator", "trusted_os"); p["type"] != "boolean" {
		t.Errorf("bool: %v", p)
	}
	if p := prop("Validator", "peer_id"); p["type"] != "string" {
		t.Errorf("string: %v", p)
	}
	if p := prop("QuorumCert", "votes"); p["type"] != "array" || p["items"].(map[string]any)["$ref"] != "#/components/schemas/ValidatorSignature" {
		t.Errorf("vec: %v", p)
	}
	if e := sc["TxType"]["enum"].([]any); e[0] != "Transfer" || sc["TxType"]["type"] != "string" {
		t.Errorf("enum: %v", sc["TxType"])
	}
	if sc["Hash"]["pattern"] != "^0x[0-9a-f]{64}$" || sc["Signature"]["pattern"] != "^0x[0-9a-f]{130}$" ||
		sc["Address"]["pattern"] != "^orama:[0-9a-fA-F]{40}$" {
		t.Errorf("fixed: %v %v %v", sc["Hash"], sc["Signature"], sc["Address"])
	}
	for name, s := range sc {
		if name != "Out" && name != u64Schema && name != bytesSchema && s[SpecTypeKey] != name {
			t.Errorf("schema %s lacks %s", name, SpecTypeKey)
		}
	}
	// Only what the document reaches: no consensus messages, no genesis.
	for _, absent := range []string{"Vote", "Timeout", "Genesis", "Envelope", "SafetyRecord"} {
		if sc[absent] != nil {
			t.Errorf("%s is generated but unreferenced", absent)
		}
	}
}

func toStrings(v []any) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = x.(string)
	}
	return out
}

// TestExtras: an x-spec-type schema adds API-only properties after the
// spec's fields, and its own required list and doc.
func TestExtras(t *testing.T) {
	m, err := build(loadSpec(t), []byte(doc(`    Out: {$ref: '#/components/schemas/Validator'}
    Validator:
      x-spec-type: Validator
      description: 'API: with power.'
      required: [power]
      properties:
        power: {$ref: '#/components/schemas/U64'}
`)))
	if err != nil {
		t.Fatal(err)
	}
	v := get(m.schemas, "Validator")
	var props []string
	for i, p := 0, get(v, "properties"); i < len(p.Content); i += 2 {
		props = append(props, p.Content[i].Value)
	}
	if got := strings.Join(props, " "); got != "address stake trusted_os peer_id power" {
		t.Errorf("properties %s", got)
	}
	var req []string
	for _, r := range get(v, "required").Content {
		req = append(req, r.Value)
	}
	if got := strings.Join(req, " "); got != "address stake trusted_os peer_id power" {
		t.Errorf("required %s", got)
	}
	if d := get(v, "description").Value; !strings.HasPrefix(d, "A member of the validator set") || !strings.HasSuffix(d, "API: with power.") {
		t.Errorf("description %q", d)
	}
	if got := m.extras["Validator"]; len(got) != 1 || got[0] != "power" {
		t.Errorf("extras %v", got)
	}
}

// TestRejects: mistakes in the hand-written document are refused with a
// message that names them, rather than generating a wrong API.
func TestRejects(t *testing.T) {
	for name, c := range map[string]struct{ schemas, want string }{
		"spec type written by hand": {
			"    Out: {$ref: '#/components/schemas/Account'}\n    Account: {type: object}\n",
			"schema Account is a spec type"},
		"marker names another type": {
			"    Out: {type: object}\n    Account: {x-spec-type: Receipt}\n",
			"must be the schema's own name"},
		"marker on an API-only name": {
			"    Out: {x-spec-type: Out}\n",
			"must be the schema's own name"},
		"extra repeats a spec field": {
			"    Out: {type: object}\n    Account: {x-spec-type: Account, properties: {nonce: {type: string}}}\n",
			"property nonce is a field of spec type Account"},
		"extra with other keys": {
			"    Out: {type: object}\n    Account: {x-spec-type: Account, type: object}\n",
			"key type"},
		"generated primitive by hand": {
			"    Out: {type: object}\n    U64: {type: string}\n",
			"schema U64 is generated"},
		"unknown ref": {
			"    Out: {$ref: '#/components/schemas/Nope'}\n",
			"names neither a schema of the document nor a spec type"},
	} {
		_, err := build(loadSpec(t), []byte(doc(c.schemas)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}

// TestGenerateWritesFiles: Generate writes Files, each marked generated.
func TestGenerateWritesFiles(t *testing.T) {
	out := t.TempDir()
	if err := Generate(loadSpec(t), "../../spec/openapi.yaml", out); err != nil {
		t.Fatal(err)
	}
	for _, name := range Files {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if !strings.Contains(first, "Code generated") || !strings.HasSuffix(first, "DO NOT EDIT.") {
			t.Errorf("%s starts %q", name, first)
		}
	}
}
