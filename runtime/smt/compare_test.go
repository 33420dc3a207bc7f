package smt

// Comparison with celestiaorg/smt v0.3.0 and go-ethereum's Merkle Patricia
// trie (v1.17.10, hash scheme): a cross-check that celestia's tree, built on
// the same hashing rules, gets the same roots, and the side-by-side
// benchmarks. Every benchmark iteration runs the whole workload, so use
// -benchtime 1x:
//
//	go test ./runtime/smt/ -run '^$' -bench . -benchtime 1x
//	SMT_BENCH_ACCOUNTS=1000000 go test ./runtime/smt/ -run '^$' -bench . -benchtime 1x -timeout 3h
//
// BenchmarkUpdateCommit reports fill-updates/s (creating every account in
// blocks of 1,000) and updates/s (SMT_BENCH_UPDATE_BLOCKS further blocks of
// 1,000 updates to random existing accounts), each block committed to its
// own Badger database with the same options. Each implementation runs alone,
// one after the other, so machine load varies between them.

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	celestia "github.com/celestiaorg/smt"
	"github.com/dgraph-io/badger/v4"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/ethereum/go-ethereum/triedb"
)

// TestCrossCheckCelestia: celestiaorg/smt hashes leaves, internal nodes and
// empty subtrees as spec/smt.md does and also keeps one-key subtrees as
// shortcut leaves, so on random sets, updates and deletes it must reach the
// same roots. An independent implementation agreeing on every root is the
// best check that the spec says what this package does.
func TestCrossCheckCelestia(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := range 30 {
		ours := mustOpen(t, NewMemStore(), EmptyRoot)
		theirs := celestia.NewSparseMerkleTree(celestia.NewSimpleMap(), celestia.NewSimpleMap(), sha256.New())
		for v := range 8 {
			for range rng.Intn(40) + 1 {
				k := []byte(fmt.Sprintf("k%d", rng.Intn(60)))
				if rng.Intn(4) == 0 {
					_ = ours.Delete(k)
					if _, err := theirs.Delete(k); err != nil && !errors.As(err, new(*celestia.InvalidKeyError)) {
						t.Fatal(err)
					}
					continue
				}
				val := []byte(fmt.Sprintf("v%d", rng.Intn(5)))
				_ = ours.Update(k, val)
				if _, err := theirs.Update(k, val); err != nil {
					t.Fatal(err)
				}
			}
			root, err := ours.Commit(uint64(v + 1))
			if err != nil {
				t.Fatal(err)
			}
			if want := [32]byte(theirs.Root()); root != want {
				t.Fatalf("round %d block %d: root %x, celestia %x", round, v, root, want)
			}
		}
	}
}

// ---- workload ---------------------------------------------------------------

const (
	benchBlock    = 1000 // updates per block
	benchValueLen = 120  // bytes per account value
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchAccounts is the number of accounts (SMT_BENCH_ACCOUNTS, default
// 100,000); benchUpdateBlocks the number of blocks of updates to existing
// accounts after the fill (SMT_BENCH_UPDATE_BLOCKS, default 100).
var (
	benchAccounts     = envInt("SMT_BENCH_ACCOUNTS", 100_000)
	benchUpdateBlocks = envInt("SMT_BENCH_UPDATE_BLOCKS", 100)
)

// workload is the same sequence of blocks for every implementation: first
// every account is created, then blocks of updates to random accounts.
type workload struct {
	fill, update [][]kv
}

type kv struct{ key, value []byte }

var (
	workloadOnce sync.Once
	theWorkload  workload
)

func getWorkload() *workload {
	workloadOnce.Do(func() {
		rng := rand.New(rand.NewSource(42))
		value := func() []byte {
			v := make([]byte, benchValueLen)
			rng.Read(v)
			return v
		}
		addrs := make([][]byte, benchAccounts)
		for i := range addrs {
			a := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
			addrs[i] = a[:20] // 20-byte address
		}
		blocks := func(n int, key func(i int) []byte) [][]kv {
			var out [][]kv
			for i := 0; i < n; i += benchBlock {
				var b []kv
				for j := i; j < min(i+benchBlock, n); j++ {
					b = append(b, kv{key(j), value()})
				}
				out = append(out, b)
			}
			return out
		}
		theWorkload.fill = blocks(benchAccounts, func(i int) []byte { return addrs[i] })
		theWorkload.update = blocks(benchUpdateBlocks*benchBlock, func(int) []byte { return addrs[rng.Intn(len(addrs))] })
	})
	return &theWorkload
}

// benchBadger opens a fresh database with the same options for every
// implementation: defaults, SyncWrites off, no logging.
func benchBadger(b *testing.B) (*badger.DB, string) {
	dir := b.TempDir()
	db, err := badger.Open(badger.DefaultOptions(dir).WithSyncWrites(false).WithLogger(nil))
	if err != nil {
		b.Fatal(err)
	}
	return db, dir
}

// diskBytes is the space the files under dir occupy.
func diskBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512
				}
			}
		}
		return nil
	})
	return n
}

