package main

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/runtime/config"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/rpc"
)

// devnet is a real node behind the real REST API on httptest, with the
// validator key imported into a CLI keystore. Blocks are produced on
// demand, or continuously between startBlocks and its stop function.
type devnet struct {
	*cli
	n    *node.Node
	url  string
	pw   string // password file of the keystore copy
	val  string // the validator's orama: address
	dir  string
	stop sync.Once
}

func newDevnet(t *testing.T) *devnet {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	g, addr, err := runInit(initOptions{dataDir: data, chainID: 777})
	if err != nil {
		t.Fatal(err)
	}
	key, err := readKeystore(filepath.Join(data, validatorFile), "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{DataDir: data, NoSync: true, BlockTime: time.Hour}, g, key)
	if err != nil {
		t.Fatal(err)
	}
	h, err := rpc.New(n, rpc.Config{})
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); n.Close() })

	d := &devnet{cli: newCLI(t), n: n, url: srv.URL, dir: dir, val: crypto.FormatAddress(addr)}
	d.env["ORAMA_NODE"] = srv.URL
	d.env["ORAMA_KEYSTORE"] = filepath.Join(dir, "ks")
	// The validator's keystore has the empty password; the copy keeps it.
	d.pw = writeFile(t, dir, "empty.pw", "")
	d.ok("keys", "import", filepath.Join(data, validatorFile), "--password-file", d.pw, "--light-kdf")
	return d
}

func (d *devnet) produce(t *testing.T) {
	t.Helper()
	if _, err := d.n.CommitLocalBlock(); err != nil {
		t.Fatal(err)
	}
}

// startBlocks produces a block every few milliseconds until the returned
// function is called.
func (d *devnet) startBlocks(t *testing.T) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if _, err := d.n.CommitLocalBlock(); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() { cancel(); <-done }
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	d := newDevnet(t)

	var st api.ChainStatus
	decodeJSON(t, d.ok("status", "--json").stdout, &st)
	if st.ChainId != "777" || st.Height != "0" {
		t.Fatalf("status %+v", st)
	}

	// A second key, which claims a username.
	r := d.ok("keys", "new", "--password-file", d.pw, "--light-kdf", "--json")
	var alice keyOut
	decodeJSON(t, r.stdout, &alice)

	// Fund it: 1.5 ORAMA and 1 satoshi, checked through the API.
	r = d.ok("send", "--from", d.val, "--password-file", d.pw, "--to", alice.Address, "--amount", "1.5", "--json")
	var s1 sentOut
	decodeJSON(t, r.stdout, &s1)
	var ts api.TransactionStatus
	decodeJSON(t, d.ok("tx", s1.Hash, "--json").stdout, &ts)
	if ts.Status != api.Pending {
		t.Fatalf("before a block: %+v", ts)
	}
	d.produce(t)
	// The second transfer has the next nonce, read from the chain.
	d.ok("send", "--from", d.val, "--password-file", d.pw, "--to", alice.Address, "--amount", "0.00000001", "--asset", "BTC")
	d.produce(t)
	decodeJSON(t, d.ok("tx", s1.Hash, "--json").stdout, &ts)
	if ts.Status != api.Finalized && ts.Status != api.Included || ts.Receipt == nil || ts.Receipt.Status != "Success" {
		t.Fatalf("after a block: %+v", ts)
	}
	var ar api.AccountResponse
	decodeJSON(t, d.ok("account", alice.Address, "--json").stdout, &ar)
	if ar.Account.OramaBalance != "1500000" || ar.Account.BtcBalance != "1" {
		t.Fatalf("alice %+v", ar.Account)
	}

	// With blocks coming, --wait returns the receipt.
	stop := d.startBlocks(t)
	defer stop()
	r = d.ok("username", "claim", "alice", "--from", alice.Address, "--password-file", d.pw, "--wait", "--json")
	var claim sentOut
	decodeJSON(t, r.stdout, &claim)
	if claim.Status == nil || claim.Status.Receipt == nil || claim.Status.Receipt.Status != "Success" {
		t.Fatalf("claim %+v", claim.Status)
	}

	// Now @alice works as a recipient, as --from, and in account.
	r = d.ok("send", "--from", d.val, "--password-file", d.pw, "--to", "@alice", "--amount", "2", "--wait")
	if !strings.Contains(r.stdout, "(@alice)") || !strings.Contains(r.stdout, "status   ") {
		t.Fatalf("send to @alice:\n%s", r.stdout)
	}
	r = d.ok("send", "--from", "@alice", "--password-file", d.pw, "--to", d.val, "--amount", "0.5", "--wait", "--json")
	var back sentOut
	decodeJSON(t, r.stdout, &back)
	if back.Transaction.From != alice.Address || back.Transaction.Nonce != "1" {
		t.Fatalf("from @alice: %+v", back.Transaction)
	}
	r = d.ok("account", "@alice")
	if !strings.Contains(r.stdout, "username  @alice") || !strings.Contains(r.stdout, "nonce     2") {
		t.Fatalf("account @alice:\n%s", r.stdout)
	}
	stop()

	// The node's errors come back as code: message.
	d.fails(exitFailure, []string{"send", "--from", "@alice", "--password-file", d.pw, "--to", d.val, "--amount", "1000"},
		"insufficient_balance: ")
	d.fails(exitFailure, []string{"username", "claim", "alice", "--from", d.val, "--password-file", d.pw}, "@alice is taken")
	d.fails(exitFailure, []string{"account", "@nobody"}, "unknown_username: ")
	d.fails(exitFailure, []string{"send", "--from", d.val, "--password-file", d.pw, "--to", "@alice", "--amount", "1", "--fee-cap", "1", "--nonce", "0"},
		"nonce_too_low: ")

	// Blocks by height and hash agree, and proofs come back.
	var b1, b2 api.Block
	decodeJSON(t, d.ok("block", "1", "--json").stdout, &b1)
	decodeJSON(t, d.ok("block", b1.Hash, "--json").stdout, &b2)
	if b1.Hash != b2.Hash || b1.Header.Height != "1" || len(b1.Transactions) != 1 {
		t.Fatalf("block 1 %+v / %+v", b1, b2)
	}
	decodeJSON(t, d.ok("account", "@alice", "--proof", "--json").stdout, &ar)
	if ar.Proof == nil || !ar.Proof.Exists {
		t.Fatalf("proof %+v", ar.Proof)
	}
	// Balances to the ray: 1.5 + 2 - 0.5 ORAMA less the fees paid.
	decodeJSON(t, d.ok("account", "@alice", "--json").stdout, &ar)
	got, err := parseAmount(ar.Account.OramaBalance, unitBase)
	if err != nil || got >= 3*params.RaysPerOrama || got < 3*params.RaysPerOrama-1000 {
		t.Fatalf("alice holds %s rays", ar.Account.OramaBalance)
	}
}

