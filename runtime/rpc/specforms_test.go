package rpc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/node"
)

// The REST JSON of protocol types is generated from spec/*.yaml
// (gen/openapi). These tests hold the served API to the spec types compiled
// into this binary, so a spec field that any layer drops (schema,
// conversion, hand-encoded fast path) fails here. gen's
// TestPipelineFieldReachesREST runs them again with a field added to a copy
// of the spec, naming it in SpecProbeEnv.

// SpecProbeEnv lists "Type.field" keys that must appear in a served object.
const SpecProbeEnv = "ORAMA_SPEC_PROBE"

// specFields returns the JSON names of a spec struct's fields and which of
// them are options (pointers), from the generated Go type.
func specFields(t *testing.T, name string) (names []string, option map[string]bool) {
	v, ok := types.New(name)
	if !ok {
		t.Fatalf("x-spec-type %s is not a spec type", name)
	}
	rt := reflect.TypeOf(v).Elem()
	option = map[string]bool{}
	for i := range rt.NumField() {
		f := rt.Field(i)
		n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, n)
		option[n] = f.Type.Kind() == reflect.Pointer
	}
	return names, option
}

func specTypeOf(s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	switch v := s.Extensions["x-spec-type"].(type) {
	case string:
		return v
	case json.RawMessage:
		var n string
		json.Unmarshal(v, &n)
		return n
	}
	return ""
}

// throughAllOf looks through the allOf: [one $ref] wrappers that carry a doc.
func throughAllOf(s *openapi3.Schema) *openapi3.Schema {
	for s != nil && len(s.AllOf) == 1 && len(s.Properties) == 0 {
		s = s.AllOf[0].Value
	}
	return s
}

// TestSchemasCoverSpecTypes: every schema marked x-spec-type in the served
// document has every field of that spec type, required unless an option.
func TestSchemasCoverSpecTypes(t *testing.T) {
	doc, err := api.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	structs := 0
	for name, ref := range doc.Components.Schemas {
		st := specTypeOf(ref.Value)
		if st == "" || ref.Value.Type == nil || !ref.Value.Type.Is("object") {
			continue
		}
		structs++
		if st != name {
			t.Errorf("schema %s is marked x-spec-type %s", name, st)
		}
		fields, option := specFields(t, st)
		for _, f := range fields {
			if ref.Value.Properties[f] == nil {
				t.Errorf("schema %s lacks spec field %s", name, f)
			}
			if slices.Contains(ref.Value.Required, f) == option[f] {
				t.Errorf("schema %s: field %s required=%v, want %v", name, f, !option[f], !option[f])
			}
		}
	}
	if structs < 8 {
		t.Fatalf("only %d protocol struct schemas in the document", structs)
	}
}

// TestServedJSONHasSpecFields walks every response of a small chain with
// its schema: each object of a protocol type must have every field of that
// spec type (options may be absent).
func TestServedJSONHasSpecFields(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	alice, bob := keys[aliceKey], keys[bobKey]
	tx := transfer(alice, 0, bob.Address(), 5)
	if r := c.send(encodeTx(t, tx)); r.status != 202 {
		t.Fatalf("send: %s", r.body)
	}
	h, _ := tx.Hash()
	pendingTx := c.get("/v1/transactions/" + h.String())
	produce(t, n)
	putEvidence(t, n, 1, 4)

	router, err := specRouter()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	check := func(path string, r response) {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		req, _ := http.NewRequest(http.MethodGet, "http://node.test"+path, nil)
		route, _, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		schema := route.Operation.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		walkSpecJSON(t, path, v, schema, seen)
	}
	check("/v1/transactions/"+h.String(), pendingTx)
	for _, p := range []string{
		"/v1/accounts/@alice", // the hand-tuned encoder (fastjson.go)
		"/v1/accounts/@alice?proof=true",
		"/v1/accounts/" + strings.Repeat("ab", 20) + "?proof=true", // non-existence proof
		"/v1/accounts/@alice/transactions",
		"/v1/transactions/" + h.String(),
		"/v1/blocks/latest",
		"/v1/blocks/0",
		"/v1/validators",
		"/v1/evidence",
	} {
		check(p, c.get(p))
	}
	for _, want := range []string{"Account", "Transaction", "Receipt", "Event", "BlockHeader", "QuorumCert", "Block", "Validator", "SMTProof", "Evidence"} {
		if !seen[want] {
			t.Errorf("no response carried a %s", want)
		}
	}
	if probe := os.Getenv(SpecProbeEnv); probe != "" {
		for _, k := range strings.Split(probe, ",") {
			if !seen[k] {
				t.Errorf("%s: no served object has %s", SpecProbeEnv, k)
			}
		}
	}
}

