package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// freePorts returns n distinct free TCP ports on loopback.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// consecutive finds a run of n free ports (devnet numbers ports base+i).
func consecutive(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := freePorts(t, 1)[0]
		ok := true
		var ls []net.Listener
		for i := range n {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no run of free ports")
	return 0
}

type chainStatus struct {
	Height          string `json:"height"`
	FinalizedHeight string `json:"finalized_height"`
	View            string `json:"view"`
	Leader          string `json:"leader"`
	Peers           int    `json:"peers"`
}

func getJSONInto(url string, v any) error {
	c := http.Client{Timeout: 3 * time.Second}
	r, err := c.Get(url)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	if r.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", url, r.StatusCode)
	}
	return json.NewDecoder(r.Body).Decode(v)
}

// TestDevnetProcesses runs `orama devnet --validators 4` as four separate
// processes over libp2p on loopback: they finalize blocks with transfers
// sent to any of them; the current leader is SIGKILLed and the other three
// go on; it restarts, syncs and rejoins; every validator serves the same
// block hash and state root at every finalized height.
func TestDevnetProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four node processes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "orama")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	p2pBase, apiBase := consecutive(t, 4), consecutive(t, 4)
	net := filepath.Join(dir, "net")
	out, err := exec.Command(bin, "devnet", "--validators", "4", "--dir", net, "--no-start",
		"--p2p-base-port", strconv.Itoa(p2pBase), "--api-base-port", strconv.Itoa(apiBase),
		"--block-time", "300ms", "--view-timeout", "2s").CombinedOutput()
	if err != nil {
		t.Fatalf("devnet: %v\n%s", err, out)
	}
	api := func(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", apiBase+i) }
	procs := map[int]*exec.Cmd{}
	start := func(i int) {
		t.Helper()
		logf, err := os.OpenFile(filepath.Join(net, fmt.Sprintf("node%d", i), "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		c := exec.Command(bin, "node", "--config", filepath.Join(net, fmt.Sprintf("node%d", i), "config.yaml"))
		c.Stdout, c.Stderr = logf, logf
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = c
	}
	kill := func(i int) {
		procs[i].Process.Signal(syscall.SIGKILL)
		procs[i].Wait()
		delete(procs, i)
	}
	defer func() {
		for i := range procs {
			kill(i)
		}
		if t.Failed() {
			for i := range 4 {
				b, _ := os.ReadFile(filepath.Join(net, fmt.Sprintf("node%d", i), "node.log"))
				if len(b) > 3000 {
					b = b[len(b)-3000:]
				}
				t.Logf("node%d log tail:\n%s", i, b)
			}
		}
	}()
	for i := range 4 {
		start(i)
	}
	status := func(i int) (chainStatus, error) {
		var s chainStatus
		err := getJSONInto(api(i)+"/v1/chain/status", &s)
		return s, err
	}
	height := func(i int) uint64 {
		s, err := status(i)
		if err != nil {
			return 0
		}
		h, _ := strconv.ParseUint(s.FinalizedHeight, 10, 64)
		return h
	}
	waitAll := func(h uint64, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for time.Now().Before(deadline) {
			ok := true
			for i := range procs {
				if height(i) < h {
					ok = false
				}
			}
			if ok {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		for i := range procs {
			s, err := status(i)
			t.Logf("node%d: %+v %v", i, s, err)
		}
		t.Fatalf("not all running validators reached height %d within %v", h, within)
	}
	waitAll(3, 120*time.Second)

	// Transfers from a load account, sent round-robin to the validators.
	key, err := devnetLoadKey(0)
	if err != nil {
		t.Fatal(err)
	}
	to, _ := devnetLoadKey(1)
	for n := range 8 {
		tx := &types.Transaction{Type: types.TxTypeTransfer, From: key.Address(), To: to.Address(), Amount: 1, Asset: types.AssetOrama,
			Nonce: uint64(n), GasLimit: params.GasTransfer, GasTipCap: 1, GasFeeCap: params.MaxBaseFee}
		p, _ := tx.SigningPayload()
		if tx.Signature, err = crypto.SignDomain(key, crypto.DomainTransaction, DevnetChainID, p); err != nil {
			t.Fatal(err)
		}
		raw, _ := tx.MarshalBorsh()
		body := fmt.Sprintf(`{"transaction":"0x%x"}`, raw)
		r, err := http.Post(api(n%4)+"/v1/transactions/send", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("send %d: %d", n, r.StatusCode)
		}
	}
	nonceOf := func(i int) uint64 {
		var acc struct {
			Account struct {
				Nonce string `json:"nonce"`
			} `json:"account"`
		}
		if getJSONInto(api(i)+"/v1/accounts/"+crypto.FormatAddress(key.Address()), &acc) != nil {
			return 0
		}
		n, _ := strconv.ParseUint(acc.Account.Nonce, 10, 64)
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for nonceOf(0) != 8 || nonceOf(3) != 8 {
		if time.Now().After(deadline) {
			t.Fatalf("transfers not final everywhere: nonces %d, %d", nonceOf(0), nonceOf(3))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// SIGKILL the leader of the current view; the others go on.
	s, err := status(0)
	if err != nil {
		t.Fatal(err)
	}
	victim := -1
	for i := range 4 {
		k, err := readKeystore(filepath.Join(net, fmt.Sprintf("node%d", i), "validator.json"), "")
		if err != nil {
			t.Fatal(err)
		}
		if crypto.FormatAddress(k.Address()) == s.Leader {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("leader %s is not a devnet validator", s.Leader)
	}
	kill(victim)
	h := height((victim + 1) % 4)
	waitAll(h+8, 120*time.Second)

	// Restart it: it catches up and follows again.
	start(victim)
	top := uint64(0)
	for i := range procs {
		top = max(top, height(i))
	}
	waitAll(top+5, 120*time.Second)

	// Same block and state root everywhere, at every height.
	lowest := height(0)
	for i := range 4 {
		lowest = min(lowest, height(i))
	}
	for hh := uint64(1); hh <= lowest; hh++ {
		var ref map[string]any
		for i := range 4 {
			var b map[string]any
			if err := getJSONInto(fmt.Sprintf("%s/v1/blocks/%d", api(i), hh), &b); err != nil {
				t.Fatalf("node%d block %d: %v", i, hh, err)
			}
			if ref == nil {
				ref = b
				continue
			}
			if fmt.Sprint(b) != fmt.Sprint(ref) {
				t.Fatalf("height %d: node%d serves %v, node0 %v", hh, i, b, ref)
			}
		}
	}
	t.Logf("victim node%d; %d heights agree on all four validators", victim, lowest)
}
