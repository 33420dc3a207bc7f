package hostgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const specDir = "../../spec"

func load(t *testing.T) *Spec {
	t.Helper()
	s, err := Load(specDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSpecCoversSection9 pins the function list to Appendix G section 9:
// a function dropped or renamed in the YAML fails here, not in a contract.
func TestSpecCoversSection9(t *testing.T) {
	s := load(t)
	var got []string
	for _, f := range s.Functions() {
		got = append(got, f.Import())
	}
	want := []string{
		"orama.db.execute", "orama.db.query", "orama.db.query_one",
		"orama.cache.get", "orama.cache.set", "orama.cache.delete",
		"orama.storage.put", "orama.storage.get",
		"orama.state.get", "orama.state.set", "orama.state.delete",
		"orama.transfer_orama", "orama.transfer_btc", "orama.get_balance",
		"orama.ctx.caller", "orama.ctx.block_height", "orama.ctx.block_timestamp", "orama.ctx.orama_value", "orama.ctx.btc_value",
		"orama.ctx.input", "orama.ctx.self",
		"orama.emit", "orama.log.info", "orama.log.error",
		"orama.crypto.sha256", "orama.crypto.keccak256", "orama.crypto.verify_signature",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("functions\n got %v\nwant %v", got, want)
	}
	sig := map[string]string{}
	for _, f := range s.Functions() {
		sig[f.Import()] = f.Signature()
	}
	for name, want := range map[string]string{
		"orama.db.execute":              "orama.db.execute(query_ptr: i32, query_len: i32, params_ptr: i32, params_len: i32) -> result_ptr: i32",
		"orama.cache.set":               "orama.cache.set(key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32, ttl_seconds: i32) -> status: i32",
		"orama.transfer_orama":          "orama.transfer_orama(to_ptr: i32, amount: i64) -> status: i32",
		"orama.get_balance":             "orama.get_balance(address_ptr: i32, asset: i32) -> value: i64",
		"orama.ctx.caller":              "orama.ctx.caller() -> result_ptr: i32",
		"orama.ctx.input":               "orama.ctx.input() -> result_ptr: i32",
		"orama.ctx.self":                "orama.ctx.self() -> result_ptr: i32",
		"orama.state.get":               "orama.state.get(key_ptr: i32, key_len: i32) -> result_ptr: i32",
		"orama.state.set":               "orama.state.set(key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32) -> status: i32",
		"orama.state.delete":            "orama.state.delete(key_ptr: i32, key_len: i32) -> status: i32",
		"orama.crypto.sha256":           "orama.crypto.sha256(data_ptr: i32, data_len: i32, out_ptr: i32)",
		"orama.crypto.verify_signature": "orama.crypto.verify_signature(msg_ptr: i32, msg_len: i32, sig_ptr: i32, addr_ptr: i32) -> ok: i32",
		"orama.log.info":                "orama.log.info(msg_ptr: i32, msg_len: i32)",
	} {
		if sig[name] != want {
			t.Errorf("%s: signature %q, want %q", name, sig[name], want)
		}
	}
}

// TestLoadRejects feeds the loader broken copies of the spec: each must be
// refused with a message naming the problem.
func TestLoadRejects(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(specDir, "hostfuncs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	params, err := os.ReadFile(filepath.Join(specDir, "params.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"unknown key", "abi_version: 1", "abi_version: 1\ncolour: blue", "colour"},
		{"unknown code", "codes: [ok, sql_error, sql_constraint, sql_denied]", "codes: [ok, sql_eror]", "unknown code"},
		{"unknown trap", "traps: [too_long, out_of_gas, out_of_bounds, malformed_input, alloc_failed, host_failure]\n        determinism: |\n          The statement", "traps: [too_lng]\n        determinism: |\n          The statement", "unknown trap"},
		{"unknown limit", "max: MaxCacheValueBytes", "max: MaxCacheValue", "not a limit"},
		{"unknown param", "value: params.MaxEventsPerReceipt", "value: params.NoSuchConstant", "NoSuchConstant"},
		{"duplicate code value", "{name: invalid_amount, value: 3,", "{name: invalid_amount, value: 2,", "value 2 is taken"},
		{"codes on a u64", "        result: {type: u64}\n        gas: {base: 1000}\n        codes: [ok]", "        result: {type: u64}\n        gas: {base: 1000}\n        codes: [ok, not_found]", "only status functions"},
		{"output gas without result", "gas: {base: 1000, per_input_byte: 4}", "gas: {base: 1000, per_input_byte: 4, per_output_byte: 1}", "per_output_byte"},
		{"row gas on a query", "gas: {base: 10000, per_input_byte: 10, per_output_byte: 4}", "gas: {base: 10000, per_input_byte: 10, per_output_byte: 4, per_row: 1}", "per_row"},
		{"row gas on a status", "gas: {base: 1000, per_input_byte: 4}", "gas: {base: 1000, per_input_byte: 4, per_row: 500}", "per_row"},
		{"empty without absent", "result: {type: result, absent: true, empty: true}", "result: {type: result, empty: true}", "empty needs absent"},
		{"empty on a status", "        result: {type: status}\n        gas: {base: 2000, per_input_byte: 10}", "        result: {type: status, empty: true}\n        gas: {base: 2000, per_input_byte: 10}", "never absent"},
		{"bad module", "module: orama.cache", "module: cache", "not orama"},
		{"missing determinism", "determinism: An expired entry counts as absent (not_found).", "", "determinism"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(orig, []byte(c.old)) {
				t.Fatalf("the spec no longer contains %q", c.old)
			}
			dir := t.TempDir()
			mod := bytes.Replace(orig, []byte(c.old), []byte(c.new), 1)
			os.WriteFile(filepath.Join(dir, "hostfuncs.yaml"), mod, 0o644)
			os.WriteFile(filepath.Join(dir, "params.yaml"), params, 0o644)
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestCommittedOutputUpToDate regenerates every target into a temporary
// directory and compares with the committed files, twice, so the output is
// both current and deterministic.
func TestCommittedOutputUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	committed := map[string]string{
		"host/host.go":         "generated/host/host.go",
		"host/runtime.go":      "generated/host/runtime.go",
		"doc.md":               "docs/contracts/host-functions.md",
		"host.ts":              "sdk/as/assembly/generated/host.ts",
		"gosdk/consts.go":      "sdk/go/consts.go",
		"gosdk/host_wasip1.go": "sdk/go/host_wasip1.go",
	}
	var first map[string][]byte
	for run := 0; run < 2; run++ {
		dir := t.TempDir()
		err := Generate(Config{SpecDir: specDir, GoOut: filepath.Join(dir, "host"), DocOut: filepath.Join(dir, "doc.md"),
			ASOut: filepath.Join(dir, "host.ts"), GoSDKOut: filepath.Join(dir, "gosdk")})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{}
		for gen, path := range committed {
			b, err := os.ReadFile(filepath.Join(dir, gen))
			if err != nil {
				t.Fatal(err)
			}
			got[gen] = b
			want, err := os.ReadFile(filepath.Join(root, path))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("%s differs from what spec/hostfuncs.yaml gives: run make generate", path)
			}
		}
		if first == nil {
			first = got
			continue
		}
		for k := range got {
			if !bytes.Equal(got[k], first[k]) {
				t.Errorf("%s differs between two runs", k)
			}
		}
	}
}

func TestGeneratedGoHeader(t *testing.T) {
	files, err := GoHost(load(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if !bytes.HasPrefix(b, []byte("// Code generated by gen/cmd/oramahost from spec/hostfuncs.yaml. DO NOT EDIT.")) {
			t.Errorf("%s lacks the generated-code header", name)
		}
	}
}