// cpuTime is the CPU time the process has used, in all its threads. On a
// shared machine it varies less with other load than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// committer applies one block and commits it to the database.
type blockCommitter func(block []kv, height uint64) error

// BenchmarkUpdateCommit runs the same workload on each implementation, each
// committing every block of 1,000 updates to its own Badger database.
func BenchmarkUpdateCommit(b *testing.B) {
	impls := []struct {
		name string
		open func(b *testing.B, db *badger.DB) blockCommitter
	}{
		{"orama", openOurs},
		{"celestia", openCelestia},
		{"geth", openGeth},
	}
	w := getWorkload()
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			for range b.N {
				db, dir := benchBadger(b)
				apply := impl.open(b, db)
				// run returns updates per second of wall time and CPU time
				// (all goroutines, Badger's included) per update.
				run := func(blocks [][]kv, height uint64) (rate, cpuPer float64) {
					start, cpu0 := time.Now(), cpuTime()
					n := 0
					for _, blk := range blocks {
						height++
						if err := apply(blk, height); err != nil {
							b.Fatal(err)
						}
						n += len(blk)
					}
					return float64(n) / time.Since(start).Seconds(), float64((cpuTime() - cpu0).Microseconds()) / float64(n)
				}
				b.ResetTimer()
				fill, fillCPU := run(w.fill, 0)
				update, updateCPU := run(w.update, uint64(len(w.fill)))
				b.StopTimer()
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(fill, "fill-updates/s")
				b.ReportMetric(update, "updates/s")
				b.ReportMetric(fillCPU, "fill-cpu-µs/update")
				b.ReportMetric(updateCPU, "cpu-µs/update")
				b.ReportMetric(float64(diskBytes(dir))/float64(benchAccounts), "disk-B/account")
			}
		})
	}
}

// ---- ours -------------------------------------------------------------------

func openOurs(b *testing.B, db *badger.DB) blockCommitter {
	tr, err := Open(NewBadgerStore(db, nil), EmptyRoot)
	if err != nil {
		b.Fatal(err)
	}
	keys, values := make([][]byte, 0, benchBlock), make([][]byte, 0, benchBlock)
	return func(block []kv, height uint64) error {
		keys, values = keys[:0], values[:0]
		for _, u := range block {
			keys, values = append(keys, u.key), append(values, u.value)
		}
		_, err := tr.UpdateBatch(height, keys, values)
		return err
	}
}

// ---- celestiaorg/smt --------------------------------------------------------

// celestiaStore is a celestia MapStore on Badger. Writes are buffered and
// flushed as one WriteBatch per block, as ours are, so celestia is not
// charged for a transaction per node.
type celestiaStore struct {
	db      *badger.DB
	prefix  byte
	pending map[string][]byte // nil value: delete
}

func (s *celestiaStore) key(k []byte) []byte { return append([]byte{s.prefix}, k...) }

func (s *celestiaStore) Get(k []byte) ([]byte, error) {
	if v, ok := s.pending[string(k)]; ok {
		if v == nil {
			return nil, &celestia.InvalidKeyError{Key: k}
		}
		return v, nil
	}
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(s.key(k))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, &celestia.InvalidKeyError{Key: k}
	}
	return v, err
}

func (s *celestiaStore) Set(k, v []byte) error {
	s.pending[string(k)] = slices.Clone(v)
	return nil
}

func (s *celestiaStore) Delete(k []byte) error {
	s.pending[string(k)] = nil
	return nil
}

func (s *celestiaStore) flush() error {
	wb := s.db.NewWriteBatch()
	for k, v := range s.pending {
		var err error
		if v == nil {
			err = wb.Delete(s.key([]byte(k)))
		} else {
			err = wb.Set(s.key([]byte(k)), v)
		}
		if err != nil {
			wb.Cancel()
			return err
		}
	}
	clear(s.pending)
	return wb.Flush()
}

