package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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

	"github.com/oramanetwork/orama-chain/generated/params"
)

// TestBinaryEndToEnd drives the built orama binary as a user would: two
// keys, a devnet node in its own process, ORAMA and BTC transfers, a
// username claim, a transfer to @name, balances and history read over REST
// and with the CLI; then the node restarts and everything reads the same.
func TestBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "orama")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ks, data, pwf := filepath.Join(dir, "keystore"), filepath.Join(dir, "data"), filepath.Join(dir, "pw")
	os.WriteFile(pwf, []byte("e2e password\n"), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url := "http://" + addr

	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "ORAMA_NODE="+url, "ORAMA_KEYSTORE="+ks)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			return out.String(), fmt.Errorf("orama %s: %v: %s", strings.Join(args, " "), err, errb.String())
		}
		return out.String(), nil
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	jsonOf := func(s string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, s)
		}
		return m
	}

	// Two keys, created by the CLI in Web3 Secret Storage v3 files.
	must("keys", "new", "--password-file", pwf, "--light-kdf")
	must("keys", "new", "--password-file", pwf, "--light-kdf")
	var keys []string
	for _, l := range strings.Split(strings.TrimSpace(must("keys", "list")), "\n") {
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "orama:") {
				keys = append(keys, f)
			}
		}
	}
	if len(keys) != 2 {
		t.Fatalf("keys list: %v", keys)
	}
	alice, bob := keys[0], keys[1]
	must("init", "--data-dir", data, "--alloc", alice+"=1000:2")

	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin, "node", "--data-dir", data, "--block-time", "200ms", "--api-listen", addr, "--log-level", "warn")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			if r, err := http.Get(url + "/v1/chain/status"); err == nil {
				r.Body.Close()
				return cmd
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("node did not start serving")
		return nil
	}
	stop := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("node exit: %v", err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatal("node did not stop on SIGTERM")
		}
	}
	node := start()
	defer func() { node.Process.Kill() }()

	tx := []string{"--password-file", pwf, "--wait"}
	must(append([]string{"send", "--from", alice, "--to", bob, "--amount", "12.5", "--asset", "ORAMA"}, tx...)...)
	must(append([]string{"send", "--from", alice, "--to", bob, "--amount", "0.25", "--asset", "BTC"}, tx...)...)
	must(append([]string{"username", "claim", "alice", "--from", alice}, tx...)...)
	must(append([]string{"send", "--from", bob, "--to", "@alice", "--amount", "1.5"}, tx...)...)

	getJSON := func(path string) map[string]any {
		t.Helper()
		r, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, r.StatusCode, b)
		}
		return jsonOf(string(b))
	}
	type view struct {
		aliceRays, aliceSats, bobRays, bobSats, username string
		history                                          int
	}
	read := func() view {
		t.Helper()
		a := getJSON("/v1/accounts/@alice/balance")
		b := getJSON("/v1/accounts/" + bob + "/balance")
		acc := getJSON("/v1/accounts/" + alice)["account"].(map[string]any)
		hist := getJSON("/v1/accounts/@alice/transactions?limit=10")["transactions"].([]any)
		v := view{a["orama"].(string), a["btc"].(string), b["orama"].(string), b["btc"].(string), acc["username"].(string), len(hist)}
		// The CLI reads the same.
		cliAcc := jsonOf(must("--json", "account", "@alice"))
		if fmt.Sprint(cliAcc["account"].(map[string]any)["orama_balance"]) != v.aliceRays {
			t.Fatalf("CLI and REST disagree: %v vs %s", cliAcc, v.aliceRays)
		}
		return v
	}
	before := read()
	// Bob: 12.5 received, 1.5 sent minus its fee; alice: the reverse; BTC 0.25.
	if before.username != "alice" || before.bobSats != "25000000" || before.aliceSats != "175000000" || before.history != 4 {
		t.Fatalf("after the transactions: %+v", before)
	}
	if before.aliceRays == "1000000000" || before.bobRays == "0" {
		t.Fatalf("balances did not move: %+v", before)
	}
	// Bob to the ray: 12.5 - 1.5 ORAMA less the fee of his one transfer.
	if got, err := parseAmount(before.bobRays, unitBase); err != nil || got >= 11*params.RaysPerOrama || got < 11*params.RaysPerOrama-1000 {
		t.Fatalf("bob holds %s rays", before.bobRays)
	}

	stop(node)
	node = start()
	after := read()
	if after != before {
		t.Fatalf("after restart %+v, before %+v", after, before)
	}
	// And the chain keeps going from where it was.
	must(append([]string{"send", "--from", alice, "--to", "@alice", "--amount", "0.000001"}, tx...)...)
	stop(node)
}
