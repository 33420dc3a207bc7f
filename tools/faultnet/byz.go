package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/p2p"
)

// byzMain is `faultnet byz`: a second process holding one validator's key
// (its own node keeps running honestly) with a libp2p identity of its own,
// publishing junk every --interval to the peers it dials: votes and
// NewViews a million views ahead, a vote for a block nobody proposed in the
// current view (a double vote), a vote with a bad inner signature, and
// proposals in coming views on forged QCs (the wrong leader, mostly). It
// reads the current view from --api. It prints one JSON line of counts when
// --duration ends or on SIGTERM.
func byzMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("byz", flag.ContinueOnError)
	keyFile := fs.String("key", "", "validator keystore (empty password)")
	boot := fs.String("bootstrap", "", "comma-separated multiaddrs to send the junk to")
	api := fs.String("api", "", "REST API to read the current view and chain id from")
	dur := fs.Duration("duration", 60*time.Second, "how long to send")
	interval := fs.Duration("interval", 50*time.Millisecond, "one round of junk every interval")
	vals := fs.String("validators", "", "comma-separated validator addresses (0x hex), so that Publish sends consensus messages")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	var validators []types.Address
	for _, v := range strings.Split(*vals, ",") {
		a, err := crypto.ParseAddress(v)
		if err != nil {
			return fmt.Errorf("--validators: %w", err)
		}
		validators = append(validators, types.Address(a))
	}
	probe := &node{api: *api}
	chainID, err := chainIDOf(probe)
	if err != nil {
		return err
	}
	id, err := crypto.GenerateKey()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	h, err := p2p.New(ctx, p2p.Config{
		Key: key, Identity: id, ChainID: chainID,
		Listen:     []string{"/ip4/127.0.0.1/tcp/0"},
		Bootstrap:  strings.Split(*boot, ","),
		Validators: validators,
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	defer h.Close()

	var view atomic.Uint64
	go func() {
		for ctx.Err() == nil {
			if s, err := probe.status(); err == nil {
				view.Store(s.View)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	signer := consensus.CryptoSigner{Key: key, ChainID: chainID}
	me := signer.Address()
	var sent, failed uint64
	publish := func(mt types.MessageType, v interface{ MarshalBorsh() ([]byte, error) }) {
		b, err := v.MarshalBorsh()
		if err == nil {
			err = h.Publish(ctx, mt, b)
		}
		if err != nil {
			failed++
			return
		}
		sent++
	}
	vote := func(view, height uint64, bh types.Hash, badSig bool) *types.Vote {
		v := &types.Vote{View: view, Height: height, BlockHash: bh, Voter: me}
		p, _ := v.SigningPayload()
		v.Signature, _ = signer.Sign(types.SigningDomainVote, p)
		if badSig {
			v.Signature[5] ^= 1
		}
		return v
	}
	end := time.After(*dur)
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for i := uint64(0); ; i++ {
		select {
		case <-ctx.Done():
			return byzReport(stdout, sent, failed)
		case <-end:
			return byzReport(stdout, sent, failed)
		case <-tick.C:
		}
		cur := view.Load()
		if cur == 0 {
			continue
		}
		var salt types.Hash
		binary.BigEndian.PutUint64(salt[:], i)
		salt[31] = 0xEE
		far := cur + 1_000_000 + i
		publish(types.MessageTypeVote, vote(far, far, salt, false))
		t := types.Timeout{View: far, Sender: me}
		p, _ := t.SigningPayload()
		t.Signature, _ = signer.Sign(types.SigningDomainTimeout, p)
		publish(types.MessageTypeNewView, &types.NewView{Timeout: t, Nonce: i})
		publish(types.MessageTypeVote, vote(cur, 0, salt, false))
		publish(types.MessageTypeVote, vote(cur, 0, salt, true))
		pv := cur + 1 + i%7
		hdr := types.BlockHeader{Height: 1 << 40, View: pv, Proposer: me,
			QC: types.QuorumCert{View: pv - 1, Height: 1<<40 - 1, BlockHash: salt}}
		hdr.ParentHash = hdr.QC.BlockHash
		publish(types.MessageTypeProposal, &types.Proposal{Block: types.Block{Header: hdr}})
	}
}

func byzReport(w io.Writer, sent, failed uint64) error {
	return json.NewEncoder(w).Encode(map[string]uint64{"sent": sent, "failed": failed})
}

// chainIDOf reads the chain id from n's status.
func chainIDOf(n *node) (uint64, error) {
	var raw struct {
		ChainID uint64 `json:"chain_id,string"`
	}
	for try := 0; ; try++ {
		resp, err := httpc.Get(n.api + "/v1/chain/status")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&raw)
			resp.Body.Close()
			if err == nil {
				return raw.ChainID, nil
			}
		}
		if try == 50 {
			return 0, fmt.Errorf("chain id from %s: %w", n.api, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// syncJunkMain is `faultnet syncjunk`: a non-validator peer that serves
// block sync badly, in one of three ways: "garbage" answers every range
// with blocks of a chain nobody certified and a forged proof, "empty"
// claims a head far ahead and sends no blocks, "silent" never answers
// (the caller's deadline ends the request). It listens on --listen and
// dials --bootstrap, then runs until SIGTERM.
func syncJunkMain(args []string) error {
	fs := flag.NewFlagSet("syncjunk", flag.ContinueOnError)
	mode := fs.String("mode", "garbage", "garbage, empty or silent")
	listen := fs.String("listen", "/ip4/127.0.0.1/tcp/0", "libp2p listen multiaddr")
	boot := fs.String("bootstrap", "", "comma-separated multiaddrs")
	chainID := fs.Uint64("chain-id", 0, "chain id")
	keyHex := fs.Uint64("key-scalar", 0, "private key scalar (its peer id is known in advance)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var srv p2p.Server
	switch *mode {
	case "garbage", "empty", "silent":
		srv = junkServer{mode: *mode}
	default:
		return fmt.Errorf("--mode %q: want garbage, empty or silent", *mode)
	}
	key, err := scalarKey(*keyHex)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var bootstrap []string
	if *boot != "" {
		bootstrap = strings.Split(*boot, ",")
	}
	h, err := p2p.New(ctx, p2p.Config{
		Key: key, ChainID: *chainID, Listen: []string{*listen}, Bootstrap: bootstrap,
		Server: srv, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return h.Close()
}

// scalarKey is the private key whose scalar is s (a harness-only key).
func scalarKey(s uint64) (*crypto.PrivateKey, error) {
	if s == 0 {
		return nil, errors.New("key scalar 0")
	}
	var b [32]byte
	binary.BigEndian.PutUint64(b[24:], s)
	return crypto.PrivateKeyFromBytes(b[:])
}

// junkServer answers sync requests badly (see syncJunkMain).
type junkServer struct{ mode string }

func (j junkServer) SyncRange(from uint64, max int) (*types.SyncResponse, error) {
	switch j.mode {
	case "silent":
		time.Sleep(time.Minute)
		return nil, errors.New("silent")
	case "empty":
		return &types.SyncResponse{HeadHeight: from + 1_000_000}, nil
	}
	n := min(max, 8)
	resp := &types.SyncResponse{HeadHeight: from + uint64(n) + 1000}
	parent := types.Hash{0xAB}
	for i := range n {
		h := from + uint64(i)
		hdr := types.BlockHeader{Height: h, View: h, ParentHash: parent,
			QC: types.QuorumCert{View: h - 1, Height: h - 1, BlockHash: parent}}
		resp.Blocks = append(resp.Blocks, types.Block{Header: hdr})
		parent, _ = hdr.Hash()
	}
	last := resp.Blocks[n-1].Header
	resp.Proof = &types.CommitProof{Child: last, Grandchild: last,
		QC: types.QuorumCert{View: last.View + 2, Height: last.Height + 2, BlockHash: parent}}
	return resp, nil
}

func (j junkServer) BlockByHash(types.Hash) (*types.Block, bool) {
	if j.mode == "silent" {
		time.Sleep(time.Minute)
	}
	return nil, false
}
