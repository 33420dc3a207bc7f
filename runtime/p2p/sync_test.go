package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// chainServer serves a fixed chain; wrong, when set, makes BlockByHash
// answer every request with a block other than the one asked for.
type chainServer struct {
	blocks []types.Block
	byHash map[types.Hash]*types.Block
	wrong  atomic.Bool
}

func newChainServer(t *testing.T, n int) *chainServer {
	return newChainServerBy(t, addr(1), n)
}

// newChainServerBy serves a chain of n blocks proposed by proposer, so
// that chains by different proposers differ.
func newChainServerBy(t *testing.T, proposer types.Address, n int) *chainServer {
	s := &chainServer{byHash: map[types.Hash]*types.Block{}}
	var parent types.Hash
	for i := range n {
		b := testBlock(proposer, uint64(i), parent)
		h, err := b.Header.Hash()
		if err != nil {
			t.Fatal(err)
		}
		s.blocks = append(s.blocks, b)
		parent = h
	}
	for i := range s.blocks {
		h, _ := s.blocks[i].Header.Hash()
		s.byHash[h] = &s.blocks[i]
	}
	return s
}

func (s *chainServer) hash(i int) types.Hash {
	h, _ := s.blocks[i].Header.Hash()
	return h
}

func (s *chainServer) SyncRange(from uint64, max int) (*types.SyncResponse, error) {
	resp := &types.SyncResponse{HeadHeight: uint64(len(s.blocks) - 1)}
	for h := from; h < uint64(len(s.blocks)) && len(resp.Blocks) < max; h++ {
		resp.Blocks = append(resp.Blocks, s.blocks[h])
	}
	return resp, nil
}

func (s *chainServer) BlockByHash(h types.Hash) (*types.Block, bool) {
	if s.wrong.Load() {
		return &s.blocks[0], true
	}
	b, ok := s.byHash[h]
	return b, ok
}

