package chainfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
)

func sample(h uint64) *types.SyncResponse {
	b := types.Block{Header: types.BlockHeader{Height: h, View: h}, Transactions: []types.Transaction{}}
	b.Header.QC.Votes = []types.ValidatorSignature{}
	return &types.SyncResponse{Blocks: []types.Block{b}, HeadHeight: h}
}

func file(t *testing.T, rs ...*types.SyncResponse) []byte {
	t.Helper()
	var out []byte
	for _, r := range rs {
		var err error
		if out, err = AppendRecord(out, r); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func readAll(data []byte) ([]*types.SyncResponse, error) {
	rd := NewReader(bytes.NewReader(data))
	var out []*types.SyncResponse
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func TestReaderRoundTrip(t *testing.T) {
	data := file(t, sample(1), sample(2), sample(3))
	got, err := readAll(data)
	if err != nil || len(got) != 3 {
		t.Fatalf("read %d records: %v", len(got), err)
	}
	for i, r := range got {
		if r.Blocks[0].Header.Height != uint64(i+1) {
			t.Fatalf("record %d holds height %d", i, r.Blocks[0].Header.Height)
		}
	}
	if got, err := readAll(nil); err != nil || len(got) != 0 {
		t.Fatalf("empty file: %d records, %v", len(got), err)
	}
}

func TestReaderMalformed(t *testing.T) {
	good := file(t, sample(1))
	rec := good[4:]
	huge := binary.LittleEndian.AppendUint32(nil, MaxRecordBytes+1)
	for _, c := range []struct {
		name string
		data []byte
		ok   int // records read before the error
	}{
		{"length cut", append(bytes.Clone(good), 1, 0), 1},
		{"record cut", good[:len(good)-1], 0},
		{"zero length", append(bytes.Clone(good), 0, 0, 0, 0), 1},
		{"length over the bound", append(huge, rec...), 0},
		{"trailing byte in a record", append(binary.LittleEndian.AppendUint32(nil, uint32(len(rec)+1)), append(bytes.Clone(rec), 0)...), 0},
		{"not Borsh", append(binary.LittleEndian.AppendUint32(nil, 3), 9, 9, 9), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAll(c.data)
			if !errors.Is(err, ErrMalformed) || len(got) != c.ok {
				t.Fatalf("%d records, %v; want %d and ErrMalformed", len(got), err, c.ok)
			}
			if Reason(err) != ReasonDecodeError {
				t.Fatalf("reason %q", Reason(err))
			}
		})
	}
}

// errReader fails after its data.
type errReader struct{ data []byte }

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReaderIOErrorIsNotMalformed: a file that cannot be read is this
// node's failure, not a refusal of the chain.
func TestReaderIOErrorIsNotMalformed(t *testing.T) {
	good := file(t, sample(1))
	_, err := NewReader(&errReader{good[:6]}).Next()
	if err == nil || errors.Is(err, ErrMalformed) {
		t.Fatalf("%v", err)
	}
}

func TestAppendRecordRefusesOversize(t *testing.T) {
	// Two blocks of 700 transactions carrying 16 KiB each: about 23 MB,
	// every field within its own limit, the whole over MaxRecordBytes.
	data := make(types.Bytes, 16384)
	big := &types.SyncResponse{}
	for range 2 {
		b := sample(1).Blocks[0]
		b.Transactions = make([]types.Transaction, 700)
		for i := range b.Transactions {
			b.Transactions[i].Data = data
		}
		big.Blocks = append(big.Blocks, b)
	}
	if out, err := AppendRecord(nil, big); err == nil || len(out) != 0 {
		t.Fatalf("a record above MaxRecordBytes was written: %d bytes, %v", len(out), err)
	}
}

// TestReasons maps each error of the sync path, wrapped as the driver
// wraps it, to its name; storage errors are no refusal.
func TestReasons(t *testing.T) {
	w := func(errs ...error) error {
		var err error = errors.New("base")
		for _, e := range errs {
			err = fmt.Errorf("%w: %w", e, err)
		}
		return &driver.RefusedError{Height: 1, Err: err}
	}
	notIncl := &exec.NotIncludableError{Status: types.TxStatusBadNonce, Err: errors.New("nonce")}
	for _, c := range []struct {
		err  error
		want string
	}{
		{w(ErrMalformed), ReasonDecodeError},
		{w(driver.ErrConflict), ReasonConflictingBlock},
		{w(driver.ErrNoCommitProof), ReasonNoCommitProof},
		{w(driver.ErrNotExtending, driver.ErrBadSync), ReasonWrongParent},
		{w(driver.ErrWrongBody, driver.ErrBadSync), ReasonWrongTransactionsRoot},
		{w(consensus.ErrNoQuorum, driver.ErrBadSync), ReasonBadCertificate},
		{w(consensus.ErrBadSignature, consensus.ErrBadCommitProof, driver.ErrBadSync), ReasonBadCertificate},
		{w(consensus.ErrQCNotForBlock, driver.ErrBadSync), ReasonBadCertificate},
		{w(consensus.ErrUnsortedSigner, driver.ErrBadSync), ReasonBadCertificate},
		{w(consensus.ErrUnknownValidator, driver.ErrBadSync), ReasonBadCertificate},
		{w(consensus.ErrNonConsecutiveViews, consensus.ErrBadCommitProof, driver.ErrBadSync), ReasonBadCommitProof},
		{w(consensus.ErrBadCommitProof, driver.ErrBadSync), ReasonBadCommitProof},
		{w(exec.ErrBadHeader, driver.ErrBadBlock), ReasonBadHeader},
		{&driver.RefusedError{Height: 1, Err: fmt.Errorf("%w: %w", driver.ErrBadBlock, notIncl)}, ReasonNonIncludableTransaction},
		{w(mempool.ErrInvalidSignature, driver.ErrBadBlock), ReasonNonIncludableTransaction},
		{w(exec.ErrWrongStateRoot, exec.ErrWrongResult, driver.ErrBadBlock, driver.ErrFatal), ReasonWrongStateRoot},
		{w(exec.ErrWrongTransactionsRoot, exec.ErrWrongResult, driver.ErrBadBlock), ReasonWrongTransactionsRoot},
		{w(exec.ErrWrongReceiptsRoot, exec.ErrWrongResult, driver.ErrBadBlock), ReasonWrongReceiptsRoot},
		{w(exec.ErrWrongGasUsed, exec.ErrWrongResult, driver.ErrBadBlock), ReasonWrongGasUsed},
		{errors.New("disk on fire"), ""},
		{w(driver.ErrFatal), ""},
		{nil, ""},
	} {
		if got := Reason(c.err); got != c.want {
			t.Errorf("Reason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	seen := map[string]bool{}
	for _, r := range Reasons {
		if seen[r] {
			t.Errorf("%s listed twice", r)
		}
		seen[r] = true
	}
	if len(Reasons) != 12 {
		t.Errorf("%d reasons", len(Reasons))
	}
}

// TestReasonsInSpec: every reason is named in spec/consensus.md's
// "Importing a chain", so the names other implementations read are ours.
func TestReasonsInSpec(t *testing.T) {
	b, err := os.ReadFile("../../spec/consensus.md")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("## Importing a chain"))
	if i < 0 {
		t.Fatal(`spec/consensus.md has no "## Importing a chain"`)
	}
	sec := b[i:]
	if j := bytes.Index(sec[3:], []byte("\n## ")); j >= 0 {
		sec = sec[:j+3]
	}
	for _, r := range Reasons {
		if !bytes.Contains(sec, []byte("`"+r+"`")) {
			t.Errorf("reason %s is not in the spec's section", r)
		}
	}
}

// fakeImporter records what Import hands it.
type fakeImporter struct {
	height uint64
	added  int
	addErr error // returned by the record after failAt
	failAt int
	finish error
}

func (f *fakeImporter) Add(r *types.SyncResponse) error {
	f.added++
	if f.addErr != nil && f.added > f.failAt {
		return f.addErr
	}
	f.height = r.Blocks[len(r.Blocks)-1].Header.Height
	return nil
}
func (f *fakeImporter) Finish() error  { return f.finish }
func (f *fakeImporter) Height() uint64 { return f.height }

func TestImportReport(t *testing.T) {
	data := file(t, sample(1), sample(2), sample(3))
	ctx := context.Background()

	f := &fakeImporter{}
	rep, err := Import(ctx, bytes.NewReader(data), f)
	if err != nil || rep.Refused() || rep.ImportedHeight != 3 || f.added != 3 {
		t.Fatalf("%+v %v, %d added", rep, err, f.added)
	}

	refusal := &driver.RefusedError{Height: 2, Err: fmt.Errorf("%w: x", exec.ErrBadHeader)}
	f = &fakeImporter{addErr: refusal, failAt: 1}
	rep, err = Import(ctx, bytes.NewReader(data), f)
	if err != nil || !rep.Refused() || *rep.RefusedHeight != 2 || rep.Reason != ReasonBadHeader || rep.ImportedHeight != 1 || f.added != 2 {
		t.Fatalf("refusal: %+v %v, %d added", rep, err, f.added)
	}

	f = &fakeImporter{addErr: errors.New("disk on fire"), failAt: 1}
	if _, err = Import(ctx, bytes.NewReader(data), f); err == nil {
		t.Fatal("a storage failure became a report")
	}

	f = &fakeImporter{addErr: &driver.RefusedError{Height: 2, Err: errors.New("unnamed")}, failAt: 1}
	if _, err = Import(ctx, bytes.NewReader(data), f); err == nil {
		t.Fatal("a refusal without a reason became a report")
	}

	f = &fakeImporter{finish: &driver.RefusedError{Height: 4, Err: driver.ErrNoCommitProof}}
	rep, err = Import(ctx, bytes.NewReader(data), f)
	if err != nil || !rep.Refused() || rep.Reason != ReasonNoCommitProof || *rep.RefusedHeight != 4 {
		t.Fatalf("finish: %+v %v", rep, err)
	}

	f = &fakeImporter{}
	rep, err = Import(ctx, bytes.NewReader(data[:len(data)-2]), f)
	if err != nil || !rep.Refused() || rep.Reason != ReasonDecodeError || *rep.RefusedHeight != 3 || rep.ImportedHeight != 2 {
		t.Fatalf("cut file: %+v %v", rep, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err = Import(cctx, bytes.NewReader(data), &fakeImporter{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// FuzzChainFile: the reader never panics, reads only whole records, and a
// record it returns re-encodes to exactly the bytes it was read from.
func FuzzChainFile(f *testing.F) {
	var seed []byte
	for _, r := range []*types.SyncResponse{sample(1), sample(2)} {
		seed, _ = AppendRecord(seed, r)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{255, 255, 255, 255, 1})
	if b, err := os.ReadFile("../../conformance/vectors-chain/refused_truncated/chain.bin"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		var again []byte
		for {
			r, err := rd.Next()
			if errors.Is(err, io.EOF) {
				if !bytes.Equal(again, data) {
					t.Fatalf("read to the end, but the records re-encode to other bytes")
				}
				return
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error not ErrMalformed: %v", err)
				}
				if !bytes.HasPrefix(data, again) {
					t.Fatal("records read are not a prefix of the input")
				}
				return
			}
			if again, err = AppendRecord(again, r); err != nil {
				t.Fatal(err)
			}
		}
	})
}
