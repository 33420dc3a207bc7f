package outdir

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReplace: the tree holds exactly the new files and the top README.md;
// a stale file, a stale directory and a README.md below the top are gone.
func TestReplace(t *testing.T) {
	out := t.TempDir()
	for p, d := range map[string]string{"README.md": "docs", "old.json": "x", "gone/a.json": "y", "keep/README.md": "z"} {
		f := filepath.Join(out, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Replace(out, []string{"new.json", "keep/b.json"}, [][]byte{[]byte("1"), []byte("2")}); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{"README.md", "keep/b.json", "new.json"}
	if len(got) != len(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("files %v, want %v", got, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "README.md")); string(b) != "docs" {
		t.Fatalf("README.md changed: %q", b)
	}
}