// walkSpecJSON checks v against the spec types its schema s names and
// records in seen each type met and each "Type.field" present.
func walkSpecJSON(t *testing.T, where string, v any, s *openapi3.Schema, seen map[string]bool) {
	t.Helper()
	s = throughAllOf(s)
	if s == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if st := specTypeOf(s); st != "" {
			seen[st] = true
			fields, option := specFields(t, st)
			for _, f := range fields {
				if _, ok := x[f]; ok {
					seen[st+"."+f] = true
				} else if !option[f] {
					t.Errorf("%s: a %s without field %s: %v", where, st, f, x)
				}
			}
		}
		for k, pv := range x {
			if ps := s.Properties[k]; ps != nil {
				walkSpecJSON(t, where+"."+k, pv, ps.Value, seen)
			}
		}
	case []any:
		if s.Items != nil {
			for i, e := range x {
				walkSpecJSON(t, fmt.Sprintf("%s[%d]", where, i), e, s.Items.Value, seen)
			}
		}
	}
}

// TestHeaderTimeoutCert: a header's timeout certificate is in its JSON (it
// was missing, so such a header could be hashed only from its borsh field),
// and is absent, not null, when the header has none.
func TestHeaderTimeoutCert(t *testing.T) {
	hd := types.BlockHeader{Height: 9, View: 12}
	hd.Proposer[0] = 1
	for _, tc := range []*types.TimeoutCert{nil, {View: 11, Timeouts: []types.TimeoutSignature{{HighQCView: 10}}}} {
		hd.TimeoutCert = tc
		if tc != nil {
			tc.Timeouts[0].Validator[19] = 0xab
			tc.Timeouts[0].Signature[64] = 1
		}
		out, h, err := toHeader(&hd)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := hd.Hash(); h != want {
			t.Fatalf("hash %v, want %v", h, want)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		json.Unmarshal(b, &m)
		raw, ok := m["timeout_cert"]
		if tc == nil {
			if ok {
				t.Fatalf("timeout_cert %s for a header without one", raw)
			}
			continue
		}
		var got api.TimeoutCert
		if err := json.Unmarshal(raw, &got); err != nil || got.View != "11" || len(got.Timeouts) != 1 ||
			got.Timeouts[0].HighQcView != "10" || got.Timeouts[0].Validator != address(tc.Timeouts[0].Validator) ||
			got.Timeouts[0].Signature != tc.Timeouts[0].Signature.String() {
			t.Fatalf("timeout_cert %s (%v)", raw, err)
		}
	}
}

// TestAppendJSONMatchesEncodingJSON: the generated reflection-free encoders
// write exactly what encoding/json writes for the generated conversions.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	var sig types.Signature
	sig[0], sig[64] = 0xff, 1
	leaf := &types.SMTProofLeaf{Path: types.Hash{1}, ValueHash: types.Hash{2}}
	for i, c := range []struct {
		got  []byte
		want any
	}{
		{api.AppendSMTProofJSON(nil, &types.SMTProof{Bitmap: types.Bitmap256{0x80}, Siblings: []types.Hash{{3}}, Leaf: leaf}, nil),
			api.FromSMTProof(&types.SMTProof{Bitmap: types.Bitmap256{0x80}, Siblings: []types.Hash{{3}}, Leaf: leaf})},
		{api.AppendSMTProofJSON(nil, &types.SMTProof{}, nil), api.FromSMTProof(&types.SMTProof{})},
		{api.AppendReceiptJSON(nil, &types.Receipt{Status: types.TxStatusBadNonce, GasUsed: 7, Events: []types.Event{{Topic: "t<&>\"", Data: types.Bytes{1, 2}}, {}}}, nil),
			api.FromReceipt(&types.Receipt{Status: types.TxStatusBadNonce, GasUsed: 7, Events: []types.Event{{Topic: "t<&>\"", Data: types.Bytes{1, 2}}, {}}})},
		{api.AppendTimeoutCertJSON(nil, &types.TimeoutCert{View: 3, Timeouts: []types.TimeoutSignature{{Signature: sig}}}, nil),
			api.FromTimeoutCert(&types.TimeoutCert{View: 3, Timeouts: []types.TimeoutSignature{{Signature: sig}}})},
		{api.AppendQuorumCertJSON(nil, &types.QuorumCert{Votes: []types.ValidatorSignature{{Signature: sig}}}, nil),
			api.FromQuorumCert(&types.QuorumCert{Votes: []types.ValidatorSignature{{Signature: sig}}})},
	} {
		want, err := json.Marshal(c.want)
		if err != nil {
			t.Fatal(err)
		}
		if string(c.got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, c.got, want)
		}
	}
}
