package conformance

// Benchmarks of the generated Block codec against github.com/near/borsh-go
// v0.3.1's reflection codec, side by side:
//
//	go test -run '^$' -bench Block -benchmem ./conformance/
//
// The block is a full one: MaxBlockTransactions (1,000) Transfer transactions
// and a header whose QC carries 4 votes.

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"testing"

	borshgo "github.com/near/borsh-go"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

const benchTransfers = 1000

var (
	benchBlockOnce sync.Once
	benchBlockVal  *types.Block
)

// benchBlock returns the shared benchmark block; callers must not modify it.
func benchBlock() *types.Block {
	benchBlockOnce.Do(func() { benchBlockVal = newBenchBlock(benchTransfers) })
	return benchBlockVal
}

// newBenchBlock builds a deterministic block of n Transfer transactions with
// random addresses and signatures and realistic amounts and fees.
func newBenchBlock(n int) *types.Block {
	rng := rand.New(rand.NewPCG(0x0a4a, 0xb10c))
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	sig := func() types.Signature {
		var s types.Signature
		fill(s[:64])
		s[0] &= 0x7f // R, S below the curve order's top bit; V in {0,1}
		s[32] &= 0x7f
		s[64] = byte(rng.IntN(2))
		return s
	}
	const height = 1_234_567
	h := types.BlockHeader{
		Height:    height,
		Timestamp: 1_767_225_600 + height,
		Epoch:     height / params.EpochLength,
		View:      height + 3,
		BaseFee:   params.InitialBaseFee,
		GasUsed:   uint64(n) * params.GasTransfer,
	}
	fill(h.ParentHash[:])
	fill(h.StateRoot[:])
	fill(h.TransactionsRoot[:])
	fill(h.ReceiptsRoot[:])
	fill(h.Proposer[:])
	h.QC = types.QuorumCert{View: h.View - 1, Height: height - 1, BlockHash: h.ParentHash}
	for range 4 {
		var vs types.ValidatorSignature
		fill(vs.Validator[:])
		vs.Signature = sig()
		h.QC.Votes = append(h.QC.Votes, vs)
	}
	// Votes are sorted by validator address, as the spec requires.
	for i := 1; i < len(h.QC.Votes); i++ {
		for j := i; j > 0 && bytes.Compare(h.QC.Votes[j-1].Validator[:], h.QC.Votes[j].Validator[:]) > 0; j-- {
			h.QC.Votes[j-1], h.QC.Votes[j] = h.QC.Votes[j], h.QC.Votes[j-1]
		}
	}
	txs := make([]types.Transaction, n)
	for i := range txs {
		tx := &txs[i]
		tx.Type = types.TxTypeTransfer
		fill(tx.From[:])
		fill(tx.To[:])
		tx.Amount = rng.Uint64N(5_000*params.RaysPerOrama) + 1 // up to 5,000 ORAMA in rays
		tx.Asset = types.AssetOrama
		tx.Nonce = rng.Uint64N(10_000)
		tx.GasLimit = params.GasTransfer
		tx.GasTipCap = 1 + rng.Uint64N(5)
		tx.GasFeeCap = params.InitialBaseFee*2 + tx.GasTipCap
		tx.Signature = sig()
	}
	return &types.Block{Header: h, Transactions: txs}
}

// benchBlockEncoding returns the block's generated encoding.
func benchBlockEncoding(tb testing.TB) []byte {
	tb.Helper()
	enc, err := benchBlock().MarshalBorsh()
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

func BenchmarkBlockEncode(b *testing.B) {
	blk := benchBlock()
	enc := benchBlockEncoding(b)
	b.Run("generated", func(b *testing.B) {
		buf := make([]byte, 0, len(enc))
		b.SetBytes(int64(len(enc)))
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = blk.AppendBorsh(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
		if !bytes.Equal(buf, enc) {
			b.Fatal("encoding changed")
		}
	})
	b.Run("borsh-go", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		b.ReportAllocs()
		var out []byte
		for b.Loop() {
			var err error
			if out, err = borshgo.Serialize(*blk); err != nil {
				b.Fatal(err)
			}
		}
		if !bytes.Equal(out, enc) {
			b.Fatal("borsh-go encoding differs")
		}
	})
}

func BenchmarkBlockDecode(b *testing.B) {
	enc := benchBlockEncoding(b)
	b.Run("generated", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		b.ReportAllocs()
		for b.Loop() {
			var blk types.Block
			if err := blk.UnmarshalBorsh(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("borsh-go", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		b.ReportAllocs()
		for b.Loop() {
			var blk types.Block
			if err := borshgo.Deserialize(&blk, enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestBlockEncodeZeroAlloc: encoding a full block into a buffer with room
// allocates nothing.
func TestBlockEncodeZeroAlloc(t *testing.T) {
	blk := benchBlock()
	buf := make([]byte, 0, blk.BorshSize())
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		buf, err = blk.AppendBorsh(buf[:0])
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("AppendBorsh of a %d-transaction block: %v allocations per run, want 0", len(blk.Transactions), allocs)
	}
	if len(buf) != blk.BorshSize() {
		t.Errorf("encoded %d bytes, BorshSize %d", len(buf), blk.BorshSize())
	}
}

// TestBenchBlockMatchesBorshGo: the benchmark block's generated encoding is
// byte-identical to borsh-go's, and it decodes back to the block (so both
// benchmarks measure the same work on valid input).
func TestBenchBlockMatchesBorshGo(t *testing.T) {
	blk := benchBlock()
	if len(blk.Transactions) != benchTransfers || len(blk.Header.QC.Votes) != 4 {
		t.Fatalf("block has %d transactions and %d votes", len(blk.Transactions), len(blk.Header.QC.Votes))
	}
	enc := benchBlockEncoding(t)
	ref, err := borshgo.Serialize(*blk)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, ref) {
		i := 0
		for i < min(len(enc), len(ref)) && enc[i] == ref[i] {
			i++
		}
		t.Fatalf("generated (%d bytes) and borsh-go (%d bytes) encodings differ from byte %d", len(enc), len(ref), i)
	}
	var got types.Block
	if err := got.UnmarshalBorsh(enc); err != nil {
		t.Fatal(err)
	}
	re, err := got.MarshalBorsh()
	if err != nil || !bytes.Equal(re, enc) {
		t.Fatalf("re-encoding the decoded block: err %v, identical %v", err, bytes.Equal(re, enc))
	}
}
