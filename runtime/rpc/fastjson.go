package rpc

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
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
	b = append(b, `{"account":`...)
	// Generated from the spec, so a field added there is written here too.
	b = api.AppendAccountJSON(b, &resp.acc, resp)
	b = append(b, `,"height":"`...)
	b = strconv.AppendUint(b, resp.height, 10)
	b = append(b, "\"}\n"...)
	return b
}

// FormatAddress is the api.AddressFormatter of the account's own address:
// its display form is already known.
func (resp *accountResponse) FormatAddress(a types.Address) string {
	if a == resp.acc.Address {
		return resp.address
	}
	return crypto.FormatAddress(a)
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
