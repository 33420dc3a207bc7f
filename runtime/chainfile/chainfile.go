// Package chainfile reads and writes chain files, and imports one into a
// chain through the driver's range-sync path (runtime/driver.Importer),
// reporting a refusal with the stable reason names of spec/consensus.md
// ("Importing a chain"). `orama import`, the conformance runners and the
// fixture generator (gen/chainvectors) all import through Import, and
// Reason is the one place Go errors become those names.
//
// A chain file is a sequence of records, each a u32 little-endian length
// followed by that many bytes, the Borsh encoding of a SyncResponse
// (spec/messages.yaml): what a range-sync server sends, stored back to
// back (conformance/CLIENT.md, "Chain files").
package chainfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/driver"
)

// MaxRecordBytes bounds one record: a SyncResponse is at most
// MaxSyncResponseBytes, as on the wire.
const MaxRecordBytes = params.MaxSyncResponseBytes

// ErrMalformed reports a chain file that is not a sequence of records: a
// length or record cut short, a length of 0 or above MaxRecordBytes, or
// bytes that are not the strict Borsh encoding of a SyncResponse.
var ErrMalformed = errors.New("chainfile: malformed chain file")

// Reader reads a chain file's records in order.
type Reader struct {
	r *bufio.Reader
	n int // records read
}

// NewReader returns a reader of the chain file r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 1<<16)} }

// Next returns the next record. It returns io.EOF after the last one
// (the file ends exactly at a record's end), an error wrapping
// ErrMalformed for a malformed record, and other errors as the
// underlying reader gives them.
func (r *Reader) Next() (*types.SyncResponse, error) {
	var lb [4]byte
	k, err := io.ReadFull(r.r, lb[:])
	switch {
	case k == 0 && errors.Is(err, io.EOF):
		return nil, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: record %d: the file ends inside a length", ErrMalformed, r.n)
	case err != nil:
		return nil, fmt.Errorf("chainfile: record %d: %w", r.n, err)
	}
	n := binary.LittleEndian.Uint32(lb[:])
	if n == 0 || n > MaxRecordBytes {
		return nil, fmt.Errorf("%w: record %d: length %d not in 1..%d", ErrMalformed, r.n, n, MaxRecordBytes)
	}
	// Read what is there rather than allocating what the length claims:
	// a short file with a large length costs no more than its size.
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r.r, int64(n))
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: record %d: %d of %d bytes", ErrMalformed, r.n, got, n)
		}
		return nil, fmt.Errorf("chainfile: record %d: %w", r.n, err)
	}
	var resp types.SyncResponse
	if err := resp.UnmarshalBorsh(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("%w: record %d: %w", ErrMalformed, r.n, err)
	}
	r.n++
	return &resp, nil
}

// AppendRecord appends resp to dst as one record.
func AppendRecord(dst []byte, resp *types.SyncResponse) ([]byte, error) {
	b, err := resp.MarshalBorsh()
	if err != nil {
		return dst, fmt.Errorf("chainfile: %w", err)
	}
	if len(b) > MaxRecordBytes {
		return dst, fmt.Errorf("chainfile: record of %d bytes, over %d", len(b), MaxRecordBytes)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...), nil
}

// Report is the outcome of an import, printed by `orama import` as the
// last line of its output (conformance/CLIENT.md, "Import report").
type Report struct {
	// ImportedHeight is the chain's head height after the import.
	ImportedHeight uint64 `json:"imported_height"`
	// RefusedHeight is the first block of the file not imported, when a
	// block was refused.
	RefusedHeight *uint64 `json:"refused_height,omitempty"`
	// Reason is the refusal's name (spec/consensus.md).
	Reason string `json:"reason,omitempty"`
	// Err is the refusal's error, for logs.
	Err error `json:"-"`
}

// Refused reports whether a block was refused.
func (r *Report) Refused() bool { return r.RefusedHeight != nil }

// Importer is what Import applies records to: *driver.Importer.
type Importer interface {
	Add(*types.SyncResponse) error
	Finish() error
	Height() uint64
}

var _ Importer = (*driver.Importer)(nil)

// Import reads the chain file r record by record and applies each to
// imp, stopping at the first refusal. A refusal is a Report with
// RefusedHeight and Reason set, not an error; the error is for failures
// of this node or of reading r (I/O, storage, ctx ending).
func Import(ctx context.Context, r io.Reader, imp Importer) (Report, error) {
	rd := NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return Report{ImportedHeight: imp.Height()}, err
		}
		resp, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return report(imp, imp.Finish())
		}
		if err != nil {
			if errors.Is(err, ErrMalformed) {
				err = &driver.RefusedError{Height: imp.Height() + 1, Err: err}
			}
			return report(imp, err)
		}
		if err := imp.Add(resp); err != nil {
			return report(imp, err)
		}
	}
}

// report turns the import's last error into its report: nil is a
// complete import, a refusal names its block and reason, anything else
// is returned as the error.
func report(imp Importer, err error) (Report, error) {
	rep := Report{ImportedHeight: imp.Height()}
	if err == nil {
		return rep, nil
	}
	var ref *driver.RefusedError
	if !errors.As(err, &ref) {
		return rep, err
	}
	reason := Reason(err)
	if reason == "" {
		return rep, fmt.Errorf("chainfile: a refusal without a reason: %w", err)
	}
	h := ref.Height
	rep.RefusedHeight, rep.Reason, rep.Err = &h, reason, err
	return rep, nil
}
