package p2p

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

func TestCheckEnvelope(t *testing.T) {
	val := cryptotest.Key(1)
	other := cryptotest.Key(9) // not a validator
	vs := newValidatorSet(addrs(1, 2, 3))
	vote := mustEncode(t, testVote(val))

	good := map[types.MessageType][]byte{
		types.MessageTypeProposal:    mustEncode(t, testProposal(val)),
		types.MessageTypeVote:        vote,
		types.MessageTypeTransaction: mustEncode(t, testTx(other.Address(), 1)),
		types.MessageTypeNewView:     mustEncode(t, testNewView(val)),
	}
	for mt, payload := range good {
		signer := val
		if mt == types.MessageTypeTransaction {
			signer = other // anyone may gossip transactions
		}
		data := envelopeBytes(t, signer, mt, payload)
		topic, _ := TopicOf(mt)
		m, err := checkEnvelope(data, topic, testChainID, vs)
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		if m.Type != mt || m.Sender != types.Address(signer.Address()) || !bytes.Equal(m.Payload, payload) {
			t.Fatalf("%s: got %+v", mt, m)
		}
		if got := mustEncode(t, m.Decoded.(interface{ MarshalBorsh() ([]byte, error) })); !bytes.Equal(got, payload) {
			t.Fatalf("%s: decoded payload re-encodes differently", mt)
		}
	}

	tampered := envelopeBytes(t, val, types.MessageTypeVote, vote)
	tampered[len(tampered)-2] ^= 1
	otherChain, err := signEnvelope(val, testChainID+1, types.MessageTypeVote, vote)
	if err != nil {
		t.Fatal(err)
	}
	badVoter := testVote(val)
	badVoter.Voter = addr(2)
	badProposer := testProposal(val)
	badProposer.Block.Header.Proposer = addr(2)
	badTimeout := testNewView(val)
	badTimeout.Timeout.Sender = addr(2)
	valid := envelopeBytes(t, val, types.MessageTypeVote, vote)

	cases := []struct {
		name  string
		data  []byte
		topic string
		want  error
	}{
		{"empty", nil, params.TopicVotes, ErrBadEnvelope},
		{"trailing byte", append(bytes.Clone(valid), 0), params.TopicVotes, ErrBadEnvelope},
		{"truncated", valid[:len(valid)-1], params.TopicVotes, ErrBadEnvelope},
		{"unknown type", append([]byte{9}, valid[1:]...), params.TopicVotes, ErrBadEnvelope},
		{"wrong topic", valid, params.TopicBlocks, ErrWrongTopic},
		{"unknown topic", valid, "/other", ErrWrongTopic},
		{"non-validator vote", envelopeBytes(t, other, types.MessageTypeVote, mustEncode(t, testVote(other))), params.TopicVotes, ErrUnknownSender},
		{"malformed payload", envelopeBytes(t, val, types.MessageTypeVote, []byte{1, 2, 3}), params.TopicVotes, ErrBadPayload},
		{"payload trailing byte", envelopeBytes(t, val, types.MessageTypeVote, append(bytes.Clone(vote), 0)), params.TopicVotes, ErrBadPayload},
		{"payload of another type", envelopeBytes(t, val, types.MessageTypeVote, good[types.MessageTypeNewView]), params.TopicVotes, ErrBadPayload},
		{"voter is not sender", envelopeBytes(t, val, types.MessageTypeVote, mustEncode(t, badVoter)), params.TopicVotes, ErrBadPayload},
		{"proposer is not sender", envelopeBytes(t, val, types.MessageTypeProposal, mustEncode(t, badProposer)), params.TopicBlocks, ErrBadPayload},
		{"timeout sender is not sender", envelopeBytes(t, val, types.MessageTypeNewView, mustEncode(t, badTimeout)), params.TopicNewView, ErrBadPayload},
		{"tampered signature", tampered, params.TopicVotes, ErrBadSignature},
		{"other chain", otherChain, params.TopicVotes, ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := checkEnvelope(c.data, c.topic, testChainID, vs)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, %v; want %v", m, err, c.want)
			}
		})
	}
}

func TestPeerIDFromKey(t *testing.T) {
	h := newHost(t, 4, nil)
	id, err := PeerIDFromKey(cryptotest.Key(4))
	if err != nil {
		t.Fatal(err)
	}
	if id != h.ID() {
		t.Fatalf("PeerIDFromKey = %s, host id %s", id, h.ID())
	}
	if _, err := PeerIDFromKey(nil); err == nil {
		t.Fatal("PeerIDFromKey(nil) succeeded")
	}
}

func TestPenaltiesDecay(t *testing.T) {
	now := time.Unix(1000, 0)
	ps := newPenalties(func() time.Time { return now })
	id := peer.ID("p")
	if got := ps.add(id); got != -penaltyStep {
		t.Fatalf("after one penalty: %v", got)
	}
	now = now.Add(penaltyHalfLife)
	if got := ps.score(id); got != -penaltyStep/2 {
		t.Fatalf("after a half-life: %v, want %v", got, -penaltyStep/2)
	}
	for range 1000 {
		ps.add(id)
	}
	if got := ps.score(id); got != penaltyFloor {
		t.Fatalf("floor: %v", got)
	}
	now = now.Add(100 * penaltyHalfLife)
	if got := ps.score(id); got != 0 || len(ps.peers) != 0 {
		t.Fatalf("after decay: %v, %d entries", got, len(ps.peers))
	}
}
