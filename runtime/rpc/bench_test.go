package rpc

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
)

// BenchmarkGetAccount serves GET /v1/accounts/{id} in process (no network),
// through every layer: metrics, validation, routing, the handler.
//
//	go test -run '^$' -bench GetAccount -benchmem ./runtime/rpc/
func BenchmarkGetAccount(b *testing.B) {
	n, keys := newTestNode(b, node.Config{})
	for i := range uint64(10) {
		if _, err := n.Mempool().AddRaw(mustEncode(b, transfer(keys[aliceKey], i, keys[bobKey].Address(), 1))); err != nil {
			b.Fatal(err)
		}
		produce(b, n)
	}
	h, err := New(n, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	addr := crypto.FormatAddress(keys[aliceKey].Address())
	for _, bc := range []struct{ name, path string }{
		{"address", "/v1/accounts/" + addr},
		{"username", "/v1/accounts/@alice"},
		{"proof", "/v1/accounts/" + addr + "?proof=true"},
		{"proof_at_height", "/v1/accounts/" + addr + "?proof=true&height=5"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bc.path, nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
