package driver

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Reasons a chain import refuses blocks besides those of CheckSync and
// block execution (spec/consensus.md, "Importing a chain").
var (
	// ErrNoCommitProof: the chain ends, or more than maxSyncBuffer blocks
	// go by, without a commit proof for the blocks read.
	ErrNoCommitProof = errors.New("driver: blocks without a commit proof")
	// ErrConflict: a block at or below the head is not the final block
	// this node holds at its height.
	ErrConflict = errors.New("driver: block differs from the final block at its height")
)

// RefusedError is a block a chain import refused. Height is the first
// block of the chain not imported; Err says why (it wraps ErrBadSync,
// ErrBadBlock, ErrNoCommitProof or ErrConflict).
type RefusedError struct {
	Height uint64
	Err    error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("driver: block %d refused: %v", e.Height, e.Err)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// Importer applies a chain file's records (SyncResponses) to the chain
// through range sync's own path: each record is checked with CheckSync
// against the last block held, blocks are held until a commit proof
// covers them (at most maxSyncBuffer), then each is committed with
// applyFinal, which executes it and checks its header, signatures,
// includability and roots. Only the order of records differs from range
// sync: they come from a file instead of peers, and a refusal ends the
// import instead of trying another peer.
//
// It must not be used while the driver runs (Run, or a simulator's
// Tick/Handle): it touches the chain from the caller's goroutine.
type Importer struct {
	d   *Driver
	buf []types.Block // checked, not yet proven final
}

// Importer returns an importer onto the driver's chain.
func (d *Driver) Importer() *Importer { return &Importer{d: d} }

// Height is the chain's head height.
func (im *Importer) Height() uint64 {
	head, _ := im.d.chain.Head()
	return head.Header.Height
}

// Add checks and applies one record. Blocks at or below the head are
// skipped once checked to be the chain's own, so an import can resume on
// a chain that holds part of the file. It returns a *RefusedError for a
// record or block the chain must not take, and any other error for a
// failure of this node (storage).
func (im *Importer) Add(resp *types.SyncResponse) error {
	blocks := resp.Blocks
	if len(im.buf) == 0 {
		var err error
		if blocks, err = im.skipFinal(blocks); err != nil {
			return err
		}
		if len(blocks) == 0 {
			return nil // nothing new; a proof of a final block proves nothing more
		}
	}
	head, _ := im.d.chain.Head()
	prev := head.Header
	if n := len(im.buf); n > 0 {
		prev = im.buf[n-1].Header
	}
	r := types.SyncResponse{Blocks: blocks, Proof: resp.Proof, HeadHeight: resp.HeadHeight}
	if err := im.d.CheckSync(prev, &r); err != nil {
		return im.refuse(err)
	}
	im.buf = append(im.buf, blocks...)
	if resp.Proof == nil {
		if len(im.buf) > maxSyncBuffer {
			return im.refuse(fmt.Errorf("%w: %d blocks held", ErrNoCommitProof, len(im.buf)))
		}
		return nil
	}
	buf := im.buf
	im.buf = nil
	for i := range buf {
		var proof *types.CommitProof
		if i == len(buf)-1 {
			proof = resp.Proof
		}
		if err := im.d.applyFinal(&buf[i], proof); err != nil {
			if errors.Is(err, ErrBadBlock) {
				return &RefusedError{Height: buf[i].Header.Height, Err: err}
			}
			return err
		}
	}
	return nil
}

// Finish ends an import: blocks still held have no commit proof.
func (im *Importer) Finish() error {
	if len(im.buf) == 0 {
		return nil
	}
	return im.refuse(fmt.Errorf("%w: the chain ends with %d blocks not proven final", ErrNoCommitProof, len(im.buf)))
}

// refuse drops the blocks held: none of them is imported.
func (im *Importer) refuse(err error) error {
	im.buf = nil
	return &RefusedError{Height: im.Height() + 1, Err: err}
}

// skipFinal drops the leading blocks at or below the head after checking
// that each is the final block at its height.
func (im *Importer) skipFinal(blocks []types.Block) ([]types.Block, error) {
	top := im.Height()
	for len(blocks) > 0 && blocks[0].Header.Height <= top {
		h := &blocks[0].Header
		have, err := im.d.chain.Block(h.Height)
		if err != nil {
			return nil, fmt.Errorf("driver: final block %d: %w", h.Height, err)
		}
		hh, err := have.Header.Hash()
		if err != nil {
			return nil, err
		}
		got, err := h.Hash()
		if err != nil || got != hh {
			return nil, &RefusedError{Height: h.Height, Err: fmt.Errorf("%w: height %d", ErrConflict, h.Height)}
		}
		blocks = blocks[1:]
	}
	return blocks, nil
}
