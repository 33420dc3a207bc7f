package nsvectors

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedVectorsUpToDate: Build is deterministic (two runs give the
// same bytes) and conformance/vectors-ns holds exactly what it writes.
func TestCommittedVectorsUpToDate(t *testing.T) {
	ctx := context.Background()
	first, err := Build(ctx, "../../spec/cases/ns")
	if err != nil {
		t.Fatal(err)
	}
	second, err := Build(ctx, "../../spec/cases/ns")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(second) {
		t.Fatalf("%d files, then %d", len(first), len(second))
	}
	for i, f := range first {
		if f.Path != second[i].Path || !bytes.Equal(f.Data, second[i].Data) {
			t.Fatalf("%s differs between two runs", f.Path)
		}
		got, err := os.ReadFile(filepath.Join("../../conformance/vectors-ns", filepath.FromSlash(f.Path)))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("conformance/vectors-ns/%s is not what the generator writes (run make generate): %v", f.Path, err)
		}
	}
}

// TestRefusesWrongExpectation: a step whose stated status the executor
// does not give stops the generator (the vectors are not an echo of
// whatever the executor does).
func TestRefusesWrongExpectation(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(mustAbs(t, "../../spec/cases/ns"), "modules"), filepath.Join(dir, "modules")); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../spec/cases/ns/token.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "function: mint, gas: 10000000}, expect: UnknownFunction}", "function: mint, gas: 10000000}, expect: Ok}", 1)
	if bad == string(src) {
		t.Fatal("the case to change is gone")
	}
	if err := os.WriteFile(filepath.Join(dir, "token.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "UnknownFunction") {
		t.Fatalf("want the step refused, got %v", err)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
