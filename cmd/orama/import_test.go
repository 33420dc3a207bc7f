package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const chainFixtures = "../../conformance/vectors-chain"

func fixturePaths(name string) (genesis, chain string) {
	return filepath.Join(chainFixtures, name, "genesis.json"), filepath.Join(chainFixtures, name, "chain.bin")
}

// lastLine is the report: the last line of stdout.
func lastLine(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line not JSON: %v\n%s", err, out)
	}
	return m
}

func TestImportCommand(t *testing.T) {
	c := newCLI(t)
	data := filepath.Join(t.TempDir(), "data")
	g, chain := fixturePaths("transactions")
	r := c.run("import", "--data-dir", data, "--genesis", g, "--chain", chain)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if m := lastLine(t, r.stdout); len(m) != 1 || m["imported_height"] != float64(7) {
		t.Fatalf("report %v", m)
	}
	// Again on the same directory: nothing new, the same height.
	if r = c.run("import", "--data-dir", data, "--genesis", g, "--chain", chain); r.code != exitOK || lastLine(t, r.stdout)["imported_height"] != float64(7) {
		t.Fatalf("second import: exit %d %s %s", r.code, r.stdout, r.stderr)
	}

	g, chain = fixturePaths("refused_bad_nonce")
	r = c.run("import", "--data-dir", filepath.Join(t.TempDir(), "d"), "--genesis", g, "--chain", chain)
	m := lastLine(t, r.stdout)
	if r.code != exitRefused || m["imported_height"] != float64(2) || m["refused_height"] != float64(3) || m["reason"] != "non_includable_transaction" {
		t.Fatalf("refused import: exit %d, report %v, stderr %s", r.code, m, r.stderr)
	}
	if !strings.Contains(r.stderr, "BadNonce") {
		t.Errorf("stderr does not say why: %s", r.stderr)
	}

	// A data dir of another genesis is a failure, not a refusal.
	g, chain = fixturePaths("refused_no_quorum")
	if r = c.run("import", "--data-dir", data, "--genesis", g, "--chain", chain); r.code != exitFailure || r.stdout != "" {
		t.Fatalf("other genesis: exit %d, stdout %q", r.code, r.stdout)
	}
	if r = c.run("import", "--data-dir", data); r.code != exitUsage {
		t.Fatalf("no --chain: exit %d", r.code)
	}
	if r = c.run("import", "--data-dir", data, "--genesis", g, "--chain", filepath.Join(t.TempDir(), "absent")); r.code != exitFailure {
		t.Fatalf("absent chain file: exit %d", r.code)
	}
}

// TestAdapter drives conformance/adapter/orama as the black-box suite does
// (conformance/CLIENT.md): import, then run in its own process group, the
// REST API answering with the imported chain, then SIGTERM.
func TestAdapter(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "orama")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	adapter, err := filepath.Abs("../../conformance/adapter/orama")
	if err != nil {
		t.Fatal(err)
	}
	g, chain := fixturePaths("view_change")
	g, _ = filepath.Abs(g)
	chain, _ = filepath.Abs(chain)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := append(os.Environ(), "ORAMA_BIN="+bin, "ORAMA_DATA_DIR="+filepath.Join(dir, "data"),
		"ORAMA_GENESIS="+g, "ORAMA_CHAIN_FILE="+chain, "ORAMA_API_LISTEN="+addr,
		"ORAMA_P2P_LISTEN=", "ORAMA_P2P_BOOTSTRAP=", "ORAMA_KEYSTORE=", "ORAMA_PASSWORD_FILE=",
		"ORAMA_BLOCK_TIME=300ms", "ORAMA_VIEW_TIMEOUT=")

	imp := exec.Command(adapter, "import")
	imp.Env = env
	out, err := imp.Output()
	if err != nil {
		t.Fatalf("adapter import: %v\n%s", err, out)
	}
	if m := lastLine(t, string(out)); m["imported_height"] != float64(7) {
		t.Fatalf("report %v", m)
	}

	run := exec.Command(adapter, "run")
	run.Env = env
	run.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs bytes.Buffer
	run.Stdout, run.Stderr = &logs, &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	defer func() {
		syscall.Kill(-run.Process.Pid, syscall.SIGKILL)
	}()
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get("/v1/chain/status"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API never answered\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var exp struct {
		Blocks []struct {
			Hash string `json:"hash"`
		} `json:"blocks"`
	}
	b, err := os.ReadFile(filepath.Join(chainFixtures, "view_change", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	code, blk := get("/v1/blocks/7")
	if code != http.StatusOK || blk["hash"] != exp.Blocks[6].Hash {
		t.Fatalf("block 7: %d %v, want hash %s", code, blk["hash"], exp.Blocks[6].Hash)
	}
	// A follower: it holds no validator key, so the chain stays where the
	// import left it.
	if code, m := get("/v1/blocks/latest"); code != http.StatusOK || m["hash"] != exp.Blocks[6].Hash {
		t.Fatalf("latest: %d %v", code, m["hash"])
	}
	if err := syscall.Kill(-run.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the node did not stop on SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", logs.String())
	}
}
