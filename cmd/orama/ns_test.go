package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	contracts "github.com/oramanetwork/orama-chain/examples/contracts"
	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/ns"
	"github.com/oramanetwork/orama-chain/runtime/rpc"
)

// `orama ns` against a real node and its REST API in-process, with
// namespaces run by runtime/ns's Manager. The node's own wiring of chain
// records to the Manager is runtime/node's; here a small loop stands in for
// it: it opens every namespace the chain places on this node and removes
// the deleted ones.

var (
	nsModsOnce sync.Once
	nsMods     map[string][]byte
	nsModsErr  error
)

// exampleWasm writes an example contract to dir and returns its path.
func exampleWasm(t *testing.T, dir, name string) string {
	t.Helper()
	nsModsOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			nsModsErr = err
			return
		}
		nsMods, nsModsErr = contracts.Build(context.Background(), root)
	})
	if nsModsErr != nil {
		t.Fatal(nsModsErr)
	}
	p := filepath.Join(dir, name+".wasm")
	if err := os.WriteFile(p, nsMods[name], 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// nodeFinal is the chain's final block for the namespaces.
type nodeFinal struct{ n *node.Node }

func (f nodeFinal) Final() (uint64, uint64) {
	h := f.n.Head()
	return h.Header.Height, h.Header.Timestamp
}

type nsDevnet struct {
	*cli
	n       *node.Node
	mgr     *ns.Manager
	url     string
	dir     string
	key     string // data/validator.json
	keyAddr types.Address
}

func newNSDevnet(t *testing.T) *nsDevnet {
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
	mgr, err := ns.NewManager(context.Background(), ns.ManagerConfig{Dir: filepath.Join(data, "ns"), ChainID: 777,
		Authority: addr, Chain: nodeFinal{n}})
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	h, err := rpc.New(n, rpc.Config{Namespaces: mgr, NamespaceWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	d := &nsDevnet{cli: newCLI(t), n: n, mgr: mgr, url: srv.URL, dir: dir, key: filepath.Join(data, validatorFile), keyAddr: addr}
	d.env["ORAMA_NODE"] = srv.URL

	// Blocks every few milliseconds, and the stand-in for the node's
	// namespace wiring.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if _, err := n.CommitLocalBlock(); err != nil {
				t.Error(err)
				return
			}
			d.syncNamespaces(t)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		mgr.Close()
		n.Close()
	})
	return d
}

// syncNamespaces opens the namespaces placed on this node and removes the
// ones the chain no longer holds.
func (d *nsDevnet) syncNamespaces(t *testing.T) {
	entries, err := d.n.Index().ListNamespaces(nil, "", 100)
	if err != nil {
		t.Error(err)
		return
	}
	st := d.n.State()
	var names []string
	for _, e := range entries {
		rec, ok, err := st.Namespace(e.Name)
		if err != nil || !ok || !slices.ContainsFunc(rec.Nodes, func(x types.NamespaceNode) bool { return x.Node == d.keyAddr }) {
			continue
		}
		names = append(names, e.Name)
		if _, open := d.mgr.Namespace(e.Name); !open {
			if _, err := d.mgr.Ensure(types.NamespaceMeta{Name: rec.Name, Tier: rec.Tier, Owner: rec.Owner, CreatedHeight: rec.CreatedHeight}); err != nil {
				t.Error(err)
			}
		}
	}
	for _, name := range d.mgr.Names() {
		if !slices.Contains(names, name) {
			if err := d.mgr.Remove(name, d.n.Head().Header.Height); err != nil {
				t.Error(err)
			}
		}
	}
}

// ns runs `orama ns ARGS --key <validator key>`.
func (d *nsDevnet) ns(args ...string) []string {
	return append(append([]string{"ns"}, args...), "--key", d.key)
}

