//go:build unix

package suite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeFixtures writes a manifest with one fixture whose import must give
// height 0 and no refusal.
func fakeFixtures(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"f/genesis.json":  "{}",
		"f/chain.bin":     "",
		"f/expected.json": `{"kind":"chain","name":"f","import":{"imported_height":0},"blocks":[]}`,
	}
	var list []map[string]string
	for p, body := range files {
		os.MkdirAll(filepath.Join(dir, "f"), 0o700)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		list = append(list, map[string]string{"path": p, "sha256": "0x" + hex.EncodeToString(sum[:])})
	}
	m := map[string]any{"format_version": 1, "files": list, "fixtures": []map[string]string{
		{"name": "f", "genesis": "f/genesis.json", "chain": "f/chain.bin", "expected": "f/expected.json"}}}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fakeAdapter(t *testing.T, script string) string {
	p := filepath.Join(t.TempDir(), "adapter")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAdapterFailures: an adapter that fails, lies in its report or never
// serves fails the run with a message saying which, quickly and without a
// crash.
func TestAdapterFailures(t *testing.T) {
	fixtures := fakeFixtures(t)
	for _, tc := range []struct {
		name, script string
		want         []string
	}{
		{"import fails", `case "$1" in import) echo broken >&2; exit 5;; esac; exit 1`,
			[]string{"exited 5, an adapter failure"}},
		{"no report", `case "$1" in import) exit 0;; esac; exit 1`,
			[]string{"no report on the last line of stdout"}},
		{"wrong report", `case "$1" in import) echo '{"imported_height": 1}'; exit 0;; run) exit 0;; esac`,
			[]string{`import report {"imported_height":1}; want {"imported_height":0}`, "exited before its API answered"}},
		{"refusal with exit 0", `case "$1" in import) echo '{"imported_height": 0, "refused_height": 1, "reason": "bad_header"}'; exit 0;; run) exit 0;; esac`,
			[]string{"import report", "want {\"imported_height\":0}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			rep, err := Run(context.Background(), Config{Adapter: fakeAdapter(t, tc.script), Fixtures: fixtures,
				Only: regexp.MustCompile(`^import/`), WorkDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			failed := rep.Failed()
			if len(failed) != 1 || failed[0].ID != "import/f" {
				t.Fatalf("failures: %+v", failed)
			}
			msg := strings.Join(failed[0].Messages, "; ")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
			if !strings.Contains(failed[0].Spec, "Importing a chain") {
				t.Errorf("spec %q", failed[0].Spec)
			}
		})
	}
}

// TestLiveWithoutOurNode: without our binary the live checks cannot run;
// that is the run's error, not the node's failure.
func TestLiveWithoutOurNode(t *testing.T) {
	rep, err := Run(context.Background(), Config{Adapter: fakeAdapter(t, "exit 1"), Only: regexp.MustCompile(`^rest/blocks$`), WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Status != Error || !strings.Contains(rep.Results[0].Messages[0], "--orama-bin") {
		t.Fatalf("%+v", rep.Results)
	}
	if _, err := Run(context.Background(), Config{Adapter: "/nonexistent/adapter"}); err == nil {
		t.Fatal("a missing adapter accepted")
	}
}

// TestStopReachesChildren: stopping an adapter stops the node it started
// as its child, through the process group.
func TestStopReachesChildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	script := fakeAdapter(t, `sleep 300 & echo $! > `+pidFile+`; wait`)
	p, err := startProc("fake", []string{script}, os.Environ(), filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	var child int
	for i := 0; i < 100 && child == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if child == 0 {
		t.Fatal("the script did not start its child")
	}
	if killed := p.stop(); killed {
		t.Error("needed SIGKILL")
	}
	for i := 0; alive(child); i++ {
		if i == 100 {
			syscall.Kill(child, syscall.SIGKILL)
			t.Fatal("the adapter's child survived the stop")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid runs: it exists and is not a zombie waiting
// for a reaper.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust kill
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}
