package nsengine

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/nsengine/enginetest"
)

// TestImports: the engines never depend on the VM, the host functions, the
// consensus or the node (package doc), directly or through another package
// of this module.
func TestImports(t *testing.T) {
	const module = "github.com/oramanetwork/orama-chain/"
	forbidden := []string{"runtime/vm", "runtime/host", "runtime/consensus", "runtime/node"}
	root := enginetest.RepoRoot(t)
	seen := map[string]bool{}
	var walk func(pkg, from string)
	walk = func(pkg, from string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		rel := strings.TrimPrefix(pkg, module)
		for _, f := range forbidden {
			if rel == f || strings.HasPrefix(rel, f+"/") {
				t.Errorf("%s imports %s", from, pkg)
			}
		}
		p, err := build.ImportDir(filepath.Join(root, filepath.FromSlash(rel)), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) {
				walk(imp, pkg)
			}
		}
	}
	walk(module+"runtime/nsengine", "")
	walk(module+"runtime/nsengine/enginetest", "")
	if len(seen) < 3 {
		t.Fatalf("walked only %v", seen)
	}
}