// TestNodeCommand runs `orama node` with a config file and flags, serving
// the API on a free port, and stops it as SIGINT would.
func TestNodeCommand(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a node")
	}
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "node.yaml", "data_dir: data\nblock_time: 1h\napi:\n  listen: 127.0.0.1:1\nlog:\n  level: warn\n")
	// The same resolution the command does: file, then the flags given.
	fs := pflag.NewFlagSet("node", pflag.ContinueOnError)
	flags := config.AddFlags(fs)
	if err := fs.Parse([]string{"--config", cfgPath, "--api-listen", "127.0.0.1:0", "--block-time", "20ms", "--log-format", "text"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := flags.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join(dir, "data") || cfg.API.Listen != "127.0.0.1:0" || cfg.Log.Level != "warn" || cfg.Log.Format != "text" {
		t.Fatalf("config %+v", cfg)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	var logs strings.Builder
	go func() { done <- runNode(ctx, cfg, &lockedWriter{w: &logs}, func(a net.Addr) { addr <- a }) }()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a.String()
	case err := <-done:
		t.Fatalf("node stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("node did not start")
	}
	c := newCLI(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st api.ChainStatus
		decodeJSON(t, c.ok("status", "--node", url, "--json").stdout, &st)
		if st.Height != "0" {
			break // blocks are coming
		}
		if time.Now().After(deadline) {
			t.Fatal("no blocks")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop")
	}
	// Stopped: the API is gone and the storage is closed (it reopens).
	c.fails(exitFailure, []string{"status", "--node", url}, "cannot reach the node at "+url)
	if _, err := os.Stat(filepath.Join(dir, "data", "genesis.json")); err != nil {
		t.Fatal("no devnet was initialised in the configured data_dir")
	}

	// A bad config file fails with its line, exit status 1.
	bad := writeFile(t, dir, "bad.yaml", "data_dir: data\napi:\n  listn: x\n")
	c.fails(exitFailure, []string{"node", "--config", bad}, "line 3", "listn")
	c.fails(exitFailure, []string{"node", "--config", cfgPath, "--log-format", "xml"}, "log.format")
	c.fails(exitUsage, []string{"node", "--block-time", "6"}, "block-time")
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestDefaultBodyLimitMatchesRPC(t *testing.T) {
	t.Parallel()
	if config.DefaultMaxBodyBytes != rpc.DefaultMaxBodyBytes {
		t.Fatalf("config.DefaultMaxBodyBytes %d, rpc.DefaultMaxBodyBytes %d", config.DefaultMaxBodyBytes, rpc.DefaultMaxBodyBytes)
	}
}
