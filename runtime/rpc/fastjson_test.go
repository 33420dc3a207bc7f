package rpc

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// TestAccountResponseJSON: the hand-written encoding is byte for byte what
// the generated response gives through encoding/json.
func TestAccountResponseJSON(t *testing.T) {
	for i, name := range []string{"", "alice", "a<b>&c", "q\"uo\\te", "ünï", "\x01ctl", "\u2028x"} {
		acc := types.Account{Username: name, Nonce: uint64(i) * 1e17, OramaBalance: ^uint64(0), BTCBalance: uint64(i)}
		acc.Address[0], acc.Address[19] = byte(i*37), 0xab
		acc.CodeHash[0], acc.StorageRoot[31], acc.CommitmentRoot[5], acc.NullifierRoot[9] = 0xff, 1, byte(i), 0x7f
		want := bytes.Buffer{}
		if err := json.NewEncoder(&want).Encode(api.GetAccount200JSONResponse{Account: api.FromAccount(&acc), Height: u64(uint64(i))}); err != nil {
			t.Fatal(err)
		}
		addr := crypto.FormatAddress(acc.Address)
		for _, id := range []string{addr, "@" + name, "0x" + addr[len("orama:"):]} {
			r := &accountResponse{acc: acc, address: displayAddress(acc.Address, id, acc.Address), height: uint64(i)}
			if got := r.appendJSON(nil); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%q:\n got %s\nwant %s", id, got, want.Bytes())
			}
		}
	}
}
