package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// Deadlines and fan-out of sync requests; spec/consensus.md (block sync)
// states the rule.
const (
	// syncRangeFirstByte is how long a peer has to start answering a range
	// request. A server reads at most params.MaxSyncBlocks blocks from its
	// store, well under a second; three seconds leave room for a loaded
	// machine and a long round trip, and are all a silent peer can cost.
	syncRangeFirstByte = 3 * time.Second
	// syncBlockFirstByte is the same for one block by hash, a map or index
	// lookup on the server.
	syncBlockFirstByte = 2 * time.Second
	// syncMinRate is the slowest an answer's body may arrive once its
	// length is known, and syncBodySlack the time allowed on top: a full
	// range (params.MaxSyncResponseBytes) gets about 21 s on a slow link,
	// an empty one a second, so a large honest answer is not cut off and
	// a small one cannot be dribbled.
	syncMinRate   = 1 << 20 // bytes a second
	syncBodySlack = time.Second
	// syncFanout is how many peers a request goes to at once: one silent
	// or lying peer then delays nothing while another answers.
	syncFanout = 3
	// syncMaxAsk is how many peers one request may reach in all: each peer
	// that answers without blocks is replaced by the next, so a few peers
	// claiming to have nothing cannot hide the blocks, and a node at the
	// head asks a bounded number before concluding there is nothing.
	syncMaxAsk = 2 * syncFanout
	// syncProbeBytes: once another peer's answer is taken, a request whose
	// answer is longer is abandoned (its stream reset, nothing held
	// against the peer), and one whose answer is at most this long is
	// still read and judged. An empty range answer is about 20 bytes.
	syncProbeBytes = 1 << 10
)

var (
	// errTimeout: a peer did not answer within its deadline.
	errTimeout = errors.New("no answer within the deadline")
	// errAbandoned: a request given up because another peer's answer was
	// taken, or because the caller gave up.
	errAbandoned = errors.New("request abandoned")
	// errNothing: every peer that answered had nothing to give.
	errNothing = errors.New("no peer has it")
)

// SyncClient asks peers for blocks over the two sync protocols, choosing
// the peers by their record as sync servers. Each request goes to
// syncFanout peers at once (idle peers with the best standing first,
// rotating among equals; peers backed off after a fault are skipped while
// anyone else is left), each with a short deadline, and the first answer
// that passes verification is taken. A peer that misses its deadline,
// sends a malformed answer, claims a head it does not serve, or sends an
// answer that fails verification loses standing and gossip score
// (Host.Penalize) and is backed off; a verified answer gains standing. An
// answer of "I have nothing" (a range past the peer's head, an unknown
// block) is honest and costs nothing, but is not taken as the answer
// while another peer asked may still have one. A SyncClient is safe for
// concurrent use.
type SyncClient struct {
	h      *Host
	record *syncRecord
	fanout int // syncFanout; tests widen it
	maxAsk int // syncMaxAsk
}

// NewSyncClient returns a sync client over h's connections. A node keeps
// one, since the peers' records live in it.
func NewSyncClient(h *Host) *SyncClient {
	return &SyncClient{h: h, record: newSyncRecord(time.Now), fanout: syncFanout, maxAsk: syncMaxAsk}
}

