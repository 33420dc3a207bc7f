package node

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	oexec "github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/index"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/store"
)

// The crash test runs the node in a child process (this test binary, re-run
// with ORAMA_CRASH_CHILD set) that runs Node.Run, the production path
// (consensus, speculative execution, safety data, recorded proposals and
// commit proofs), with transfers flowing in, and prints
// "committed <height> <hash>" after each commit returns.
// The parent SIGKILLs it at random instants, restarts it, and at the end
// checks that (1) no block the child reported committed is lost, and (2) a
// clean replay of the stored blocks from genesis reproduces every height's
// state root. CRASH_CYCLES sets the number of kills (make soak raises it).

func TestMain(m *testing.M) {
	if dir := os.Getenv("ORAMA_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	g, keys := testGenesis(8)
	// The production path: Run, consensus through the driver (one
	// validator holds all the power), with a short block time so that it
	// commits as fast as it can.
	// A short view timeout: a validator killed between voting and the
	// next persisted QC restarts in a view it already voted in and leaves
	// it by a timeout certificate, so every restart also takes the
	// view-change path.
	n, err := New(Config{DataDir: dir, BlockTime: time.Millisecond, TickInterval: 5 * time.Millisecond,
		ViewTimeout: 100 * time.Millisecond}, g, keys[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	n.OnBlock(func(b *types.Block, _ []types.Receipt) {
		h, _ := b.Header.Hash()
		fmt.Fprintf(out, "committed %d %x\n", b.Header.Height, h[:])
		out.Flush()
	})
	// A few transfers between the funded keys, nonces from the head state.
	go func() {
		for {
			var txs []*types.Transaction
			for i, k := range keys {
				acc, err := n.State().Account(k.Address())
				if err != nil {
					return // the store is closing
				}
				txs = append(txs, signedTransfer(k, g.ChainID, acc.Nonce, keys[(i+1)%len(keys)].Address(), uint64(1000+i)))
			}
			n.Mempool().Add(txs) // a nonce already pooled is refused: fine
			time.Sleep(2 * time.Millisecond)
		}
	}()
	if err := n.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cycles := 12
	if s := os.Getenv("CRASH_CYCLES"); s != "" {
		cycles, _ = strconv.Atoi(s)
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	reported := map[uint64]string{}
	var maxReported uint64
	for c := 0; c < cycles; c++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ORAMA_CRASH_CHILD="+dir)
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it commit for a random while, then kill it mid-flight.
		time.Sleep(time.Duration(150+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		for l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 || f[0] != "committed" {
				continue
			}
			h, _ := strconv.ParseUint(f[1], 10, 64)
			reported[h] = f[2]
			maxReported = max(maxReported, h)
		}
		cmd.Wait()
		// Killed is the only way the child may end: one that exits by
		// itself failed, at startup after the previous kill (reopening its
		// store) or while committing.
		if st := cmd.ProcessState; st != nil && st.Exited() {
			t.Fatalf("cycle %d: the node exited by itself with status %d (its stderr is above)", c, st.ExitCode())
		}
	}
	if maxReported < uint64(cycles) {
		t.Fatalf("only %d blocks reported committed in %d cycles", maxReported, cycles)
	}

	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	head, ok, err := st.Head()
	if err != nil || !ok {
		t.Fatalf("head: %v %v", ok, err)
	}
	if head.Height < maxReported {
		t.Fatalf("lost committed blocks: head %d, child reported %d", head.Height, maxReported)
	}
	for h, hash := range reported {
		b, err := st.Block(h)
		if err != nil {
			t.Fatalf("reported block %d missing: %v", h, err)
		}
		bh, _ := b.Header.Hash()
		if fmt.Sprintf("%x", bh[:]) != hash {
			t.Fatalf("block %d hash %x, child reported %s", h, bh, hash)
		}
	}

	// Clean replay from genesis in memory: every state root must match.
	g, _ := testGenesis(8)
	mem := smt.NewMemStore()
	b0, err := oexec.GenesisBlock(mem, g)
	if err != nil {
		t.Fatal(err)
	}
	stored0, _ := st.Block(0)
	if b0.Header.StateRoot != stored0.Header.StateRoot {
		t.Fatal("genesis state root differs")
	}
	root := b0.Header.StateRoot
	for h := uint64(1); h <= head.Height; h++ {
		b, err := st.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		s, err := state.Open(mem, root)
		if err != nil {
			t.Fatal(err)
		}
		res, err := oexec.Execute(s, oexec.Env{Height: h, Proposer: b.Header.Proposer, BaseFee: b.Header.BaseFee}, b.Transactions)
		if err != nil {
			t.Fatal(err)
		}
		if res.StateRoot != b.Header.StateRoot || res.ReceiptsRoot != b.Header.ReceiptsRoot || res.TransactionsRoot != b.Header.TransactionsRoot {
			t.Fatalf("height %d: replay gives root %v, stored %v", h, res.StateRoot, b.Header.StateRoot)
		}
		root = res.StateRoot
	}
	// The stored state itself is readable at the head.
	if _, err := state.Open(smt.NewBadgerStore(st.State, nil), root); err != nil {
		t.Fatalf("head state unreadable: %v", err)
	}
	checkIndexAfterCrashes(t, st, g, head.Height)
	t.Logf("%d kills, head %d, %d blocks replayed", cycles, head.Height, head.Height)
}

// checkIndexAfterCrashes opens the index the kills left, as a restarting
// node does (Sync), and checks it against the blocks: every transaction is
// found where it is, and every sender's history (in chunks and in the buffer
// its address history reloads, some flushes cut short by a kill) lists its
// transactions exactly once, in order.
func checkIndexAfterCrashes(t *testing.T, st *store.Store, g *types.Genesis, head uint64) {
	t.Helper()
	ix := index.New(st.Index)
	if _, err := ix.Sync(st, g, head); err != nil {
		t.Fatalf("index sync after the kills: %v", err)
	}
	want := map[types.Address][]index.Location{}
	for h := uint64(1); h <= head; h++ {
		b, err := st.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := st.Receipts(h)
		if err != nil {
			t.Fatal(err)
		}
		for i, tx := range b.Transactions {
			loc := index.Location{Height: h, Position: uint32(i)}
			if got, err := ix.Lookup(rs[i].TxHash); err != nil || got != loc {
				t.Fatalf("index: transaction at %+v found at %+v, %v", loc, got, err)
			}
			want[tx.From] = append(want[tx.From], loc)
			if tx.To != tx.From && !tx.To.IsZero() {
				want[tx.To] = append(want[tx.To], loc)
			}
		}
	}
	for _, a := range g.Allocations {
		_, got, err := ix.ByAddress(a.Address, 1<<30, false, nil)
		if err != nil || !slices.Equal(got, want[a.Address]) {
			t.Fatalf("index: history of %v: %d entries (%v), blocks hold %d", a.Address, len(got), err, len(want[a.Address]))
		}
	}
}
