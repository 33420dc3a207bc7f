// Command apibench prepares the issue-4 REST load test (tools/apibench.sh
// runs it): it adds N deterministic accounts to a genesis written by
// `orama init`, and writes the inputs wrk replays against a real node:
// the account addresses for GET /v1/accounts/{addr} and distinct pre-signed
// transfers (one per sender, nonce 0) for POST /v1/transactions/send.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

func key(i int) *crypto.PrivateKey {
	for ctr := uint32(0); ; ctr++ {
		seed := sha256.Sum256(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64([]byte("orama/apibench/"), uint64(i)), ctr))
		if k, err := crypto.PrivateKeyFromBytes(seed[:]); err == nil {
			return k
		}
	}
}

func main() {
	dir := flag.String("dir", "", "data directory holding genesis.json (from orama init)")
	accounts := flag.Int("accounts", 100_000, "accounts to add to the genesis")
	txs := flag.Int("txs", 80_000, "pre-signed transfers to write (at most -accounts)")
	flag.Parse()
	if *dir == "" || *txs > *accounts {
		fmt.Fprintln(os.Stderr, "usage: apibench -dir DATA_DIR [-accounts N] [-txs M<=N]")
		os.Exit(2)
	}
	if err := run(*dir, *accounts, *txs); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

func run(dir string, n, m int) error {
	gp := filepath.Join(dir, "genesis.json")
	raw, err := os.ReadFile(gp)
	if err != nil {
		return err
	}
	var g types.Genesis
	if err := json.Unmarshal(raw, &g); err != nil {
		return err
	}
	keys := make([]*crypto.PrivateKey, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				keys[i] = key(i)
			}
		})
	}
	wg.Wait()
	for _, k := range keys {
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: k.Address(), OramaBalance: 1_000 * params.RaysPerOrama, BTCBalance: 1000})
	}
	slices.SortFunc(g.Allocations, func(a, b types.GenesisAllocation) int { return bytes.Compare(a.Address[:], b.Address[:]) })
	out, err := json.MarshalIndent(&g, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(gp, append(out, '\n'), 0o644); err != nil {
		return err
	}

	var addrs bytes.Buffer
	for _, k := range keys {
		a := k.Address()
		fmt.Fprintf(&addrs, "0x%x\n", a[:])
	}
	if err := os.WriteFile(filepath.Join(dir, "bench-addresses.txt"), addrs.Bytes(), 0o644); err != nil {
		return err
	}
	lines := make([]string, m)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := w; i < m; i += workers {
				tx := types.Transaction{
					Type: types.TxTypeTransfer, From: keys[i].Address(), To: keys[(i+1)%n].Address(),
					Amount: 1, Asset: types.AssetOrama, Nonce: 0,
					GasLimit: params.GasTransfer, GasTipCap: 1, GasFeeCap: params.MaxBaseFee,
				}
				p, _ := tx.SigningPayload()
				sig, err := crypto.SignDomain(keys[i], crypto.DomainTransaction, g.ChainID, p)
				if err != nil {
					panic(err)
				}
				tx.Signature = sig
				b, _ := tx.MarshalBorsh()
				lines[i] = "0x" + hex.EncodeToString(b)
			}
		})
	}
	wg.Wait()
	var txb bytes.Buffer
	for _, l := range lines {
		txb.WriteString(l)
		txb.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "bench-txs.txt"), txb.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("genesis with %d accounts; %d signed transfers\n", len(g.Allocations), m)
	return nil
}
