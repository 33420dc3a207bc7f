package rpc

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/borsh"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// accountResponse is GET /v1/accounts/{id}'s 200 answer without a proof,
// encoded by hand: the bytes are exactly what api.GetAccount200JSONResponse
// gives through encoding/json (same key order, HTML escaping and trailing
// newline), without reflection and with a pooled buffer.
type accountResponse struct {
	acc     types.Account
	address string // the account's display address
	height  uint64
}

var jsonContentType = []string{"application/json"}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (resp *accountResponse) VisitGetAccountResponse(w http.ResponseWriter) error {
	bp := bufPool.Get().(*[]byte)
	b := resp.appendJSON((*bp)[:0])
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	*bp = b
	bufPool.Put(bp)
	return err
}

func (resp *accountResponse) appendJSON(b []byte) []byte {
	a := &resp.acc
	b = append(b, `{"account":{"address":`...)
	b = appendJSONString(b, resp.address)
	b = append(b, `,"btc_balance":"`...)
	b = strconv.AppendUint(b, a.BTCBalance, 10)
	b = append(b, `","code_hash":`...)
	b = appendHashJSON(b, a.CodeHash)
	b = append(b, `,"commitment_root":`...)
	b = appendHashJSON(b, a.CommitmentRoot)
	b = append(b, `,"nonce":"`...)
	b = strconv.AppendUint(b, a.Nonce, 10)
	b = append(b, `","nullifier_root":`...)
	b = appendHashJSON(b, a.NullifierRoot)
	b = append(b, `,"orama_balance":"`...)
	b = strconv.AppendUint(b, a.OramaBalance, 10)
	b = append(b, `","storage_root":`...)
	b = appendHashJSON(b, a.StorageRoot)
	b = append(b, `,"username":`...)
	b = appendJSONString(b, a.Username)
	b = append(b, `},"height":"`...)
	b = strconv.AppendUint(b, resp.height, 10)
	b = append(b, "\"}\n"...)
	return b
}

// appendHashJSON appends h as a JSON string "0x" + lowercase hex.
func appendHashJSON(b []byte, h [32]byte) []byte {
	b = append(b, '"')
	b = borsh.AppendHex(b, h[:])
	return append(b, '"')
}

// appendJSONString appends s as encoding/json encodes it. Strings of plain
// printable ASCII, without the characters it escapes, are copied as they
// are; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, err := json.Marshal(s)
			if err != nil { // cannot happen for a string
				panic(err)
			}
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// displayAddress returns crypto.FormatAddress(a). id is the account id the
// request named a by: when it is "orama:" + mixed-case hex, ParseAddress
// has verified its EIP-55 checksum, so it already is the display form and
// the Keccak hash need not be computed again.
func displayAddress(a types.Address, id string, parsed types.Address) string {
	if a == parsed && len(id) == len(crypto.AddressPrefix)+2*len(a) && id[:len(crypto.AddressPrefix)] == crypto.AddressPrefix {
		var lower, upper bool
		for i := len(crypto.AddressPrefix); i < len(id); i++ {
			switch c := id[i]; {
			case 'a' <= c && c <= 'f':
				lower = true
			case 'A' <= c && c <= 'F':
				upper = true
			}
		}
		if lower && upper {
			return id
		}
	}
	return crypto.FormatAddress(a)
}