// SyncRange asks peers for final blocks from height from on, at most max
// (capped at params.MaxSyncBlocks), and returns the first answer that
// passes check and the peer that gave it. check sees answers whose heights
// already match the request (see checkRange) and must check the rest:
// hashes, parent links, certificates; it runs on the caller's goroutine and
// never after SyncRange returns. A nil check accepts every well-formed
// answer. When no peer asked has blocks from there, SyncRange returns one
// peer's empty answer, and only after every peer asked has answered or
// missed its deadline.
func (c *SyncClient) SyncRange(ctx context.Context, from uint64, max int, check func(*types.SyncResponse) error) (*types.SyncResponse, peer.ID, error) {
	if max < 0 {
		return nil, "", fmt.Errorf("p2p: sync range: max %d is negative", max)
	}
	max = min(max, params.MaxSyncBlocks)
	req := types.SyncRequest{FromHeight: from, MaxBlocks: uint32(max)}
	reqBytes, err := req.MarshalBorsh()
	if err != nil {
		return nil, "", fmt.Errorf("p2p: sync range: encode request: %w", err)
	}
	var winner *types.SyncResponse // the verified answer; ask calls decide on this goroutine
	resp, p, err := ask(ctx, c, &query[*types.SyncResponse]{
		wire: wire{
			what:      "range",
			proto:     params.ProtocolSyncRange,
			req:       reqBytes,
			limit:     params.MaxSyncResponseBytes,
			firstByte: syncRangeFirstByte,
		},
		decide: func(body []byte, won bool) (*types.SyncResponse, verdict, error) {
			r, v, err := decideRange(body, from, max, won, check, winner)
			if v == verdictWin {
				winner = r
			}
			return r, v, err
		},
	})
	switch {
	case err == nil, errors.Is(err, errNothing):
		return resp, p, nil
	case errors.Is(err, ErrNoPeers), ctx.Err() != nil:
		return nil, "", fmt.Errorf("p2p: sync range from %d: %w", from, err)
	}
	return nil, "", fmt.Errorf("p2p: sync range from %d: %w: %w", from, ErrNoPeers, err)
}

// decideRange judges one range answer to a request for max blocks from
// height from; won reports that another answer has already been taken,
// winner (when known) being that verified answer.
func decideRange(body []byte, from uint64, max int, won bool, check func(*types.SyncResponse) error, winner *types.SyncResponse) (*types.SyncResponse, verdict, error) {
	var resp types.SyncResponse
	if err := resp.UnmarshalBorsh(body); err != nil {
		return nil, verdictFault, fmt.Errorf("decode: %w: %w", ErrBadResponse, err)
	}
	if err := checkRange(&resp, from, max); err != nil {
		return nil, verdictFault, err
	}
	switch {
	case len(resp.Blocks) > 0 && won:
		// Too late to be taken, but judged against the verified answer:
		// final blocks are unique, so a block of another chain at a
		// height the winner proved is a forgery, whoever was slower.
		if err := sameChain(&resp, winner); err != nil {
			return nil, verdictFault, err
		}
		return nil, verdictNone, nil
	case len(resp.Blocks) > 0:
		if check != nil {
			if err := check(&resp); err != nil {
				return nil, verdictFault, fmt.Errorf("verify: %w", err)
			}
		}
		return &resp, verdictWin, nil
	case from > 0 && max > 0 && resp.HeadHeight >= from:
		// Height 0 is genesis, which every node holds and none serves.
		return nil, verdictFault, fmt.Errorf("head height %d, yet no block from %d: %w", resp.HeadHeight, from, ErrBadResponse)
	}
	return &resp, verdictNone, nil
}

// sameChain reports an error when late holds, at a height winner also
// holds, a block whose header hash differs from winner's. Heights winner
// does not cover are not judged.
func sameChain(late, winner *types.SyncResponse) error {
	if winner == nil || len(winner.Blocks) == 0 {
		return nil
	}
	first := winner.Blocks[0].Header.Height
	for i := range late.Blocks {
		h := &late.Blocks[i].Header
		if h.Height < first || h.Height-first >= uint64(len(winner.Blocks)) {
			continue
		}
		want, err := winner.Blocks[h.Height-first].Header.Hash()
		if err != nil {
			return nil
		}
		got, err := h.Hash()
		if err != nil || got != want {
			return fmt.Errorf("height %d is not the block the verified answer proves: %w", h.Height, ErrBadResponse)
		}
	}
	return nil
}

