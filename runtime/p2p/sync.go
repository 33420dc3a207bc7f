package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// Sync protocol limits; the package doc describes the framing.
const (
	frameHeader      = 4  // u32 little-endian body length
	maxRequestBytes  = 64 // SyncRequest is 12 bytes, BlockRequest 32
	maxBlockResponse = params.MaxEnvelopePayloadBytes + 1
	requestTimeout   = 30 * time.Second
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
// stream ends right after it. It allocates as bytes arrive, not up front,
// so a lying length costs the sender the bytes it claims.
func readFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("read frame length: %w", err)
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("frame is %d bytes, max %d: %w", n, limit, ErrBadResponse)
	}
	body, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("read frame: %w", err)
	}
	if len(body) != int(n) {
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

// syncPeers returns the connected peers, rotated so that successive
// requests start with different peers.
func (h *Host) syncPeers() []peer.ID {
	ids := h.host.Network().Peers()
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	k := int(h.next.Add(1) % uint64(len(ids)))
	return append(ids[k:], ids[:k]...)
}

// request sends one request frame to p over proto and returns the body of
// the response frame.
func (h *Host) request(ctx context.Context, p peer.ID, proto string, req []byte, limit int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s, err := h.host.NewStream(ctx, p, protocol.ID(proto))
	if err != nil {
		return nil, fmt.Errorf("open stream: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	if err := writeFrame(s, req); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("write request: %w", err)
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("close request: %w", err)
	}
	body, err := readFrame(s, limit)
	if err != nil {
		_ = s.Reset()
		return nil, err
	}
	_ = s.Close()
	return body, nil
}

// SyncRange asks connected peers, in turn, for final blocks from height
// from on, at most max (capped at params.MaxSyncBlocks), and returns the
// first well-formed answer and the peer that gave it. A peer that errors is
// skipped; one whose answer is malformed or does not match the request is
// also penalised. Only the heights are checked (see checkRange): the caller
// must check hashes and parent links, and can penalise the returned peer
// if they are wrong.
func (h *Host) SyncRange(ctx context.Context, from uint64, max int) (*types.SyncResponse, peer.ID, error) {
	if max < 0 {
		return nil, "", fmt.Errorf("p2p: sync range: max %d is negative", max)
	}
	max = min(max, params.MaxSyncBlocks)
	req := types.SyncRequest{FromHeight: from, MaxBlocks: uint32(max)}
	reqBytes, err := req.MarshalBorsh()
	if err != nil {
		return nil, "", fmt.Errorf("p2p: sync range: encode request: %w", err)
	}
	peers := h.syncPeers()
	if len(peers) == 0 {
		return nil, "", fmt.Errorf("p2p: sync range from %d: %w", from, ErrNoPeers)
	}
	var lastErr error
	for _, p := range peers {
		if err := ctx.Err(); err != nil {
			return nil, "", fmt.Errorf("p2p: sync range from %d: %w", from, err)
		}
		resp, err := h.syncRangeFrom(ctx, p, from, max, reqBytes)
		if err == nil {
			return resp, p, nil
		}
		h.log.Debug("p2p: sync range failed", "peer", p, "from", from, "err", err)
		if errors.Is(err, ErrBadResponse) {
			h.Penalize(p, "bad sync range response")
		}
		lastErr = fmt.Errorf("peer %s: %w", p, err)
	}
	return nil, "", fmt.Errorf("p2p: sync range from %d: no peer answered (%d tried): %w: %w",
		from, len(peers), ErrNoPeers, lastErr)
}

// syncRangeFrom runs one range request against p and checks the answer.
func (h *Host) syncRangeFrom(ctx context.Context, p peer.ID, from uint64, max int, req []byte) (*types.SyncResponse, error) {
	body, err := h.request(ctx, p, params.ProtocolSyncRange, req, params.MaxSyncResponseBytes)
	if err != nil {
		return nil, err
	}
	var resp types.SyncResponse
	if err := resp.UnmarshalBorsh(body); err != nil {
		return nil, fmt.Errorf("decode: %w: %w", ErrBadResponse, err)
	}
	if err := checkRange(&resp, from, max); err != nil {
		return nil, err
	}
	return &resp, nil
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

// FetchBlock asks connected peers, in turn, for the block whose header hash
// is hash, and returns the first one that has it. A block whose header hash
// differs is never returned; the peer that sent it is penalised.
func (h *Host) FetchBlock(ctx context.Context, hash types.Hash) (*types.Block, error) {
	req := types.BlockRequest{Hash: hash}
	reqBytes, err := req.MarshalBorsh()
	if err != nil {
		return nil, fmt.Errorf("p2p: fetch block: encode request: %w", err)
	}
	peers := h.syncPeers()
	if len(peers) == 0 {
		return nil, fmt.Errorf("p2p: fetch block %s: %w", hash, ErrNoPeers)
	}
	var lastErr error
	for _, p := range peers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("p2p: fetch block %s: %w", hash, err)
		}
		blk, err := h.fetchBlockFrom(ctx, p, hash, reqBytes)
		if err != nil {
			h.log.Debug("p2p: fetch block failed", "peer", p, "hash", hash, "err", err)
			if errors.Is(err, ErrBadResponse) {
				h.Penalize(p, "bad block response")
			}
			lastErr = fmt.Errorf("peer %s: %w", p, err)
			continue
		}
		if blk != nil {
			return blk, nil
		}
	}
	if lastErr != nil {
		return nil, fmt.Errorf("p2p: fetch block %s (%d peers tried): %w: %w", hash, len(peers), ErrNotFound, lastErr)
	}
	return nil, fmt.Errorf("p2p: fetch block %s (%d peers tried): %w", hash, len(peers), ErrNotFound)
}

// fetchBlockFrom asks p for the block hash; nil, nil means p does not have
// it.
func (h *Host) fetchBlockFrom(ctx context.Context, p peer.ID, hash types.Hash, req []byte) (*types.Block, error) {
	body, err := h.request(ctx, p, params.ProtocolSyncBlock, req, maxBlockResponse)
	if err != nil {
		return nil, err
	}
	var resp types.BlockResponse
	if err := resp.UnmarshalBorsh(body); err != nil {
		return nil, fmt.Errorf("decode: %w: %w", ErrBadResponse, err)
	}
	if resp.Block == nil {
		return nil, nil
	}
	got, err := resp.Block.Header.Hash()
	if err != nil {
		return nil, fmt.Errorf("hash block: %w: %w", ErrBadResponse, err)
	}
	if got != hash {
		return nil, fmt.Errorf("asked for block %s, got %s: %w", hash, got, ErrBadResponse)
	}
	return resp.Block, nil
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
