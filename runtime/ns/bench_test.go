package ns

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/host"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
	"github.com/oramanetwork/orama-chain/runtime/nsengine/enginetest"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// The bars of issue 16 (spec/namespaces.md 12), side by side in one run:
// token transfers (one SQL insert, one orama.state write, one event) against
// the same INSERT issued directly to the same engine at the same
// concurrency, and the replay rate of orama ns verify. `make bench-ns` runs
// them; each iteration is one round of benchCalls on both sides.

const (
	benchWorkers = 16
	benchCalls   = 2000
)

// fileNS opens a namespace on files in dir, as a node does (Badger with
// synchronous writes, the replica in WAL with synchronous=NORMAL, a local
// CID store), optionally on an rqlite cluster.
func fileNS(b testing.TB, dir string, rqURL string) (*testNS, func()) {
	bdb, err := badger.Open(badger.DefaultOptions(filepath.Join(dir, "state")).WithLogger(nil))
	if err != nil {
		b.Fatal(err)
	}
	db, q, err := OpenReplica(filepath.Join(dir, "sql.db"))
	if err != nil {
		b.Fatal(err)
	}
	blobs, err := newLocalBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	auth := mustKey(b, 200)
	meta := types.NamespaceMeta{Name: "demo", Tier: types.NamespaceTierTier1, Owner: auth.Address(), CreatedHeight: 1}
	m, err := NewMachine(MachineConfig{Meta: meta, ChainID: testChainID, Authority: auth.Address(), VM: testVM(b),
		KV: smt.NewBadgerStore(bdb, nil), DB: db, Storage: blobs})
	if err != nil {
		b.Fatal(err)
	}
	chain := &fixedChain{height: 10, ts: 1_000_000}
	var n *Namespace
	if rqURL == "" {
		n, err = Open(m, db, q, testChainID, auth.Address(), chain, nil)
	} else {
		var rq *nsengine.RQLite
		if rq, err = nsengine.NewRQLite(rqURL); err == nil {
			n, err = OpenCluster(m, db, q, rq, testChainID, auth.Address(), chain)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return &testNS{Namespace: n, chain: chain, authority: auth, meta: meta, nonces: map[types.Address]uint64{}}, func() {
		n.Close()
		q.Close()
		db.Close()
		bdb.Close()
	}
}

// tokenSetup deploys the token and gives each worker wrapped tokens.
func tokenSetup(b testing.TB, n *testNS) (types.Address, []*crypto.PrivateKey) {
	owner := mustKey(b, 1)
	token := n.deploy(b, owner, module(b, "token"), "init")
	var keys []*crypto.PrivateKey
	for w := 0; w < benchWorkers; w++ {
		k := mustKey(b, byte(10+w))
		keys = append(keys, k)
		n.deposit(b, k.Address(), 1<<40)
		res := n.submit(b, k, &types.NsCall{Contract: token, Function: "deposit", OramaValue: 1 << 40, GasLimit: 10_000_000}, nil)
		if res.Entry.Outcome.Status != types.NsStatusOk {
			b.Fatalf("deposit: %+v", res.Entry.Outcome)
		}
	}
	return token, keys
}

// transfers makes calls token transfers from the workers, concurrently,
// and returns the rate.
func transfers(b testing.TB, n *testNS, token types.Address, keys []*crypto.PrivateKey, calls int) float64 {
	subs := make([][]*types.NamespaceSubmission, len(keys))
	for w, k := range keys {
		for i := 0; i < calls/len(keys); i++ {
			sub, err := NewSubmission("demo", k, testChainID, n.nonces[k.Address()], &types.NsCall{Contract: token, Function: "transfer",
				Input: transferInput(keys[(w+1)%len(keys)].Address(), 1), GasLimit: 10_000_000}, nil)
			if err != nil {
				b.Fatal(err)
			}
			n.nonces[k.Address()]++
			subs[w] = append(subs[w], sub)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range keys {
		wg.Add(1)
		go func(subs []*types.NamespaceSubmission) {
			defer wg.Done()
			for _, s := range subs {
				res, err := n.Submit(context.Background(), s)
				if err != nil || res.Entry.Outcome.Status != types.NsStatusOk {
					b.Errorf("transfer: %v %+v", err, res)
					return
				}
			}
		}(subs[w])
	}
	wg.Wait()
	return float64(calls/len(keys)*len(keys)) / time.Since(start).Seconds()
}

const transfersDDL = `CREATE TABLE IF NOT EXISTS transfers (id INTEGER PRIMARY KEY, sender BLOB NOT NULL, recipient BLOB NOT NULL, amount INTEGER NOT NULL)`

// direct issues the token's INSERT with the same concurrency through insert
// (one statement, its own transaction, per call) and returns the rate.
func direct(b testing.TB, calls int, insert func(from, to []byte) error) float64 {
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < benchWorkers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			from, to := mustKey(b, byte(10+w)).Address(), mustKey(b, byte(11+w)).Address()
			for i := 0; i < calls/benchWorkers; i++ {
				if err := insert(from[:], to[:]); err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return float64(calls/benchWorkers*benchWorkers) / time.Since(start).Seconds()
}

func BenchmarkTokenVsSQLite(b *testing.B) {
	n, done := fileNS(b, b.TempDir(), "")
	defer done()
	token, keys := tokenSetup(b, n)
	raw, err := host.NewSQLiteFile(filepath.Join(b.TempDir(), "direct.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if err := raw.Exec(transfersDDL); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex // one connection, as the namespace has one writer
	var ours, theirs float64
	for i := 0; i < b.N; i++ {
		ours += transfers(b, n, token, keys, benchCalls)
		theirs += direct(b, benchCalls, func(from, to []byte) error {
			mu.Lock()
			defer mu.Unlock()
			_, err := raw.ExecHost("INSERT INTO transfers (sender, recipient, amount) VALUES (?1, ?2, ?3)", abi.Blob(from), abi.Blob(to), abi.Integer(1))
			return err
		})
	}
	b.ReportMetric(ours/float64(b.N), "calls/s")
	b.ReportMetric(theirs/float64(b.N), "direct-inserts/s")
	b.ReportMetric(ours/theirs, "ratio")
	// The ceiling of any call path on this machine, measured in the same
	// run: every call's signature must be checked (on all cores) and its
	// INSERT run (on the one writer, here inside an open transaction: no
	// commit of its own). A path doing nothing else could not exceed
	// cores / (cores/checks + insert) calls a second.
	checks := signatureChecks(b, n, token, keys, benchCalls)
	insert := insertInTx(b, raw, benchCalls)
	cores := float64(runtime.GOMAXPROCS(0))
	ceiling := cores / (cores/checks + insert)
	b.ReportMetric(checks, "sig-checks/s")
	b.ReportMetric(insert*1e6, "insert-in-tx-µs")
	b.ReportMetric(ceiling/(theirs/float64(b.N)), "ceiling-ratio")
}

// signatureChecks returns how many submissions a second CheckSubmission
// accepts on all cores (the admission check of every call: its signature).
func signatureChecks(b *testing.B, n *testNS, token types.Address, keys []*crypto.PrivateKey, calls int) float64 {
	subs := make([]*types.NamespaceSubmission, 0, calls)
	for i := 0; i < calls; i++ {
		k := keys[i%len(keys)]
		sub, err := NewSubmission("demo", k, testChainID, uint64(1_000_000+i), &types.NsCall{Contract: token, Function: "transfer",
			Input: transferInput(keys[(i+1)%len(keys)].Address(), 1), GasLimit: 10_000_000}, nil)
		if err != nil {
			b.Fatal(err)
		}
		subs = append(subs, sub)
	}
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(subs); i += workers {
				if _, err := CheckSubmission(subs[i], "demo", testChainID, n.authority.Address()); err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return float64(len(subs)) / time.Since(start).Seconds()
}

// insertInTx returns the seconds one INSERT takes inside an open
// transaction (the transaction's commit not counted).
func insertInTx(b *testing.B, raw *host.SQLite, calls int) float64 {
	from, to := mustKey(b, 10).Address(), mustKey(b, 11).Address()
	if err := raw.Exec("BEGIN"); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < calls; i++ {
		if _, err := raw.ExecHost("INSERT INTO transfers (sender, recipient, amount) VALUES (?1, ?2, ?3)", abi.Blob(from[:]), abi.Blob(to[:]), abi.Integer(1)); err != nil {
			b.Fatal(err)
		}
	}
	d := time.Since(start).Seconds() / float64(calls)
	if err := raw.Exec("COMMIT"); err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkTokenVsRQLite(b *testing.B) {
	rq := enginetest.RQLiteCluster(b, 3)
	leader := rq.Leader()
	n, done := fileNS(b, b.TempDir(), rq.URL(leader))
	defer done()
	token, keys := tokenSetup(b, n)
	c, err := nsengine.NewRQLite(rq.URL(leader))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.ExecuteTx(ctx, []nsengine.Statement{{SQL: "CREATE TABLE IF NOT EXISTS direct_transfers (id INTEGER PRIMARY KEY, sender BLOB NOT NULL, recipient BLOB NOT NULL, amount INTEGER NOT NULL)"}}); err != nil {
		b.Fatal(err)
	}
	var ours, theirs float64
	for i := 0; i < b.N; i++ {
		ours += transfers(b, n, token, keys, benchCalls)
		theirs += direct(b, benchCalls, func(from, to []byte) error {
			return c.ExecuteTx(ctx, []nsengine.Statement{{SQL: "INSERT INTO direct_transfers (sender, recipient, amount) VALUES (?, ?, ?)", Args: []any{from, to, 1}}})
		})
	}
	b.ReportMetric(ours/float64(b.N), "calls/s")
	b.ReportMetric(theirs/float64(b.N), "direct-inserts/s")
	b.ReportMetric(ours/theirs, "ratio")
}

func BenchmarkVerify(b *testing.B) {
	n := newTestNS(b, types.NamespaceTierTier1)
	token, keys := tokenSetup(b, n)
	transfers(b, n, token, keys, 5000)
	entries := n.entries(b)
	cfg := VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(b)}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := Verify(context.Background(), cfg, &SliceSource{Entries: entries}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(entries)*b.N)/time.Since(start).Seconds(), "entries/s")
}
