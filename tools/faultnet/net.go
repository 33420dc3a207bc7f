package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/p2p"
)

// node is one orama node process of the network under test.
type node struct {
	i       int
	dir     string
	config  string // orama node --config; empty for a follower (args instead)
	args    []string
	api     string // http://host:port
	p2p     string // multiaddr with /p2p/<id>
	peerID  string
	address string // validator address, 0x...
	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{}
}

// network is the devnet the harness writes with `orama devnet --no-start`
// and runs as separate processes.
type network struct {
	bin   string
	dir   string
	nodes []*node
}

func newNetwork(bin, dir string, p2pBase, apiBase int, blockTime, viewTimeout time.Duration, logLevel string) (*network, error) {
	out, err := exec.Command(bin, "devnet", "--validators", "4", "--dir", dir, "--no-start",
		"--p2p-base-port", strconv.Itoa(p2pBase), "--api-base-port", strconv.Itoa(apiBase),
		"--block-time", blockTime.String(), "--view-timeout", viewTimeout.String(), "--log-level", logLevel).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("orama devnet: %w: %s", err, out)
	}
	nw := &network{bin: bin, dir: dir}
	for i := range 4 {
		d := filepath.Join(dir, fmt.Sprintf("node%d", i))
		key, err := readKey(filepath.Join(d, "validator.json"))
		if err != nil {
			return nil, err
		}
		id, err := p2p.PeerIDFromKey(key)
		if err != nil {
			return nil, err
		}
		nw.nodes = append(nw.nodes, &node{
			i: i, dir: d, config: filepath.Join(d, "config.yaml"),
			api:     fmt.Sprintf("http://127.0.0.1:%d", apiBase+i),
			p2p:     fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", p2pBase+i, id),
			peerID:  id.String(),
			address: hexAddr(key.Address()),
		})
	}
	return nw, nil
}

// readKey decrypts a devnet keystore (empty password).
func readKey(path string) (*crypto.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := keystore.DecryptKey(b, "")
	if err != nil {
		return nil, fmt.Errorf("keystore %s: %w", path, err)
	}
	return crypto.PrivateKeyFromBytes(ethcrypto.FromECDSA(k.PrivateKey))
}

// writeKey writes key as a v3 keystore with the empty password.
func writeKey(path string, key *crypto.PrivateKey) error {
	k := &keystore.Key{Address: common.Address(key.Address()), PrivateKey: key.ECDSA()}
	b, err := keystore.EncryptKey(k, "", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// start runs n's process, its output appended to node.log.
func (nw *network) start(n *node) error {
	f, err := os.OpenFile(filepath.Join(n.dir, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	args := n.args
	if n.config != "" {
		args = []string{"node", "--config", n.config}
	}
	cmd := exec.Command(nw.bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	n.cmd, n.log, n.done = cmd, f, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); f.Close(); close(done) }(n.done)
	return nil
}

// kill SIGKILLs n and waits for it to exit.
func (n *node) kill() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGCONT)
	_ = n.cmd.Process.Kill()
	<-n.done
	n.cmd = nil
}

// stop ends n with SIGTERM (SIGKILL after 10 s).
func (n *node) stop() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGCONT)
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		n.kill()
	}
	n.cmd = nil
}

func (n *node) signal(s syscall.Signal) error {
	if n.cmd == nil {
		return fmt.Errorf("node %d is not running", n.i)
	}
	return n.cmd.Process.Signal(s)
}

func (nw *network) stopAll() {
	for _, n := range nw.nodes {
		n.stop()
	}
}

var httpc = &http.Client{Timeout: time.Second}

// status is the part of GET /v1/chain/status the harness reads.
type status struct {
	FinalizedHeight uint64
	View            uint64
	Leader          string
	Peers           int
}

func (n *node) status() (status, error) {
	var raw struct {
		FinalizedHeight string `json:"finalized_height"`
		View            string `json:"view"`
		Leader          string `json:"leader"`
		Peers           int    `json:"peers"`
	}
	resp, err := httpc.Get(n.api + "/v1/chain/status")
	if err != nil {
		return status{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return status{}, fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return status{}, err
	}
	s := status{Leader: raw.Leader, Peers: raw.Peers}
	s.FinalizedHeight, _ = strconv.ParseUint(raw.FinalizedHeight, 10, 64)
	s.View, _ = strconv.ParseUint(raw.View, 10, 64)
	return s, nil
}

// finalized is n's finalized height, or -1 when n does not answer.
func (n *node) finalized() int64 {
	s, err := n.status()
	if err != nil {
		return -1
	}
	return int64(s.FinalizedHeight)
}

// metrics scrapes n's /metrics: every sample by its full name with labels.
func (n *node) metrics() (map[string]float64, error) {
	resp, err := httpc.Get(n.api + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// waitUntil polls cond every 50 ms until it holds or ctx ends.
func waitUntil(ctx context.Context, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// hexAddr is a 0x-prefixed lowercase hex address, the form compared with
// the API's (lowercased).
func hexAddr(a [20]byte) string { return "0x" + hex.EncodeToString(a[:]) }