// FetchBlock asks peers for the block whose header hash is hash and
// returns the first one whose header hashes to it. It returns an error
// wrapping ErrNotFound when no peer asked has the block.
func (c *SyncClient) FetchBlock(ctx context.Context, hash types.Hash) (*types.Block, error) {
	req := types.BlockRequest{Hash: hash}
	reqBytes, err := req.MarshalBorsh()
	if err != nil {
		return nil, fmt.Errorf("p2p: fetch block: encode request: %w", err)
	}
	blk, _, err := ask(ctx, c, &query[*types.Block]{
		wire: wire{
			what:      "block",
			proto:     params.ProtocolSyncBlock,
			req:       reqBytes,
			limit:     maxBlockResponse,
			firstByte: syncBlockFirstByte,
		},
		decide: func(body []byte, won bool) (*types.Block, verdict, error) {
			return decideBlock(body, hash, won)
		},
	})
	switch {
	case err == nil:
		return blk, nil
	case errors.Is(err, errNothing):
		return nil, fmt.Errorf("p2p: fetch block %s: %w", hash, ErrNotFound)
	case errors.Is(err, ErrNoPeers), ctx.Err() != nil:
		return nil, fmt.Errorf("p2p: fetch block %s: %w", hash, err)
	}
	return nil, fmt.Errorf("p2p: fetch block %s: %w: %w", hash, ErrNotFound, err)
}

// decideBlock judges one answer to a request for the block hash.
func decideBlock(body []byte, hash types.Hash, won bool) (*types.Block, verdict, error) {
	var resp types.BlockResponse
	if err := resp.UnmarshalBorsh(body); err != nil {
		return nil, verdictFault, fmt.Errorf("decode: %w: %w", ErrBadResponse, err)
	}
	if resp.Block == nil {
		return nil, verdictNone, nil
	}
	got, err := resp.Block.Header.Hash()
	if err != nil {
		return nil, verdictFault, fmt.Errorf("hash block: %w: %w", ErrBadResponse, err)
	}
	if got != hash {
		return nil, verdictFault, fmt.Errorf("asked for block %s, got %s: %w", hash, got, ErrBadResponse)
	}
	if won {
		return nil, verdictNone, nil
	}
	return resp.Block, verdictWin, nil
}

// verdict is how one answer counts under the sync rule.
type verdict int

const (
	// verdictNone: of no use, but honest: "I have nothing", a request the
	// peer refused, one abandoned. The peer's record does not change.
	verdictNone verdict = iota
	// verdictWin: the answer passed verification and is taken.
	verdictWin
	// verdictFault: a missed deadline, a malformed answer, a claimed head
	// not served, an answer that failed verification.
	verdictFault
)

// wire is one request as sent: its protocol, bytes and limits.
type wire struct {
	what      string // for errors and logs
	proto     protocol.ID
	req       []byte
	limit     int // of the response frame
	firstByte time.Duration
}

// query is one request to be sent to several peers.
type query[T any] struct {
	wire
	// decide judges an answer's body. won reports that another answer has
	// already been taken: decide may then run on another goroutine after
	// the caller has its answer, so it must not call back into the caller.
	decide func(body []byte, won bool) (T, verdict, error)
}

// answer is what one peer returned.
type answer struct {
	p    peer.ID
	body []byte
	err  error
}

// ask sends q to up to c.fanout peers at once, replacing each that does
// not win with the next, up to c.maxAsk, and returns the first answer that
// decide takes. Without one it returns the first honest "nothing" and
// errNothing, or an error joining the peers' errors. Requests still out
// when it returns are settled in the background: abandoned if their
// answers are long, judged if short, held to their deadline if silent.
func ask[T any](ctx context.Context, c *SyncClient, q *query[T]) (T, peer.ID, error) {
	var zero T
	cands := c.record.order(c.h.host.Network().Peers(), c.h.next.Add(1))
	cands = cands[:min(len(cands), c.maxAsk)]
	if len(cands) == 0 {
		return zero, "", ErrNoPeers
	}
	// won is cancelled once an answer is taken; abort if the caller gives
	// up first, which ends the requests out at once without judging them.
	won, setWon := context.WithCancel(context.Background())
	abort, setAbort := context.WithCancel(context.WithoutCancel(ctx))
	answers := make(chan answer, len(cands)) // never blocks a sender
	next, out := 0, 0
	launch := func() {
		p := cands[next]
		next++
		out++
		c.record.begin(p)
		go func() {
			body, err := c.request(abort, won, p, &q.wire)
			answers <- answer{p: p, body: body, err: err}
		}()
	}
	for out < c.fanout && next < len(cands) {
		launch()
	}
	// settle judges the requests still out, then releases the contexts.
	settle := func() {
		for range out {
			a := <-answers
			judge(c, q, a, true)
			c.record.end(a.p)
		}
		setAbort()
	}

	var (
		nothing     T
		nothingFrom peer.ID
		errs        []error
	)
	for out > 0 {
		select {
		case <-ctx.Done():
			setWon()
			setAbort()
			go settle()
			return zero, "", fmt.Errorf("gave up: %w", ctx.Err())
		case a := <-answers:
			out--
			v, vd, err := judge(c, q, a, false)
			c.record.end(a.p)
			if vd == verdictWin {
				setWon()
				go settle()
				return v, a.p, nil
			}
			if vd == verdictNone && err == nil && nothingFrom == "" {
				nothing, nothingFrom = v, a.p
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("peer %s: %w", a.p, err))
			}
			if next < len(cands) {
				launch()
			}
		}
	}
	setWon()
	setAbort()
	if nothingFrom != "" {
		return nothing, nothingFrom, errNothing
	}
	return zero, "", fmt.Errorf("no answer from %d peers: %w", len(cands), errors.Join(errs...))
}