func TestSync(t *testing.T) {
	srv := newChainServer(t, 20)
	server := newHost(t, 2, func(c *Config) { c.Server = srv })
	client := newHost(t, 1, bootstrapTo(server))
	waitFor(t, "the client to connect", func() bool { return client.connected(server.ID()) })
	ctx := context.Background()
	sc := NewSyncClient(client.Host)

	resp, from, err := sc.SyncRange(ctx, 2, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if from != server.ID() || len(resp.Blocks) != 3 || resp.HeadHeight != 19 {
		t.Fatalf("got %d blocks, head %d, from %s", len(resp.Blocks), resp.HeadHeight, from)
	}
	for i := range resp.Blocks {
		if !bytes.Equal(mustEncode(t, &resp.Blocks[i]), mustEncode(t, &srv.blocks[2+i])) {
			t.Fatalf("block %d differs", i)
		}
	}
	resp, _, err = sc.SyncRange(ctx, 0, 1000, nil)
	if err != nil || len(resp.Blocks) != params.MaxSyncBlocks {
		t.Fatalf("capped request: %d blocks, %v", len(resp.Blocks), err)
	}
	resp, _, err = sc.SyncRange(ctx, 100, 5, nil)
	if err != nil || len(resp.Blocks) != 0 {
		t.Fatalf("past the head: %v, %v", resp, err)
	}

	blk, err := sc.FetchBlock(ctx, srv.hash(5))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := blk.Header.Hash(); got != srv.hash(5) {
		t.Fatal("fetched the wrong block")
	}
	if _, err := sc.FetchBlock(ctx, types.Hash{0xee}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown block: %v", err)
	}
	srv.wrong.Store(true)
	blk, err = sc.FetchBlock(ctx, srv.hash(5))
	if blk != nil || !errors.Is(err, ErrBadResponse) {
		t.Fatalf("server sending the wrong block: %v, %v", blk, err)
	}
}

func TestSyncNoPeers(t *testing.T) {
	sc := NewSyncClient(newHost(t, 1, nil).Host)
	if _, _, err := sc.SyncRange(context.Background(), 0, 1, nil); !errors.Is(err, ErrNoPeers) {
		t.Fatalf("SyncRange: %v", err)
	}
	if _, err := sc.FetchBlock(context.Background(), types.Hash{}); !errors.Is(err, ErrNoPeers) {
		t.Fatalf("FetchBlock: %v", err)
	}
}

// TestSyncBadServer: a server that breaks the framing, the size limit or
// the strict encoding gives the client an error, never a panic or a
// half-read answer.
func TestSyncBadServer(t *testing.T) {
	srv := newChainServer(t, 3)
	good := mustEncode(t, &types.SyncResponse{Blocks: srv.blocks[:2], HeadHeight: 2})
	frame := func(body []byte) []byte {
		out := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
		return append(out, body...)
	}
	gap := mustEncode(t, &types.SyncResponse{Blocks: []types.Block{srv.blocks[0], srv.blocks[2]}, HeadHeight: 2})
	// want is the sentinel the error must wrap. A stream that ends inside
	// the 4-byte length is an I/O error (the server may simply have gone
	// away), not ErrBadResponse, so there the error wraps io's sentinel.
	cases := []struct {
		name string
		resp []byte
		want error
	}{
		{"over the size limit", binary.LittleEndian.AppendUint32(nil, params.MaxSyncResponseBytes+1), ErrBadResponse},
		{"bytes after the frame", append(frame(good), 0), ErrBadResponse},
		{"trailing byte inside the frame", frame(append(bytes.Clone(good), 0)), ErrBadResponse},
		{"truncated frame", frame(good)[:len(good)/2], ErrBadResponse},
		{"short length", []byte{1, 0}, io.ErrUnexpectedEOF},
		{"garbage body", frame([]byte{0xff, 0xff, 0xff, 0xff, 1}), ErrBadResponse},
		{"heights not consecutive", frame(gap), ErrBadResponse},
		{"empty", nil, io.EOF},
	}
	var mode atomic.Int32
	server := newHost(t, 2, nil)
	server.host.SetStreamHandler(protocol.ID(params.ProtocolSyncRange), func(s network.Stream) {
		_, _ = io.Copy(io.Discard, s)
		_, _ = s.Write(cases[mode.Load()].resp)
		_ = s.Close()
	})
	client := newHost(t, 1, bootstrapTo(server))
	waitFor(t, "the client to connect", func() bool { return client.connected(server.ID()) })
	sc := NewSyncClient(client.Host)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mode.Store(int32(i))
			resp, _, err := sc.SyncRange(context.Background(), 0, 2, nil)
			if err == nil || resp != nil {
				t.Fatalf("got %v, %v; want an error", resp, err)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
	mode.Store(1)
	if _, _, err := sc.SyncRange(context.Background(), 0, 2, nil); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("trailing bytes: %v, want ErrBadResponse", err)
	}
}

// TestCheckRange: the client checks only fields that need no hashing; a
// range whose heights are right but whose parent links are broken passes,
// for the caller checks links together with the certificates.
func TestCheckRange(t *testing.T) {
	srv := newChainServer(t, 5)
	bs := srv.blocks
	unlinked := slices.Clone(bs[1:4])
	unlinked[1].Header.ParentHash = types.Hash{0xee}
	cases := []struct {
		name   string
		blocks []types.Block
		head   uint64
		ok     bool
	}{
		{"empty", nil, 0, true},
		{"as asked", bs[1:4], 4, true},
		{"fewer than asked", bs[1:2], 4, true},
		{"parent links are the caller's", unlinked, 4, true},
		{"more than asked", bs[1:5], 4, false},
		{"wrong first height", bs[2:4], 4, false},
		{"gap", []types.Block{bs[1], bs[3]}, 4, false},
		{"repeated height", []types.Block{bs[1], bs[1]}, 4, false},
		{"head below the last block", bs[1:4], 2, false},
	}
	for _, c := range cases {
		err := checkRange(&types.SyncResponse{Blocks: c.blocks, HeadHeight: c.head}, 1, 3)
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok && !errors.Is(err, ErrBadResponse) {
			t.Errorf("%s: %v, want ErrBadResponse", c.name, err)
		}
	}
}

func TestReadFrame(t *testing.T) {
	body := []byte("hello")
	in := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	in = append(in, body...)
	got, err := readFrame(bytes.NewReader(in), 5)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("readFrame = %q, %v", got, err)
	}
	if _, err := readFrame(bytes.NewReader(in), 4); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("over limit: %v", err)
	}
	if _, err := readFrame(bytes.NewReader(append(in, 0)), 5); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("trailing: %v", err)
	}
	var buf bytes.Buffer
	if err := writeFrame(&buf, body); err != nil || !bytes.Equal(buf.Bytes(), in) {
		t.Fatalf("writeFrame = %x, %v", buf.Bytes(), err)
	}
}

// TestLateRangeJudgedAgainstWinner: an answer that arrives after another
// was verified and taken is not taken, but a block it holds at a height
// the winner proved must be the winner's: another chain there is a fault
// (a forger that is merely slower than the honest peer no longer goes
// unjudged); the same blocks, or heights the winner does not cover, are
// not judged.
func TestLateRangeJudgedAgainstWinner(t *testing.T) {
	chain := func(salt byte, from uint64, n int) *types.SyncResponse {
		r := &types.SyncResponse{HeadHeight: from + uint64(n) - 1}
		parent := types.Hash{salt}
		for i := range n {
			b := testBlock(addr(1), from+uint64(i), parent)
			r.Blocks = append(r.Blocks, b)
			parent, _ = b.Header.Hash()
		}
		return r
	}
	winner := chain(1, 5, 4)
	cases := []struct {
		name string
		late *types.SyncResponse
		want verdict
	}{
		{"same blocks", chain(1, 5, 4), verdictNone},
		{"same blocks, fewer", chain(1, 5, 2), verdictNone},
		{"another chain", chain(2, 5, 4), verdictFault},
		{"longer than the winner, same prefix", chain(1, 5, 6), verdictNone},
	}
	for _, c := range cases {
		body := mustEncode(t, c.late)
		_, v, err := decideRange(body, 5, 8, true, nil, winner)
		if v != c.want {
			t.Errorf("%s: verdict %v (%v), want %v", c.name, v, err, c.want)
		}
	}
	if _, v, _ := decideRange(mustEncode(t, chain(2, 5, 4)), 5, 8, true, nil, nil); v != verdictNone {
		t.Errorf("without a winner a late answer was judged: %v", v)
	}
}
