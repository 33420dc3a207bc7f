package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// KuboNode is a running `ipfs daemon --offline` (Kubo, test profile) on
// 127.0.0.1, killed when the test ends.
type KuboNode struct {
	// APIURL is the RPC API base URL, "http://127.0.0.1:PORT" (the API is
	// under /api/v0 and takes POST only).
	APIURL  string
	Dir     string // IPFS_PATH
	LogPath string // the daemon's stdout and stderr

	t   testing.TB
	bin string
	env []string
	mu  sync.Mutex
	p   *proc
}

// Kubo initialises a repository in a temp dir (`ipfs init --profile=test`),
// sets Addresses.API and Addresses.Gateway to free 127.0.0.1 ports,
// Addresses.Swarm and Bootstrap to [], starts `ipfs daemon --offline` and
// waits until POST /api/v0/id answers.
func Kubo(t testing.TB) *KuboNode {
	t.Helper()
	k := &KuboNode{t: t, bin: Binary(t, "ipfs")}
	base := t.TempDir()
	k.Dir = filepath.Join(base, "repo")
	k.LogPath = filepath.Join(base, "daemon.log")
	k.env = []string{"IPFS_PATH=" + k.Dir, "IPFS_TELEMETRY=off", "GOLOG_LOG_LEVEL=error"}
	ports := FreePorts(t, 2)
	k.APIURL = "http://127.0.0.1:" + strconv.Itoa(ports[0])

	init := exec.Command(k.bin, "init", "--profile=test")
	init.Env = append(os.Environ(), k.env...)
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("enginetest: ipfs init: %v\n%s", err, out)
	}
	if err := editKuboConfig(filepath.Join(k.Dir, "config"), ports[0], ports[1]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("--- ipfs daemon log tail:\n%s", tail(k.LogPath, 25))
		}
	})
	k.Start()
	return k
}

// editKuboConfig sets the addresses in the repository's JSON config, as
// `ipfs config` would, without starting the 125 MB binary four times.
func editKuboConfig(path string, api, gateway int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("enginetest: kubo config: %w", err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("enginetest: kubo config: %w", err)
	}
	addrs, _ := cfg["Addresses"].(map[string]any)
	if addrs == nil {
		addrs = map[string]any{}
		cfg["Addresses"] = addrs
	}
	addrs["API"] = fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", api)
	addrs["Gateway"] = fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", gateway)
	addrs["Swarm"] = []string{}
	cfg["Bootstrap"] = []string{}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("enginetest: kubo config: %w", err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return fmt.Errorf("enginetest: kubo config: %w", err)
	}
	return nil
}

// Start starts the daemon (after Stop: same repository and ports) and waits
// until its API answers.
func (k *KuboNode) Start() {
	k.t.Helper()
	k.Stop()
	p, err := startProc(k.bin, []string{"daemon", "--offline"}, k.env, filepath.Dir(k.Dir), k.LogPath)
	if err != nil {
		k.t.Fatal(err)
	}
	k.mu.Lock()
	k.p = p
	k.mu.Unlock()
	deadline := time.Now().Add(ReadyTimeout)
	for {
		if kuboUp(k.APIURL) {
			return
		}
		if p.exited() {
			k.t.Fatalf("enginetest: ipfs daemon exited before its API answered:\n%s", tail(k.LogPath, 25))
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("enginetest: ipfs API %s not answering after %s:\n%s", k.APIURL, ReadyTimeout, tail(k.LogPath, 25))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop SIGKILLs the daemon and waits until it has exited.
func (k *KuboNode) Stop() {
	k.mu.Lock()
	p := k.p
	k.mu.Unlock()
	if p != nil {
		p.kill()
		// A killed daemon leaves repo.lock behind; the next start takes it
		// over (it is an flock), but remove the API file it also leaves.
		_ = os.Remove(filepath.Join(k.Dir, "api"))
	}
}

func kuboUp(apiURL string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/api/v0/id", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
