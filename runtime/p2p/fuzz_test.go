package p2p

import (
	"bytes"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

// FuzzEnvelopeValidation feeds arbitrary bytes to the gossip validator: it
// must never panic, and it may accept only bytes that are exactly the
// encoding of the envelope it accepted, on that envelope's own topic.
func FuzzEnvelopeValidation(f *testing.F) {
	val := cryptotest.Key(1)
	seeds := []struct {
		mt      types.MessageType
		payload []byte
	}{
		{types.MessageTypeProposal, mustEncode(f, testProposal(val))},
		{types.MessageTypeVote, mustEncode(f, testVote(val))},
		{types.MessageTypeTransaction, mustEncode(f, testTx(addr(9), 1))},
		{types.MessageTypeNewView, mustEncode(f, testNewView(val))},
	}
	for _, s := range seeds {
		f.Add(envelopeBytes(f, val, s.mt, s.payload), uint8(s.mt))
	}
	vs := newValidatorSet(addrs(1, 2, 3))

	f.Fuzz(func(t *testing.T, data []byte, topicType uint8) {
		topic, _ := TopicOf(types.MessageType(topicType))
		m, err := checkEnvelope(data, topic, testChainID, vs)
		if err != nil {
			if m != nil {
				t.Fatalf("error %v with a message", err)
			}
			return
		}
		if want, _ := TopicOf(m.Type); want != topic {
			t.Fatalf("accepted %s on topic %q", m.Type, topic)
		}
		if _, ok := vs[m.Sender]; validatorOnly(m.Type) && !ok {
			t.Fatalf("accepted %s from non-validator %s", m.Type, m.Sender)
		}
		var env types.Envelope
		if err := env.UnmarshalBorsh(data); err != nil {
			t.Fatalf("accepted bytes that do not decode: %v", err)
		}
		again, err := env.MarshalBorsh()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted envelope re-encodes differently (err %v)", err)
		}
		// checkEnvelope verifies the signature over this prefix of data.
		if sp, err := env.SigningPayload(); err != nil || !bytes.Equal(sp, data[:len(data)-crypto.SignatureLength]) {
			t.Fatalf("signing payload is not the encoding minus the signature (err %v)", err)
		}
		p, ok := m.Decoded.(interface{ MarshalBorsh() ([]byte, error) })
		if !ok {
			t.Fatalf("decoded payload is %T", m.Decoded)
		}
		if b, err := p.MarshalBorsh(); err != nil || !bytes.Equal(b, m.Payload) {
			t.Fatalf("accepted payload re-encodes differently (err %v)", err)
		}
	})
}