func openCelestia(b *testing.B, db *badger.DB) blockCommitter {
	nodes := &celestiaStore{db: db, prefix: 'n', pending: map[string][]byte{}}
	values := &celestiaStore{db: db, prefix: 'v', pending: map[string][]byte{}}
	tr := celestia.NewSparseMerkleTree(nodes, values, sha256.New())
	return func(block []kv, _ uint64) error {
		for _, u := range block {
			if _, err := tr.Update(u.key, u.value); err != nil {
				return err
			}
		}
		if err := nodes.flush(); err != nil {
			return err
		}
		return values.flush()
	}
}

// ---- go-ethereum trie -------------------------------------------------------

// gethStore is an ethdb.KeyValueStore on Badger, enough for triedb's hash
// scheme: reads, batched writes, and a prefix iterator.
type gethStore struct{ db *badger.DB }

var _ ethdb.KeyValueStore = gethStore{}

var errGethNotFound = errors.New("not found")

func (s gethStore) Has(k []byte) (bool, error) {
	_, err := s.Get(k)
	if errors.Is(err, errGethNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s gethStore) Get(k []byte) ([]byte, error) {
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(k)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, errGethNotFound
	}
	return v, err
}

func (s gethStore) Put(k, v []byte) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(slices.Clone(k), slices.Clone(v)) })
}

func (s gethStore) Delete(k []byte) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(slices.Clone(k)) })
}

func (s gethStore) DeleteRange(start, end []byte) error {
	it := s.NewIterator(nil, start)
	defer it.Release()
	b := s.NewBatch()
	for it.Next() && (end == nil || string(it.Key()) < string(end)) {
		if err := b.Delete(it.Key()); err != nil {
			return err
		}
	}
	return b.Write()
}

func (s gethStore) Stat() (string, error)             { return "", nil }
func (s gethStore) SyncKeyValue() error               { return s.db.Sync() }
func (s gethStore) Compact(start, limit []byte) error { return nil }
func (s gethStore) Close() error                      { return nil }
func (s gethStore) NewBatch() ethdb.Batch             { return &gethBatch{db: s.db} }
func (s gethStore) NewBatchWithSize(int) ethdb.Batch  { return &gethBatch{db: s.db} }
func (s gethStore) NewIterator(prefix, start []byte) ethdb.Iterator {
	txn := s.db.NewTransaction(false)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	it.Seek(append(slices.Clone(prefix), start...))
	return &gethIter{txn: txn, it: it, first: true}
}

type gethIter struct {
	txn   *badger.Txn
	it    *badger.Iterator
	first bool
	k, v  []byte
	err   error
}

func (i *gethIter) Next() bool {
	if !i.first {
		i.it.Next()
	}
	i.first = false
	if !i.it.Valid() {
		return false
	}
	i.k = i.it.Item().KeyCopy(nil)
	i.v, i.err = i.it.Item().ValueCopy(nil)
	return i.err == nil
}
func (i *gethIter) Error() error  { return i.err }
func (i *gethIter) Key() []byte   { return i.k }
func (i *gethIter) Value() []byte { return i.v }
func (i *gethIter) Release()      { i.it.Close(); i.txn.Discard() }

type gethOp struct{ k, v []byte } // v nil: delete

type gethBatch struct {
	db   *badger.DB
	ops  []gethOp
	size int
}

func (b *gethBatch) Put(k, v []byte) error {
	b.ops = append(b.ops, gethOp{slices.Clone(k), slices.Clone(v)})
	b.size += len(k) + len(v)
	return nil
}

func (b *gethBatch) Delete(k []byte) error {
	b.ops = append(b.ops, gethOp{k: slices.Clone(k)})
	b.size += len(k)
	return nil
}

func (b *gethBatch) DeleteRange(start, end []byte) error {
	return gethStore{b.db}.DeleteRange(start, end)
}

func (b *gethBatch) ValueSize() int { return b.size }
func (b *gethBatch) Reset()         { b.ops, b.size = b.ops[:0], 0 }
func (b *gethBatch) Close()         {}

func (b *gethBatch) Write() error {
	wb := b.db.NewWriteBatch()
	for _, op := range b.ops {
		var err error
		if op.v == nil {
			err = wb.Delete(op.k)
		} else {
			err = wb.Set(op.k, op.v)
		}
		if err != nil {
			wb.Cancel()
			return err
		}
	}
	return wb.Flush()
}