// judge applies the sync rule to one peer's answer: decide's verdict for
// a body; a fault for a missed deadline or a malformed frame; nothing for
// a refused or abandoned request. It records the verdict and returns it.
func judge[T any](c *SyncClient, q *query[T], a answer, won bool) (T, verdict, error) {
	var v T
	vd, err := verdictNone, a.err
	switch {
	case err == nil:
		v, vd, err = q.decide(a.body, won)
	case errors.Is(err, errAbandoned):
	case errors.Is(err, ErrBadResponse), errors.Is(err, errTimeout):
		vd = verdictFault
	}
	switch vd {
	case verdictWin:
		c.record.good(a.p)
	case verdictFault:
		d := c.record.fault(a.p)
		c.h.log.Debug("p2p: sync peer at fault", "peer", a.p, "request", q.what, "backoff", d, "err", err)
		c.h.Penalize(a.p, fmt.Sprintf("sync %s: %v", q.what, err))
	}
	return v, vd, err
}

// request sends w to p and returns the body of the answer frame. The
// answer must start within w.firstByte and its body then arrive at
// syncMinRate. Once won is cancelled, an answer longer than syncProbeBytes
// is abandoned; once abort is, any is.
func (c *SyncClient) request(abort, won context.Context, p peer.ID, w *wire) ([]byte, error) {
	var abandoned atomic.Bool
	fail := func(err error) error {
		switch {
		case abort.Err() != nil, abandoned.Load():
			return fmt.Errorf("%w: %w", errAbandoned, err)
		case errors.Is(err, ErrBadResponse):
			return err
		case isTimeout(err):
			return fmt.Errorf("%w: %w", errTimeout, err)
		}
		return err
	}
	deadline := time.Now().Add(w.firstByte)
	ctx, cancel := context.WithDeadline(abort, deadline)
	defer cancel()
	s, err := c.h.host.NewStream(ctx, p, w.proto)
	if err != nil {
		return nil, fail(fmt.Errorf("open stream: %w", err))
	}
	defer context.AfterFunc(abort, func() { _ = s.Reset() })()
	_ = s.SetDeadline(deadline)
	if err := writeFrame(s, w.req); err != nil {
		_ = s.Reset()
		return nil, fail(fmt.Errorf("write request: %w", err))
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return nil, fail(fmt.Errorf("close request: %w", err))
	}
	n, err := readFrameLen(s, w.limit)
	if err != nil {
		_ = s.Reset()
		return nil, fail(err)
	}
	if n > syncProbeBytes {
		defer context.AfterFunc(won, func() {
			abandoned.Store(true)
			_ = s.Reset()
		})()
	}
	_ = s.SetDeadline(time.Now().Add(syncBodySlack + time.Duration(n)*time.Second/syncMinRate))
	body, err := readFrameBody(s, n)
	if err != nil {
		_ = s.Reset()
		return nil, fail(err)
	}
	_ = s.Close()
	return body, nil
}

// isTimeout reports whether err is a missed deadline: the stream's
// (yamux reports a net.Error that times out) or the context's.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}
