package suite

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// testKey is the suite's well-known key i: the private key whose scalar is
// 0xC0F0_0000 + i. Anyone can sign with these keys; they hold value only on
// the chains the suite makes.
func testKey(i int) *crypto.PrivateKey {
	var b [32]byte
	binary.BigEndian.PutUint64(b[24:], 0xC0F0_0000+uint64(i))
	k, err := crypto.PrivateKeyFromBytes(b[:])
	if err != nil {
		panic(fmt.Sprintf("test key %d: %v", i, err)) // a small non-zero scalar is always valid
	}
	return k
}

// Fees the suite's transactions offer: a cap at MaxBaseFee, so they are
// includable whatever the base fee, and a tip the proposer receives.
const (
	feeCap = params.MaxBaseFee
	tipCap = 2
)

// transfer is an unsigned transfer with the suite's default fees.
func transfer(from types.Address, to types.Address, amount uint64, asset types.Asset, nonce uint64) types.Transaction {
	return types.Transaction{Type: types.TxTypeTransfer, From: from, To: to, Amount: amount, Asset: asset,
		Nonce: nonce, GasLimit: params.GasTransfer, GasTipCap: tipCap, GasFeeCap: feeCap, Data: types.Bytes{}}
}

// claim is an unsigned username claim with the suite's default fees.
func claim(from types.Address, name string, nonce uint64) types.Transaction {
	p := types.ClaimUsernamePayload{Username: name}
	data, err := p.MarshalBorsh()
	if err != nil {
		panic(fmt.Sprintf("claim %q: %v", name, err))
	}
	tx := types.Transaction{Type: types.TxTypeClaimUsername, From: from, Nonce: nonce,
		GasTipCap: tipCap, GasFeeCap: feeCap, Data: data}
	tx.GasLimit = intrinsicGas(&tx)
	return tx
}

// nsCreate is an unsigned NamespaceCreate with the suite's default fees.
func nsCreate(from types.Address, name string, tier types.NamespaceTier, nodes uint8, nonce uint64) types.Transaction {
	p := types.NamespaceCreatePayload{Name: name, Tier: tier, Nodes: nodes}
	data, err := p.MarshalBorsh()
	if err != nil {
		panic(fmt.Sprintf("namespace create %q: %v", name, err))
	}
	tx := types.Transaction{Type: types.TxTypeNamespaceCreate, From: from, Nonce: nonce,
		GasTipCap: tipCap, GasFeeCap: feeCap, Data: data}
	tx.GasLimit = intrinsicGas(&tx)
	return tx
}

// nsDelete is an unsigned NamespaceDelete with the suite's default fees.
func nsDelete(from types.Address, name string, nonce uint64) types.Transaction {
	p := types.NamespaceDeletePayload{Name: name}
	data, err := p.MarshalBorsh()
	if err != nil {
		panic(fmt.Sprintf("namespace delete %q: %v", name, err))
	}
	tx := types.Transaction{Type: types.TxTypeNamespaceDelete, From: from, Nonce: nonce,
		GasTipCap: tipCap, GasFeeCap: feeCap, Data: data}
	tx.GasLimit = intrinsicGas(&tx)
	return tx
}

// signed is a signed transaction, its encoding and its hash.
type signed struct {
	tx   types.Transaction
	raw  []byte
	hash types.Hash
}

// String names a transaction in messages.
func (s signed) String() string {
	return fmt.Sprintf("%s %s nonce %d", hashHex(s.hash), s.tx.Type, s.tx.Nonce)
}

// sign signs tx with k under chainID (DECISIONS.md D3: domain Transaction,
// the chain id, the encoding of every field before the signature).
func sign(k *crypto.PrivateKey, chainID uint64, tx types.Transaction) signed {
	payload, err := tx.SigningPayload()
	if err != nil {
		panic(fmt.Sprintf("signing payload: %v", err))
	}
	sig, err := crypto.SignDomain(k, crypto.DomainTransaction, chainID, payload)
	if err != nil {
		panic(fmt.Sprintf("sign: %v", err))
	}
	tx.Signature = sig
	raw, err := tx.MarshalBorsh()
	if err != nil {
		panic(fmt.Sprintf("encode: %v", err))
	}
	h, err := tx.Hash()
	if err != nil {
		panic(fmt.Sprintf("hash: %v", err))
	}
	return signed{tx: tx, raw: raw, hash: h}
}

