package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// manifest is a vector tree's manifest.json.
type manifest struct {
	FormatVersion int `json:"format_version"`
	Files         []struct {
		Path   string `json:"path"`
		Cases  int    `json:"cases"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

// vectorFile is the envelope every vector file shares.
type vectorFile struct {
	Kind  string            `json:"kind"`
	Type  string            `json:"type"`
	Cases []json.RawMessage `json:"cases"`
	// Lag and Window: the leader-schedule parameters (kind leader_schedule).
	Lag    string `json:"lag"`
	Window string `json:"window"`
	// Raw is the whole file, for kinds whose cases are not a "cases" list
	// (ns_replay: a log and its tampered copies).
	Raw json.RawMessage `json:"-"`
}

// runManifest checks a vector tree the way conformance/README.md asks any
// runner to: every file the manifest lists must match its sha256 and case
// count, have a runner for its kind, and have every case checked (run
// returns how many it checked); every file in dir must be listed, apart from
// the names in unlisted (a hand-written README). It returns the cases
// checked per kind. version is the tree's format_version the runner knows.
func runManifest(t *testing.T, dir string, version int, unlisted []string, runners map[string]func(*testing.T, vectorFile) int) map[string]int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.FormatVersion != version {
		t.Fatalf("format_version %d, runner knows %d", m.FormatVersion, version)
	}
	listed := map[string]bool{"manifest.json": true}
	for _, u := range unlisted {
		listed[u] = true
	}
	checked := map[string]int{}
	for _, f := range m.Files {
		listed[f.Path] = true
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		if "0x"+hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: sha256 differs from the manifest", f.Path)
		}
		vf := vectorFile{Raw: raw}
		if err := json.Unmarshal(raw, &vf); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		// A file without a "cases" list counts its cases by its runner,
		// against the manifest.
		want := f.Cases
		if vf.Cases != nil && len(vf.Cases) != f.Cases {
			t.Errorf("%s: %d cases, manifest says %d", f.Path, len(vf.Cases), f.Cases)
		}
		run := runners[vf.Kind]
		if run == nil {
			t.Errorf("%s: no runner for kind %q", f.Path, vf.Kind)
			continue
		}
		n := 0
		t.Run(f.Path, func(t *testing.T) { n = run(t, vf) })
		if n != want {
			t.Errorf("%s: checked %d of %d cases", f.Path, n, want)
		}
		checked[vf.Kind] += n
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !listed[filepath.ToSlash(rel)] {
			t.Errorf("%s is not in the manifest, so no runner reads it", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return checked
}
