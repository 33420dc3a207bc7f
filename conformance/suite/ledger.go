package suite

import (
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// delta is how one block changes one account.
type delta struct {
	orama, btc int64 // signed: debits and credits, far below 2^63 here
	nonce      uint64
	username   string
}

// checkLedger walks every final block the node under test serves, from 1
// to its finalized height, and checks each against its parent as the spec
// defines a valid block: header links and fields, the QC for the parent,
// the base fee, the transactions and receipts roots, gas, fees by
// arithmetic, and every account the block touched (proven against the
// block's state root) changed exactly as its transactions and the block
// reward say.
func (l *live) checkLedger(c *C) {
	st, err := l.nut.status(c.ctx)
	if err != nil {
		c.Fatalf("%v", err)
	}
	top := atou(st.FinalizedHeight)
	if top < 1 {
		c.Fatalf("no final block above genesis")
	}
	verifier := consensus.CryptoVerifier{ChainID: liveChainID}
	var genesisMinted uint64
	for _, a := range l.g.Allocations {
		genesisMinted += a.OramaBalance
	}
	cache := provenCache{}
	_, prev, prevHash, ok := l.block(c, l.nut, "0")
	if !ok {
		c.Fatalf("no block 0")
	}
	for h := uint64(1); h <= top; h++ {
		b, hd, hh, ok := l.block(c, l.nut, u64s(h))
		if !ok {
			c.Fatalf("block %d not served", h)
		}
		l.checkHeader(c, &hd, &prev, prevHash, verifier)

		// Body: hashes, roots, receipts, gas.
		var hashes, receiptHashes []types.Hash
		var gasUsed uint64
		var txs []types.Transaction
		var receipts []types.Receipt
		for i, at := range b.Transactions {
			tx, th, err := txFromAPI(at)
			if err != nil {
				c.Errorf("block %d transaction %d: %v", h, i, err)
				continue
			}
			hashes = append(hashes, th)
			st, ok := l.nut.txStatus(c, th)
			if !ok || st.Receipt == nil || st.Height == nil || st.Index == nil || *st.Height != u64s(h) || int(*st.Index) != i {
				c.Errorf("block %d transaction %d (%s): GET /v1/transactions shows %s", h, i, hashHex(th), jsonOf(st))
				continue
			}
			rc, err := receiptFromAPI(*st.Receipt)
			if err != nil {
				c.Errorf("block %d receipt %d: %v", h, i, err)
				continue
			}
			gas, burned, tip := fees(&tx, hd.BaseFee)
			if rc.TxHash != th || rc.GasUsed != gas || rc.FeeBurned != burned || rc.FeeTip != tip {
				c.Errorf("block %d receipt %d: %s; the base fee %d gives gas %d, burned %d, tip %d (%s)",
					h, i, jsonOf(st.Receipt), hd.BaseFee, gas, burned, tip, secFeeNonceType)
			}
			rh, err := rc.Hash()
			if err != nil {
				c.Errorf("block %d receipt %d: %v", h, i, err)
				continue
			}
			receiptHashes = append(receiptHashes, rh)
			gasUsed += rc.GasUsed
			txs = append(txs, tx)
			receipts = append(receipts, rc)
		}
		if got := merkleRoot(hashes); got != hd.TransactionsRoot {
			c.Errorf("block %d: transactions_root %s; the Merkle root of its %d transactions is %s", h, hashHex(hd.TransactionsRoot), len(hashes), hashHex(got))
		}
		if len(receiptHashes) == len(b.Transactions) {
			if got := merkleRoot(receiptHashes); got != hd.ReceiptsRoot {
				c.Errorf("block %d: receipts_root %s; the Merkle root of its receipts is %s", h, hashHex(hd.ReceiptsRoot), hashHex(got))
			}
			if gasUsed != hd.GasUsed {
				c.Errorf("block %d: gas_used %d; its receipts sum to %d", h, hd.GasUsed, gasUsed)
			}
		}

		// State: every account the block touched, and the reward.
		ds := map[types.Address]*delta{}
		d := func(a types.Address) *delta {
			if ds[a] == nil {
				ds[a] = &delta{}
			}
			return ds[a]
		}
		var tips uint64
		for i := range txs {
			tx, rc := &txs[i], &receipts[i]
			s := d(tx.From)
			s.orama -= int64(rc.FeeBurned + rc.FeeTip)
			s.nonce++
			tips += rc.FeeTip
			if rc.Status != types.TxStatusSuccess {
				continue
			}
			switch tx.Type {
			case types.TxTypeTransfer:
				to := d(tx.To)
				if tx.Asset == types.AssetOrama {
					s.orama -= int64(tx.Amount)
					to.orama += int64(tx.Amount)
				} else {
					s.btc -= int64(min(tx.Amount, 1<<62))
					to.btc += int64(min(tx.Amount, 1<<62))
				}
			case types.TxTypeClaimUsername:
				var p types.ClaimUsernamePayload
				if err := p.UnmarshalBorsh(tx.Data); err == nil {
					s.username = p.Username
				}
			}
		}
		// The supply before block h: the live chain is far below the first
		// halving and both caps, so every earlier block minted the full
		// reward and gave the curve its 20%.
		minted := genesisMinted + (h-1)*params.BlockRewardRays
		curveReceived := (h - 1) * (params.BlockRewardRays * params.CurveRewardPercent / 100)
		prop, curve := blockReward(h, minted, curveReceived)
		d(hd.Proposer).orama += int64(prop + tips)
		d(curveAddress()).orama += int64(curve)
		for addr, want := range ds {
			l.checkDelta(c, cache, addr, h, hh, prevHash, want)
		}
		prev, prevHash = hd, hh
	}
}

// checkHeader checks hd against its parent (spec/state.md "Block
// validity", header and consensus fields).
func (l *live) checkHeader(c *C, hd, parent *types.BlockHeader, parentHash types.Hash, v consensus.Verifier) {
	h := hd.Height
	switch {
	case hd.Height != parent.Height+1:
		c.Errorf("block at height %d follows height %d", hd.Height, parent.Height)
	case hd.ParentHash != parentHash:
		c.Errorf("block %d: parent_hash %s, block %d is %s", h, hashHex(hd.ParentHash), parent.Height, hashHex(parentHash))
	case hd.Epoch != h/params.EpochLength:
		c.Errorf("block %d: epoch %d, want %d", h, hd.Epoch, h/params.EpochLength)
	case hd.BaseFee != nextBaseFee(parent.BaseFee, parent.GasUsed):
		c.Errorf("block %d: base_fee %d; NextBaseFee(%d, %d) is %d (%s)", h, hd.BaseFee, parent.BaseFee, parent.GasUsed,
			nextBaseFee(parent.BaseFee, parent.GasUsed), secBaseFee)
	case hd.Timestamp < parent.Timestamp:
		c.Errorf("block %d: timestamp %d below its parent's %d", h, hd.Timestamp, parent.Timestamp)
	case hd.View <= hd.QC.View || hd.QC.Height+1 != h:
		c.Errorf("block %d: view %d with a QC of view %d height %d", h, hd.View, hd.QC.View, hd.QC.Height)
	case hd.View != hd.QC.View+1 && hd.TimeoutCert == nil:
		c.Errorf("block %d: view %d after a QC of view %d without a timeout certificate", h, hd.View, hd.QC.View)
	case !isValidator(l.set, hd.Proposer):
		c.Errorf("block %d: proposer %s is not a validator", h, crypto.FormatAddress(hd.Proposer))
	}
	if h == 1 {
		if !consensus.IsGenesisQC(&hd.QC) {
			c.Errorf("block 1: its QC is not the genesis QC")
		}
		return
	}
	if err := consensus.VerifyQCFor(l.set, v, &hd.QC, parent, parentHash); err != nil {
		c.Errorf("block %d: the QC for its parent does not verify: %v", h, err)
	}
}

// checkDelta checks that account addr changed from block h-1 to block h by
// want, reading both states with proofs against those blocks.
func (l *live) checkDelta(c *C, cache provenCache, addr types.Address, h uint64, hh, prevHash types.Hash, want *delta) {
	before := l.provenAt(c, cache, addr, h-1)
	after := l.provenAt(c, cache, addr, h)
	if before.hash != prevHash || after.hash != hh {
		c.Errorf("account %s: proofs at heights %d and %d are against blocks %s and %s, not the blocks served",
			crypto.FormatAddress(addr), h-1, h, hashHex(before.hash), hashHex(after.hash))
		return
	}
	a, b := before.account, after.account
	wantOrama := int64(a.OramaBalance) + want.orama
	wantBTC := int64(min(a.BTCBalance, 1<<62)) + want.btc
	gotBTC := int64(min(b.BTCBalance, 1<<62))
	wantName := a.Username
	if want.username != "" {
		wantName = want.username
	}
	if int64(b.OramaBalance) != wantOrama || gotBTC != wantBTC || b.Nonce != a.Nonce+want.nonce || b.Username != wantName {
		c.Errorf("account %s from block %d to %d: %d -> %d rays, %d -> %d sats, nonce %d -> %d, username %q -> %q; "+
			"the block's transactions and reward give %d rays, %d sats, nonce %d, username %q",
			crypto.FormatAddress(addr), h-1, h, a.OramaBalance, b.OramaBalance, a.BTCBalance, b.BTCBalance, a.Nonce, b.Nonce,
			a.Username, b.Username, wantOrama, wantBTC, a.Nonce+want.nonce, wantName)
	}
}

func isValidator(set *consensus.ValidatorSet, a types.Address) bool {
	_, ok := set.Power(a)
	return ok
}

// provenCache keeps proven accounts by address and height: block h's
// state is block h+1's "before".
type provenCache map[provenKey]*provenAccount

type provenKey struct {
	addr types.Address
	h    uint64
}

func (l *live) provenAt(c *C, cache provenCache, addr types.Address, h uint64) *provenAccount {
	k := provenKey{addr, h}
	if pa := cache[k]; pa != nil {
		return pa
	}
	pa := l.proven(c, addr, u64s(h), false)
	cache[k] = pa
	return pa
}