// sendBody is the body of POST /v1/transactions/send for raw.
func sendBody(raw []byte) []byte {
	b, _ := json.Marshal(api.SendRequest{Transaction: "0x" + hex.EncodeToString(raw)})
	return b
}

func sendRequest(raw []byte) request {
	return request{op: "sendTransaction", method: http.MethodPost, target: "/v1/transactions/send", body: sendBody(raw)}
}

// submit sends s and expects 202 with its hash.
func (cl *client) submit(c *C, s signed) bool {
	r, err := cl.send(c.ctx, sendRequest(s.raw))
	switch {
	case r == nil:
		c.Fatalf("%s: submit: %v", cl.name, err)
	case err != nil:
		c.Errorf("%v", err)
		return false
	case r.status != http.StatusAccepted:
		c.Errorf("submit %s (%s nonce %d): want 202, got %s", hashHex(s.hash), s.tx.Type, s.tx.Nonce, r)
		return false
	}
	var out api.SendResponse
	if err := json.Unmarshal(r.body, &out); err != nil || string(out.Hash) != hashHex(s.hash) {
		c.Errorf("submit: the answer names hash %s, the transaction's is %s (SHA-256 of its encoding, DECISIONS.md D5)", out.Hash, hashHex(s.hash))
		return false
	}
	if cl.cov != nil {
		cl.cov.op("sendTransaction", true)
	}
	return true
}

// refused expects s to be refused at admission with status and code.
func (cl *client) refused(c *C, s signed, status int, code, why string) bool {
	r, err := cl.send(c.ctx, sendRequest(s.raw))
	switch {
	case r == nil:
		c.Fatalf("%s: submit: %v", cl.name, err)
	case err != nil:
		c.Errorf("%v", err)
		return false
	case r.status != status || r.code != code:
		c.Errorf("%s: want %d %s, got %s", why, status, code, r.got())
		return false
	}
	if cl.cov != nil {
		cl.cov.op("sendTransaction", false)
		cl.cov.code(code)
	}
	return true
}

// txStatus reads GET /v1/transactions/{hash}.
func (cl *client) txStatus(c *C, h types.Hash) (*api.TransactionStatus, bool) {
	var st api.TransactionStatus
	if !cl.get(c, "getTransaction", "/v1/transactions/"+hashHex(h), &st) {
		return nil, false
	}
	if string(st.Hash) != hashHex(h) {
		c.Errorf("GET /v1/transactions/%s answers for hash %s", hashHex(h), st.Hash)
	}
	return &st, true
}

// waitFinal polls a transaction until it is in a final block: status
// finalized, or rejected at a height at or below the finalized height.
func (cl *client) waitFinal(c *C, h types.Hash, timeout time.Duration) *api.TransactionStatus {
	deadline := time.Now().Add(timeout)
	last := "never read"
	for {
		r, err := cl.send(c.ctx, request{op: "getTransaction", method: http.MethodGet, target: "/v1/transactions/" + hashHex(h)})
		if err != nil && r == nil {
			c.Fatalf("%s: following %s: %v", cl.name, hashHex(h), err)
		}
		if err != nil {
			c.Fatalf("%v", err)
		}
		if r.status == http.StatusOK {
			var st api.TransactionStatus
			if err := json.Unmarshal(r.body, &st); err != nil {
				c.Fatalf("%s: %v", r, err)
			}
			last = string(st.Status)
			switch st.Status {
			case api.Finalized:
				if cl.cov != nil {
					cl.cov.op("getTransaction", true)
				}
				return &st
			case api.Rejected:
				if st.Height != nil && cl.finalizedAt(c, *st.Height) {
					if cl.cov != nil {
						cl.cov.op("getTransaction", true)
					}
					return &st
				}
			}
		} else {
			last = r.String()
		}
		if time.Now().After(deadline) {
			c.Fatalf("%s: transaction %s not in a final block within %v (last: %s)", cl.name, hashHex(h), timeout, last)
		}
		sleep(c, 100*time.Millisecond)
	}
}

// finalizedAt reports whether the chain status's finalized height is at
// least h (a decimal string).
func (cl *client) finalizedAt(c *C, h string) bool {
	var st api.ChainStatus
	if !cl.get(c, "getChainStatus", "/v1/chain/status", &st) {
		return false
	}
	return atou(st.FinalizedHeight) >= atou(h)
}

func sleep(c *C, d time.Duration) {
	select {
	case <-c.ctx.Done():
		c.Setupf("interrupted")
	case <-time.After(d):
	}
}
