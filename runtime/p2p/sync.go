package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// Sync protocol limits; the package doc describes the framing.
const (
	frameHeader      = 4  // u32 little-endian body length
	maxRequestBytes  = 64 // SyncRequest is 12 bytes, BlockRequest 32
	maxBlockResponse = params.MaxEnvelopePayloadBytes + 1
	serveTimeout     = 30 * time.Second
)

// writeFrame writes body as one frame.
func writeFrame(w io.Writer, body []byte) error {
	var hdr [frameHeader]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(body)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}

// readFrame reads one frame of at most limit bytes and checks that the
// stream ends right after it.
func readFrame(r io.Reader, limit int) ([]byte, error) {
	n, err := readFrameLen(r, limit)
	if err != nil {
		return nil, err
	}
	return readFrameBody(r, n)
}

// readFrameLen reads a frame's length and checks it against limit.
func readFrameLen(r io.Reader, limit int) (int, error) {
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, fmt.Errorf("read frame length: %w", err)
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if uint64(n) > uint64(limit) {
		return 0, fmt.Errorf("frame is %d bytes, max %d: %w", n, limit, ErrBadResponse)
	}
	return int(n), nil
}

// readFrameBody reads the n bytes of a frame's body and checks that the
// stream ends right after them. It allocates as bytes arrive, not up
// front, so a lying length costs the sender the bytes it claims.
func readFrameBody(r io.Reader, n int) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("read frame: %w", err)
	}
	if len(body) != n {
		return nil, fmt.Errorf("frame truncated at %d of %d bytes: %w", len(body), n, ErrBadResponse)
	}
	var extra [1]byte
	switch k, err := io.ReadFull(r, extra[:]); {
	case k > 0:
		return nil, fmt.Errorf("bytes after the frame: %w", ErrBadResponse)
	case errors.Is(err, io.EOF):
		return body, nil
	default:
		return nil, fmt.Errorf("read end of stream: %w", err)
	}
}

// checkRange checks the fields of resp that need no hashing against a
// request for max blocks from height from: at most max blocks, at
// consecutive heights from from, none above the server's head. Hashes and
// parent links are left to the caller, which checks them with the
// certificates; hashing here would only do that work twice.
func checkRange(resp *types.SyncResponse, from uint64, max int) error {
	if len(resp.Blocks) > max {
		return fmt.Errorf("%d blocks, asked for at most %d: %w", len(resp.Blocks), max, ErrBadResponse)
	}
	for i := range resp.Blocks {
		if h := resp.Blocks[i].Header.Height; h != from+uint64(i) {
			return fmt.Errorf("block %d has height %d, want %d: %w", i, h, from+uint64(i), ErrBadResponse)
		}
	}
	if n := len(resp.Blocks); n > 0 && resp.HeadHeight < resp.Blocks[n-1].Header.Height {
		return fmt.Errorf("head height %d below the last block sent: %w", resp.HeadHeight, ErrBadResponse)
	}
	return nil
}

// serve runs one server-side exchange on s: it reads the request frame,
// answers it with handle and closes the stream, or resets it on any error.
func (h *Host) serve(s network.Stream, handle func(req []byte) ([]byte, error)) {
	_ = s.SetDeadline(time.Now().Add(serveTimeout))
	err := func() error {
		req, err := readFrame(s, maxRequestBytes)
		if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		resp, err := handle(req)
		if err != nil {
			return err
		}
		return writeFrame(s, resp)
	}()
	if err != nil {
		h.log.Debug("p2p: sync request failed", "protocol", s.Protocol(), "peer", s.Conn().RemotePeer(), "err", err)
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// serveSyncRange answers a SyncRequest.
func (h *Host) serveSyncRange(s network.Stream) {
	h.serve(s, func(body []byte) ([]byte, error) {
		var req types.SyncRequest
		if err := req.UnmarshalBorsh(body); err != nil {
			return nil, fmt.Errorf("decode sync request: %w", err)
		}
		max := min(int(req.MaxBlocks), params.MaxSyncBlocks)
		resp, err := h.server.SyncRange(req.FromHeight, max)
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		if resp == nil {
			return nil, errors.New("server returned no response")
		}
		return encodeRange(*resp, max)
	})
}

// encodeRange encodes resp, dropping blocks from the end (and the proof,
// which is for the last block) until it holds at most max blocks and fits
// in params.MaxSyncResponseBytes.
func encodeRange(resp types.SyncResponse, max int) ([]byte, error) {
	if len(resp.Blocks) > max {
		resp.Blocks = resp.Blocks[:max]
		resp.Proof = nil
	}
	for resp.BorshSize() > params.MaxSyncResponseBytes && len(resp.Blocks) > 0 {
		resp.Blocks = resp.Blocks[:len(resp.Blocks)-1]
		resp.Proof = nil
	}
	b, err := resp.MarshalBorsh()
	if err != nil {
		return nil, fmt.Errorf("encode sync response: %w", err)
	}
	if len(b) > params.MaxSyncResponseBytes {
		return nil, fmt.Errorf("sync response is %d bytes, max %d", len(b), params.MaxSyncResponseBytes)
	}
	return b, nil
}

// serveSyncBlock answers a BlockRequest.
func (h *Host) serveSyncBlock(s network.Stream) {
	h.serve(s, func(body []byte) ([]byte, error) {
		var req types.BlockRequest
		if err := req.UnmarshalBorsh(body); err != nil {
			return nil, fmt.Errorf("decode block request: %w", err)
		}
		var resp types.BlockResponse
		if blk, ok := h.server.BlockByHash(req.Hash); ok && blk != nil {
			resp.Block = blk
		}
		if resp.BorshSize() > maxBlockResponse {
			h.log.Warn("p2p: block too large to serve", "hash", req.Hash, "bytes", resp.BorshSize())
			resp.Block = nil
		}
		b, err := resp.MarshalBorsh()
		if err != nil {
			return nil, fmt.Errorf("encode block response: %w", err)
		}
		return b, nil
	})
}