func (b *gethBatch) Replay(w ethdb.KeyValueWriter) error {
	for _, op := range b.ops {
		var err error
		if op.v == nil {
			err = w.Delete(op.k)
		} else {
			err = w.Put(op.k, op.v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func openGeth(b *testing.B, db *badger.DB) blockCommitter {
	tdb := triedb.NewDatabase(rawdb.NewDatabase(gethStore{db}), triedb.HashDefaults)
	root := types.EmptyRootHash
	return func(block []kv, height uint64) error {
		tr, err := trie.NewStateTrie(trie.StateTrieID(root), tdb)
		if err != nil {
			return err
		}
		for _, u := range block {
			tr.MustUpdate(u.key, u.value) // keys hashed with Keccak256
		}
		newRoot, nodes := tr.Commit(false)
		if nodes != nil {
			if err := tdb.Update(newRoot, root, height, trienode.NewWithNodeSet(nodes), nil); err != nil {
				return err
			}
		}
		if err := tdb.Commit(newRoot, false); err != nil {
			return err
		}
		root = newRoot
		return nil
	}
}

// ---- proofs -----------------------------------------------------------------

var (
	proofTreeOnce sync.Once
	proofTree     *Tree
)

// getProofTree builds an in-memory tree of the workload's accounts (proof
// shape does not depend on storage).
func getProofTree(b *testing.B) *Tree {
	proofTreeOnce.Do(func() {
		w := getWorkload()
		tr, err := Open(NewMemStore(), EmptyRoot)
		if err != nil {
			b.Fatal(err)
		}
		for _, blk := range w.fill {
			for _, u := range blk {
				_ = tr.Update(u.key, u.value)
			}
		}
		if _, err := tr.Commit(1); err != nil {
			b.Fatal(err)
		}
		proofTree = tr
	})
	return proofTree
}

// proofRounds is how many proofs each iteration of BenchmarkProve and
// BenchmarkVerify handles, so that -benchtime 1x still times many.
const proofRounds = 10_000

// BenchmarkProve reports the wire size of inclusion and non-existence proofs
// (median and p99 over proofRounds keys of each) and the time per Prove.
func BenchmarkProve(b *testing.B) {
	tr := getProofTree(b)
	w := getWorkload()
	rng := rand.New(rand.NewSource(1))
	present := func() []byte { blk := w.fill[rng.Intn(len(w.fill))]; return blk[rng.Intn(len(blk))].key }
	absent := func() []byte { return binary.BigEndian.AppendUint64([]byte("absent"), rng.Uint64()) }
	var elapsed time.Duration
	var inMed, inP99, exMed, exP99 float64
	for range b.N {
		for i, key := range []func() []byte{present, absent} {
			sizes := make([]int, 0, proofRounds)
			start := time.Now()
			for range proofRounds {
				p, err := tr.Prove(key())
				if err != nil {
					b.Fatal(err)
				}
				sizes = append(sizes, p.EncodedLen())
			}
			elapsed += time.Since(start)
			slices.Sort(sizes)
			med, p99 := float64(sizes[len(sizes)/2]), float64(sizes[len(sizes)*99/100])
			if i == 0 {
				inMed, inP99 = med, p99
			} else {
				exMed, exP99 = med, p99
			}
		}
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(2*proofRounds*b.N), "ns/prove")
	b.ReportMetric(inMed, "incl-median-B")
	b.ReportMetric(inP99, "incl-p99-B")
	b.ReportMetric(exMed, "nonex-median-B")
	b.ReportMetric(exP99, "nonex-p99-B")
}

// BenchmarkVerify reports the time per VerifyInclusion of a decoded proof of
// a present key.
func BenchmarkVerify(b *testing.B) {
	tr := getProofTree(b)
	w := getWorkload()
	type c struct {
		key, value []byte
		p          Proof
	}
	rng := rand.New(rand.NewSource(2))
	cases := make([]c, 1000)
	for i := range cases {
		blk := w.fill[rng.Intn(len(w.fill))]
		u := blk[rng.Intn(len(blk))]
		p, err := tr.Prove(u.key)
		if err != nil {
			b.Fatal(err)
		}
		cases[i] = c{u.key, u.value, p}
	}
	root := tr.Root()
	b.ResetTimer()
	for range b.N {
		for i := range proofRounds {
			c := &cases[i%len(cases)]
			if err := VerifyInclusion(root, c.key, c.value, c.p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(proofRounds*b.N), "ns/verify")
}
