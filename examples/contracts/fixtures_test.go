package contracts_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// nsVectorModules are the examples the namespace replay vectors deploy
// (spec/cases/ns/modules/NAME.wasm): gen/nsvectors reads the committed
// bytes, so generating the vectors needs no AssemblyScript compiler.
var nsVectorModules = []string{"token", "guestbook", "sqlprobe"}

// TestNsVectorModulesCurrent fails when a committed module differs from
// what its source builds to now. ORAMA_UPDATE_NS_MODULES=1 rewrites them
// (then run make generate: the vectors change with them).
func TestNsVectorModulesCurrent(t *testing.T) {
	mods := modules(t)
	dir := filepath.Join(repoRoot(), "spec", "cases", "ns", "modules")
	for _, name := range nsVectorModules {
		path := filepath.Join(dir, name+".wasm")
		if os.Getenv("ORAMA_UPDATE_NS_MODULES") == "1" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, mods[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, mods[name]) {
			t.Errorf("%s differs from what examples/contracts/as/%s.ts builds to: run ORAMA_UPDATE_NS_MODULES=1 go test -run TestNsVectorModulesCurrent ./examples/contracts/ and make generate", path, name)
		}
	}
}
