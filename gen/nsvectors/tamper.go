package nsvectors

import (
	"strconv"

	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/ns"
)

// tamper derives the tampered logs of a log: each changes one entry (or
// drops one) the way a dishonest operator or a corrupted store would, and
// names the first check of spec/namespaces.md 8 that must fail. Targets are
// chosen by what the entries hold, so every check with something to check
// in the log gets a case.
func tamper(entries []*ns.Entry, signers []byte) ([]Tampered, error) {
	var out []Tampered
	var err error
	// edit adds a case that replaces entry k (1-based) with f's change of it.
	edit := func(name, why string, k int, what string, f func(e *types.TxLogEntry)) {
		if err != nil || k < 1 {
			return
		}
		var e types.TxLogEntry
		if err = e.UnmarshalBorsh(entries[k-1].Bytes); err != nil {
			return
		}
		f(&e)
		var b []byte
		if b, err = e.MarshalBorsh(); err != nil {
			return
		}
		out = append(out, Tampered{Name: name, Why: why, Edit: Edit{Op: "replace", Index: strconv.Itoa(k), Entry: outdir.Hex(b)},
			Mismatch: Mismatch{Position: strconv.Itoa(k), What: what}})
	}
	raw := func(name, why string, k int, what string, b []byte) {
		out = append(out, Tampered{Name: name, Why: why, Edit: Edit{Op: "replace", Index: strconv.Itoa(k), Entry: outdir.Hex(b)},
			Mismatch: Mismatch{Position: strconv.Itoa(k), What: what}})
	}
	// find returns the last entry (1-based) that pred accepts, 0 if none.
	find := func(pred func(e *types.TxLogEntry) bool) int {
		for i := len(entries) - 1; i >= 0; i-- {
			if pred(&entries[i].Log) {
				return i + 1
			}
		}
		return 0
	}
	isCall := func(e *types.TxLogEntry) bool { return e.Submission.Request.Kind == types.NamespaceRequestKindCall }
	// The richest call (the most of events, SQL writes, storage writes,
	// results and account writes; the latest of equals).
	k, best := 0, -1
	for i := range entries {
		e := &entries[i].Log
		if !isCall(e) || e.Outcome.Status != types.NsStatusOk {
			continue
		}
		score := 0
		for _, n := range []int{len(e.Outcome.Events), len(e.Writes.Sql), len(e.Writes.State), len(e.Outcome.Results), len(e.Writes.Accounts)} {
			if n > 0 {
				score++
			}
		}
		if score >= best {
			k, best = i+1, score
		}
	}
	if k == 0 {
		k = len(entries)
	}

	edit("root", "the recorded root is not the state's", k, "root", func(e *types.TxLogEntry) { e.Root[31] ^= 1 })
	edit("gas_used", "one more gas recorded than the call used", k, "outcome.gas_used", func(e *types.TxLogEntry) { e.Outcome.GasUsed++ })
	edit("status", "a call that succeeded recorded as a trap", k, "outcome.status", func(e *types.TxLogEntry) {
		e.Outcome.Status, e.Outcome.Trap = types.NsStatusTrap, "unreachable"
	})
	if len(entries[k-1].Log.Outcome.Results) > 0 {
		edit("results", "a result changed", k, "outcome.results", func(e *types.TxLogEntry) { e.Outcome.Results[0] ^= 1 })
	}
	if len(entries[k-1].Log.Outcome.Events) > 0 {
		edit("event_data", "an event's data changed", k, "outcome.events", func(e *types.TxLogEntry) {
			ev := &e.Outcome.Events[len(e.Outcome.Events)-1]
			ev.Data = append(append([]byte{}, ev.Data...), 0)
		})
	}
	if len(entries[k-1].Log.Writes.Sql) > 0 {
		edit("sql_writes", "the entry's last SQL write left out", k, "writes.sql", func(e *types.TxLogEntry) { e.Writes.Sql = e.Writes.Sql[:len(e.Writes.Sql)-1] })
	}
	if len(entries[k-1].Log.Writes.State) > 0 {
		edit("state_writes", "a storage write's value changed", k, "writes.state", func(e *types.TxLogEntry) {
			w := &e.Writes.State[0]
			w.Value = append(append([]byte{}, w.Value...), 1)
		})
	}
	if len(entries[k-1].Log.Writes.Accounts) > 0 {
		edit("accounts", "an account credited one ray more", k, "writes.accounts", func(e *types.TxLogEntry) { e.Writes.Accounts[0].Account.Orama++ })
	}
	if c := find(func(e *types.TxLogEntry) bool { return len(e.Writes.Cache) > 0 }); c > 0 {
		edit("cache_writes", "a cache write left out", c, "writes.cache", func(e *types.TxLogEntry) { e.Writes.Cache = e.Writes.Cache[1:] })
	}
	if c := find(func(e *types.TxLogEntry) bool { return len(e.Writes.Blobs) > 0 }); c > 0 {
		edit("blob_writes", "a stored object left out", c, "writes.blobs", func(e *types.TxLogEntry) { e.Writes.Blobs = e.Writes.Blobs[1:] })
	}
	if c := find(func(e *types.TxLogEntry) bool { return e.Writes.Supply != nil }); c > 0 {
		edit("supply", "a deposit recorded as one ray larger in the supply", c, "writes.supply", func(e *types.TxLogEntry) { e.Writes.Supply.OramaIn++ })
	}
	if c := find(func(e *types.TxLogEntry) bool { return e.Outcome.Contract != nil }); c > 0 {
		edit("contract_address", "a deploy recorded at another address", c, "outcome.contract", func(e *types.TxLogEntry) { e.Outcome.Contract[0] ^= 1 })
		edit("deploy_module", "a deploy's module is not the one its request names", c, "request", func(e *types.TxLogEntry) {
			e.Submission.Module = append(append([]byte{}, e.Submission.Module...), 0)
		})
	}
	edit("prev_hash", "the hash chain broken", k, "prev_hash", func(e *types.TxLogEntry) { e.PrevHash[0] ^= 1 })
	edit("namespace", "an entry of another namespace", k, "namespace", func(e *types.TxLogEntry) { e.Namespace += "x" })
	edit("signature", "the request's signature changed", k, "request", func(e *types.TxLogEntry) { e.Submission.Request.Signature[10] ^= 1 })
	if k > 1 && entries[k-2].Log.ChainHeight > 0 {
		edit("chain_time", "the chain height goes back", k, "chain_time", func(e *types.TxLogEntry) { e.ChainHeight = entries[k-2].Log.ChainHeight - 1 })
	}
	// A request replayed: an earlier entry's signed request of the same
	// signer, in place of entry k.
	for j := k - 1; j >= 1; j-- {
		if signers[j-1] == signers[k-1] {
			prev := entries[j-1].Log.Submission
			edit("replayed_request", "an earlier request of the same signer, replayed", k, "nonce", func(e *types.TxLogEntry) { e.Submission = prev })
			break
		}
	}
	if err != nil {
		return nil, err
	}
	b := entries[k-1].Bytes
	raw("truncated", "the entry's last byte cut off", k, "decode", b[:len(b)-1])
	raw("trailing_byte", "a byte after the entry", k, "decode", append(append([]byte{}, b...), 0))
	if d := len(entries) / 2; d >= 1 {
		out = append(out, Tampered{Name: "dropped", Why: "an entry left out of the log", Edit: Edit{Op: "drop", Index: strconv.Itoa(d)},
			Mismatch: Mismatch{Position: strconv.Itoa(d), What: "position"}})
	}
	return out, nil
}