func TestNSCommands(t *testing.T) {
	d := newNSDevnet(t)
	dir := t.TempDir()

	// create waits until the namespace is final and runs here.
	var created struct {
		Hash      string              `json:"hash"`
		Namespace api.NamespaceRecord `json:"namespace"`
	}
	decodeJSON(t, d.ok(d.ns("create", "demo", "--tier", "1", "--json")...).stdout, &created)
	if !created.Namespace.Hosted || created.Namespace.Tier != "Tier1" || created.Namespace.Owner != crypto.FormatAddress(d.keyAddr) {
		t.Fatalf("create: %+v", created)
	}
	if r := d.ok(d.ns("list")...); !strings.Contains(r.stdout, "demo") || !strings.Contains(r.stdout, "Tier1") {
		t.Fatalf("list:\n%s", r.stdout)
	}
	var page api.NamespacePage
	decodeJSON(t, d.ok(d.ns("list", "--owner", crypto.FormatAddress(d.keyAddr), "--json")...).stdout, &page)
	if len(page.Namespaces) != 1 {
		t.Fatalf("list --owner: %+v", page)
	}
	if r := d.ok(d.ns("status", "demo")...); !strings.Contains(r.stdout, "hosted here") || !strings.Contains(r.stdout, "embedded") {
		t.Fatalf("status:\n%s", r.stdout)
	}

	// deploy prints the address; call, view and state use it.
	var dep api.NamespaceSubmitResult
	decodeJSON(t, d.ok(d.ns("deploy", "demo", exampleWasm(t, dir, "counter"), "--json")...).stdout, &dep)
	if dep.Address == nil || dep.Outcome.Status != api.NsStatusOk {
		t.Fatalf("deploy: %+v", dep)
	}
	counter := *dep.Address
	if r := d.ok(d.ns("deploy", "demo", exampleWasm(t, dir, "counter"))...); !strings.Contains(r.stdout, "address") {
		t.Fatalf("deploy (text):\n%s", r.stdout)
	}
	var res api.NamespaceSubmitResult
	decodeJSON(t, d.ok(d.ns("call", "demo", counter, "increment", "--arg", "5", "--json")...).stdout, &res)
	if len(res.Outcome.Results) != 1 || res.Outcome.Results[0] != "5" {
		t.Fatalf("call increment: %+v", res)
	}
	var view api.NamespaceViewResult
	decodeJSON(t, d.ok(d.ns("call", "demo", counter, "get", "--view", "--json")...).stdout, &view)
	if view.Outcome.Results[0] != "5" || view.Position != res.Position {
		t.Fatalf("view: %+v", view)
	}
	var sv api.NamespaceStateValue
	decodeJSON(t, d.ok(d.ns("state", "demo", counter, "n", "--json")...).stdout, &sv)
	if sv.Key != "0x6e" || sv.Value != "0x"+hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, 5)) {
		t.Fatalf("state: %+v", sv)
	}
	d.ok(d.ns("state", "demo", counter, "0x6e")...)

	// A guestbook: SQL and events.
	decodeJSON(t, d.ok(d.ns("deploy", "demo", exampleWasm(t, dir, "guestbook"), "--init", "init", "--json")...).stdout, &dep)
	guestbook := *dep.Address
	var w [4]uint64
	msg := []byte("hello")
	var buf [32]byte
	copy(buf[:], msg)
	for i := range w {
		w[i] = binary.LittleEndian.Uint64(buf[8*i:])
	}
	d.ok(d.ns("call", "demo", guestbook, "sign", "--arg", "5", "--arg", fmt.Sprint(w[0]), "--arg", "0", "--arg", "0", "--arg", "0")...)
	if r := d.ok(d.ns("query", "demo", "SELECT id, message FROM guestbook")...); !strings.Contains(r.stdout, "hello") || !strings.Contains(r.stdout, "(1 rows at position") {
		t.Fatalf("query:\n%s", r.stdout)
	}
	var q api.NamespaceQueryResult
	decodeJSON(t, d.ok(d.ns("query", "demo", "SELECT message, ?2, ?3, ?4, ?5 FROM guestbook WHERE id = ?1",
		"--param", "int:1", "--param", "text:x", "--param", "real:-1.5", "--param", "blob:0x00ff", "--param", "null", "--json")...).stdout, &q)
	var compact bytes.Buffer
	if err := json.Compact(&compact, q.Rows); err != nil || compact.String() != `[[{"t":"hello"},{"t":"x"},{"r":-1.5},{"b":"0x00ff"},null]]` {
		t.Fatalf("query with params: %s", q.Rows)
	}
	var ev api.NamespaceEventPage
	decodeJSON(t, d.ok(d.ns("events", "demo", "--contract", guestbook, "--topic", "signed", "--json")...).stdout, &ev)
	if len(ev.Events) != 1 || ev.Events[0].Caller != crypto.FormatAddress(d.keyAddr) {
		t.Fatalf("events: %+v", ev)
	}
	if r := d.ok(d.ns("events", "demo", "--desc", "--limit", "1", "--from", "1")...); !strings.Contains(r.stdout, "signed") {
		t.Fatalf("events (text):\n%s", r.stdout)
	}

	// verify replays the node's log.
	r := d.ok(d.ns("verify", "demo", "--authority", crypto.FormatAddress(d.keyAddr))...)
	if !strings.Contains(r.stdout, "verified demo: 5 entries") {
		t.Fatalf("verify:\n%s", r.stdout)
	}
	var vr verifyReport
	decodeJSON(t, d.ok(d.ns("verify", "demo", "--json")...).stdout, &vr)
	var st api.NamespaceStatus
	decodeJSON(t, d.ok(d.ns("status", "demo", "--json")...).stdout, &st)
	if !vr.OK || vr.Entries != "5" || vr.Head != *st.EntryHash || vr.Root != *st.Root {
		t.Fatalf("verify --json %+v, status %+v", vr, st)
	}

	// --file: the entries as a Borsh stream; one byte changed in entry 4 is
	// reported at position 4, exit 1.
	entries := d.entries(t, "demo")
	var stream []byte
	for _, e := range entries {
		stream = append(stream, e...)
	}
	good := writeFile(t, dir, "log.bin", string(stream))
	if r := d.ok(d.ns("verify", "demo", "--file", good)...); !strings.Contains(r.stdout, "5 entries") {
		t.Fatalf("verify --file:\n%s", r.stdout)
	}
	if len(entries) != 5 {
		t.Fatalf("%d entries", len(entries))
	}
	at := len(entries[0]) + len(entries[1]) + len(entries[2]) + len(entries[3]) - 10 // inside entry 4's root
	stream[at] ^= 1
	bad := writeFile(t, dir, "bad.bin", string(stream))
	d.fails(1, d.ns("verify", "demo", "--file", bad), "position 4:")

	// --rqlite: the log read from an rqlite node's HTTP API.
	rq := fakeRqlite(t, entries)
	if r := d.ok(d.ns("verify", "demo", "--rqlite", rq)...); !strings.Contains(r.stdout, "5 entries") {
		t.Fatalf("verify --rqlite:\n%s", r.stdout)
	}

	// Failed outcomes exit 1; refused requests and bad input exit 2.
	d.fails(1, d.ns("call", "demo", counter, "nope"), "UnknownFunction")
	d.fails(1, d.ns("call", "demo", counter, "nope", "--view"), "UnknownFunction")
	d.fails(2, d.ns("call", "demo", counter, "get", "--gas", "0"), "--gas")
	d.fails(2, d.ns("call", "demo", counter, "get", "--arg", "x"), "--arg")
	d.fails(2, d.ns("call", "demo", counter, "get", "--input", "zz"), "--input")
	d.fails(2, d.ns("call", "demo", counter, "get", "--input", "0x00", "--input-text", "a"), "exclude")
	d.fails(2, d.ns("call", "demo", "nobody", "get"), "contract")
	d.fails(2, d.ns("call", "demo", crypto.FormatAddress(types.Address{1}), "get", "--view"), "unknown_contract")
	d.fails(2, d.ns("query", "demo", "SELEC"), "sql_error")
	d.fails(2, d.ns("query", "demo", "SELECT * FROM _orama_txlog"), "sql_denied")
	d.fails(2, d.ns("query", "demo", "SELECT 1", "--param", "date:1"), "--param")
	d.fails(2, d.ns("state", "demo", counter, "absent"), "not_found")
	d.fails(2, d.ns("events", "demo", "--cursor", "AAAAAAAAAAAAAAAAAA"), "invalid_parameter")
	d.fails(2, d.ns("query", "Bad_Name", "SELECT 1"), "namespace name")
	d.fails(2, d.ns("query", "nothere", "SELECT 1"), "unknown_namespace")
	d.fails(2, d.ns("deploy", "demo", filepath.Join(dir, "missing.wasm")), "module")
	d.fails(2, d.ns("create", "x"), "namespace name")
	d.fails(2, d.ns("create", "demo2", "--tier", "2"), "--tier")
	d.fails(2, d.ns("verify", "demo", "--file", good, "--rqlite", rq), "exclude")
	// The name is taken: the chain refuses the create (exit 1, rejected).
	d.fails(1, d.ns("create", "demo"), "NamespaceExists")

	// The chain cannot know a Tier 1 namespace's balances: its delete fails
	// (exit 1). A Tier 0 one is deleted from the chain and the node.
	d.fails(1, d.ns("delete", "demo"), "NamespaceNotEmpty")
	d.ok(d.ns("create", "scratch")...)
	d.ok(d.ns("delete", "scratch")...)
	decodeJSON(t, d.ok(d.ns("list", "--json")...).stdout, &page)
	if len(page.Namespaces) != 1 || page.Namespaces[0].Name != "demo" {
		t.Fatalf("after delete: %+v", page)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := d.run(d.ns("status", "scratch")...)
		if r.code == 2 && strings.Contains(r.stderr, "unknown_namespace") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after delete: %d %s %s", r.code, r.stdout, r.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// entries reads a namespace's log through the API.
func (d *nsDevnet) entries(t *testing.T, name string) [][]byte {
	t.Helper()
	c := &nodeClient{url: d.url}
	var err error
	if c.api, err = api.NewClientWithResponses(d.url); err != nil {
		t.Fatal(err)
	}
	src := &nodeEntries{c: c, name: name, next: 1}
	var out [][]byte
	for {
		e, err := src.Next(context.Background())
		if err != nil {
			break
		}
		out = append(out, e)
	}
	return out
}

// fakeRqlite answers rqlite's /db/query for SELECT pos, entry FROM
// _orama_txlog WHERE pos >= N ..., with BLOBs base64-encoded as rqlite does.
func fakeRqlite(t *testing.T, entries [][]byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		var from int
		if _, err := fmt.Sscanf(q, "SELECT pos, entry FROM _orama_txlog WHERE pos >= %d", &from); err != nil || r.URL.Path != "/db/query" || r.URL.Query().Get("level") != "strong" {
			http.Error(w, "bad query", 400)
			return
		}
		var rows [][]any
		for i := from; i <= len(entries) && len(rows) < 256; i++ {
			rows = append(rows, []any{i, base64.StdEncoding.EncodeToString(entries[i-1])})
		}
		json.NewEncoder(w).Encode(map[string]any{"results": []any{map[string]any{
			"columns": []string{"pos", "entry"}, "types": []string{"integer", "blob"}, "values": rows}}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestNSKeyAndUsage: the default key is data/validator.json, and a missing
// one is a usage error naming make run; bad command lines exit 2.
func TestNSKeyAndUsage(t *testing.T) {
	c := newCLI(t)
	c.env["ORAMA_NODE"] = "http://127.0.0.1:1"
	mod := writeFile(t, t.TempDir(), "x.wasm", "\x00asm")
	c.fails(2, []string{"ns", "deploy", "demo", mod}, "make run")
	c.fails(2, []string{"ns", "call", "demo"}, "accepts 3 arg")
	c.fails(2, []string{"ns", "frobnicate"}, "unknown command")
	dir := t.TempDir()
	hexKey := writeFile(t, dir, "k.hex", strings.Repeat("01", 32)+"\n")
	o := nsOptions{key: hexKey}
	k, err := o.loadKey()
	if err != nil || k.Address() == (types.Address{}) {
		t.Fatalf("hex key: %v", err)
	}
	o.key = writeFile(t, dir, "bad", "nope")
	if _, err := o.loadKey(); err == nil {
		t.Fatal("a file that is no key loaded")
	}
	if defaultNSKey != filepath.Join("data", "validator.json") {
		t.Fatalf("default key %s", defaultNSKey)
	}
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"null", "null"}, {"int:-5", `{"i":"-5"}`}, {"real:1.5", `{"r":1.5}`}, {"real:inf", `{"r":"Infinity"}`},
		{"text:a:b", `{"t":"a:b"}`}, {"blob:0x00FF", `{"b":"0x00ff"}`},
	} {
		got, err := sqlParam(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("sqlParam(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"int:x", "real:nan", "blob:00", "x", "date:1"} {
		if _, err := sqlParam(bad); err == nil {
			t.Errorf("sqlParam(%q) accepted", bad)
		}
	}
	if v, err := parseArg("-1"); err != nil || v != ^uint64(0) {
		t.Fatalf("parseArg(-1) = %d, %v", v, err)
	}
}
