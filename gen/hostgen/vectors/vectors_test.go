package vectors

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	specDir  = "../../../spec"
	casesDir = "../../../spec/cases/abi"
	outDir   = "../../../conformance/vectors-abi"
)

// TestCommittedVectorsUpToDate builds the vectors twice: both runs must be
// byte-identical and equal to the committed tree.
func TestCommittedVectorsUpToDate(t *testing.T) {
	a, err := Build(specDir, casesDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(specDir, casesDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatal("two runs gave different file lists")
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("%s differs between two runs", a[i].Path)
		}
		committed, err := os.ReadFile(filepath.Join(outDir, a[i].Path))
		if err != nil || !bytes.Equal(committed, a[i].Data) {
			t.Errorf("conformance/vectors-abi/%s is not what spec/cases/abi gives: run make generate", a[i].Path)
		}
	}
}

// TestRefusesWrongClaims: a case whose stated outcome the model does not
// give is refused, so a wrong expectation cannot become a vector.
func TestRefusesWrongClaims(t *testing.T) {
	for _, c := range []struct{ old, new string }{
		{"expect: {status: sql_constraint}", "expect: {status: ok}"},
		{"    args: {query_len: 16385}\n    expect: {trap: too_long}", "    args: {query_len: 16384}\n    expect: {trap: too_long}"},
		{"    expect: {status: sql_denied}\n\n  - name: db_execute_denied_default_timestamp", "    expect: {status: sql_error}\n\n  - name: db_execute_denied_default_timestamp"},
	} {
		orig, err := os.ReadFile(filepath.Join(casesDir, "db.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(orig, []byte(c.old)) {
			t.Fatalf("db.yaml no longer contains %q", c.old)
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "db.yaml"), bytes.Replace(orig, []byte(c.old), []byte(c.new), 1), 0o644)
		for _, f := range []string{"cache", "storage", "token", "ctx", "events", "crypto", "state"} {
			d, _ := os.ReadFile(filepath.Join(casesDir, f+".yaml"))
			os.WriteFile(filepath.Join(dir, f+".yaml"), d, 0o644)
		}
		if _, err := Build(specDir, dir); err == nil || !strings.Contains(err.Error(), "the model gives") {
			t.Errorf("%q -> %q: Build = %v, want a refusal", c.old, c.new, err)
		}
	}
}
