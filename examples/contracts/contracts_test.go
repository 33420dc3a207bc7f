package contracts_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"testing"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/host"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// TestExamples builds every example contract from source and runs a
// scenario of each end to end through runtime/vm, generated/host and
// runtime/host: each call's results, events, logs and the state it leaves
// are checked, and each call is repeated under random gas limits on both
// engines (runScenario). Together the examples call every host function.
func TestExamples(t *testing.T) {
	mods := modules(t)
	engines := [2]*vm.VM{newVM(t, vm.EngineCompiler), newVM(t, vm.EngineInterpreter)}
	called := map[string]map[string]int{}
	for _, sc := range []scenario{counterScenario(), tokenScenario(), guestbookScenario(), hasherScenario(), notaryScenario(t)} {
		t.Run(sc.name, func(t *testing.T) {
			called[sc.name] = runScenario(t, engines, mods[sc.name], sc)
		})
	}
	if t.Failed() {
		return
	}
	// Every host function, called through the generated bindings of a guest
	// library by an example (the probes of runtime/host's guest tests call
	// each from both languages).
	for _, fn := range hostabi.Functions {
		name := fn.Module + "." + fn.Name
		var by []string
		for ex, charges := range called {
			if charges[name] > 0 {
				by = append(by, ex)
			}
		}
		slices.Sort(by)
		if len(by) == 0 {
			t.Errorf("no example calls %s", name)
		} else {
			t.Logf("%-26s called by %s", name, strings.Join(by, ", "))
		}
	}
}

var (
	alice = addr(0xa1)
	bob   = addr(0xb0)
	// signerKey signs the notary's signed document; carol is its address.
	signerKey = func() *crypto.PrivateKey {
		k, err := crypto.PrivateKeyFromBytes(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			panic(err)
		}
		return k
	}()
	carol = types.Address(signerKey.Address())
	dave  = addr(0xd0)
	erin  = addr(0xe0)
	frank = addr(0xf0)
)

func counterScenario() scenario {
	counter := addr(0xc1)
	key := []byte("n")
	stored := func(want uint64) func(*testing.T, outcome, *host.Env) {
		return func(t *testing.T, _ outcome, env *host.Env) {
			t.Helper()
			got := env.StateEntries()
			if len(got) != 1 || got[0].Contract != counter || !bytes.Equal(got[0].Key, key) || !bytes.Equal(got[0].Value, u64le(want)) {
				t.Fatalf("state %+v, want the counter's %q = %d", got, key, want)
			}
			if c := env.CacheEntries(); len(c) != 0 {
				t.Fatalf("the counter wrote to the cache: %+v", c)
			}
		}
	}
	empty := func(t *testing.T, _ outcome, env *host.Env) {
		if got := env.StateEntries(); len(got) != 0 {
			t.Fatalf("state %+v, want empty", got)
		}
	}
	return scenario{
		name: "counter", contract: counter, failures: 16,
		steps: []step{
			{export: "get", caller: alice, want: []uint64{0}, check: empty},
			{export: "reset", caller: alice, want: []uint64{uint64(hostabi.StatusNotFound)}, check: empty},
			{export: "increment", params: []uint64{5}, caller: alice, want: []uint64{5}, check: stored(5)},
			{export: "increment", params: []uint64{37}, caller: bob, want: []uint64{42}, check: stored(42)},
			{export: "get", caller: bob, want: []uint64{42}},
			// An overflow traps, and the count stays as it was.
			{export: "increment", params: []uint64{^uint64(0)}, caller: bob, trap: "trap", check: stored(42)},
			{export: "reset", caller: alice, want: []uint64{uint64(hostabi.StatusOK)}, check: empty},
			{export: "get", caller: alice, want: []uint64{0}},
		},
	}
}

func tokenScenario() scenario {
	token := addr(0xc2)
	var zero types.Address
	transferEvent := func(from, to types.Address, amount uint64) types.Event {
		return types.Event{Emitter: token, Topic: "transfer", Data: slices.Concat(from[:], to[:], u64le(amount))}
	}
	events := func(want ...types.Event) func(*testing.T, outcome, *host.Env) {
		return func(t *testing.T, o outcome, _ *host.Env) {
			t.Helper()
			if !eventsEqual(o.Events, want) {
				t.Fatalf("events %+v, want %+v", o.Events, want)
			}
		}
	}
	ok, insufficient, invalid := uint64(hostabi.StatusOK), uint64(hostabi.StatusInsufficientBalance), uint64(hostabi.StatusInvalidAmount)
	return scenario{
		name: "token", contract: token, failures: 16,
		setup: func(t testing.TB, env *host.Env) {
			env.SetBalance(host.Balance{Address: alice, Orama: 5000})
			env.SetBalance(host.Balance{Address: bob, Orama: 250})
		},
		steps: []step{
			{export: "init", caller: alice, want: []uint64{ok}},
			{export: "total_supply", caller: alice, want: []uint64{0}},
			{export: "deposit", caller: alice, want: []uint64{invalid}, check: events()},
			{export: "deposit", caller: alice, orama: 1000, want: []uint64{ok}, check: events(transferEvent(zero, alice, 1000))},
			{export: "deposit", caller: bob, orama: 250, want: []uint64{ok}, check: events(transferEvent(zero, bob, 250))},
			{export: "transfer", input: transferInput(bob, 300), caller: alice, want: []uint64{ok}, check: events(transferEvent(alice, bob, 300))},
			{export: "transfer", input: transferInput(carol, 701), caller: alice, want: []uint64{insufficient}, check: events()},
			{export: "transfer", input: transferInput(alice, 700), caller: alice, want: []uint64{ok}, check: events(transferEvent(alice, alice, 700))},
			{export: "transfer", input: transferInput(bob, 0), caller: alice, want: []uint64{invalid}},
			// Input that is not Borsh {to: [u8; 20], amount: u64} traps and moves nothing.
			{export: "transfer", input: transferInput(bob, 1)[:27], caller: alice, trap: "trap"},
			{export: "transfer", input: append(transferInput(bob, 1), 0), caller: alice, trap: "trap"},
			{export: "transfer", caller: alice, trap: "trap"},
			{export: "balance_of", params: addrParams(alice), caller: bob, want: []uint64{700}},
			{export: "balance_of", params: addrParams(bob), caller: bob, want: []uint64{550}},
			{export: "balance_of", params: addrParams(carol), caller: bob, want: []uint64{0}},
			{export: "withdraw", params: []uint64{550}, caller: bob, want: []uint64{ok}, check: events(transferEvent(bob, zero, 550))},
			{export: "withdraw", params: []uint64{1}, caller: bob, want: []uint64{insufficient}},
			{export: "withdraw", params: []uint64{0}, caller: alice, want: []uint64{invalid}},
			{export: "total_supply", caller: alice, want: []uint64{700}},
		},
		after: func(t *testing.T, env *host.Env) {
			// Bob's zero balance is deleted; the contract holds the supply in ORAMA.
			var keys []string
			for _, e := range env.StateEntries() {
				if e.Contract != token {
					t.Fatalf("state entry %q of %x", e.Key, e.Contract)
				}
				keys = append(keys, string(e.Key))
			}
			want := []string{"balance/" + string(alice[:]), "supply"}
			if !slices.Equal(keys, want) {
				t.Fatalf("state keys %q, want %q", keys, want)
			}
			if c := env.CacheEntries(); len(c) != 0 {
				t.Fatalf("the token wrote to the cache: %+v", c)
			}
			if b := balance(env, token); b.Orama != 700 {
				t.Fatalf("the contract holds %d rays, want the supply, 700", b.Orama)
			}
			if b := balance(env, bob); b.Orama != 550 {
				t.Fatalf("bob holds %d rays, want 550 (250 deposited, 300 received, 550 withdrawn)", b.Orama)
			}
		},
	}
}

func eventsEqual(a, b []types.Event) bool {
	return slices.EqualFunc(a, b, func(x, y types.Event) bool {
		return x.Emitter == y.Emitter && x.Topic == y.Topic && bytes.Equal(x.Data, y.Data)
	})
}

func guestbookScenario() scenario {
	book := addr(0xc3)
	sqlError, constraint := neg(int64(hostabi.StatusSQLError)), neg(int64(hostabi.StatusSQLConstraint))
	signed := func(id uint64, author types.Address, info string) func(*testing.T, outcome, *host.Env) {
		return func(t *testing.T, o outcome, _ *host.Env) {
			t.Helper()
			want := []types.Event{{Emitter: book, Topic: "signed", Data: slices.Concat(u64le(id), author[:])}}
			if !eventsEqual(o.Events, want) || len(o.Logs) != 1 || o.Logs[0] != (host.LogLine{Level: "info", Msg: info}) {
				t.Fatalf("events %+v logs %+v", o.Events, o.Logs)
			}
		}
	}
	refused := func(status string) func(*testing.T, outcome, *host.Env) {
		return func(t *testing.T, o outcome, _ *host.Env) {
			t.Helper()
			if len(o.Events) != 0 || len(o.Logs) != 1 || o.Logs[0] != (host.LogLine{Level: "error", Msg: "guestbook: sign refused: " + status}) {
				t.Fatalf("events %+v logs %+v", o.Events, o.Logs)
			}
		}
	}
	type entry struct {
		id     int64
		author types.Address
		height int64
		at     int64
		msg    string
	}
	long := "thirty-two bytes of guestbook..."
	e1 := entry{1, alice, 110, baseTime + 10, "hello, orama"}
	e2 := entry{2, bob, 111, baseTime + 20, "héllo wörld ✓"}
	e3 := entry{3, alice, 112, baseTime + 30, long}
	entries := func(want ...entry) func(*testing.T, outcome, *host.Env) {
		return func(t *testing.T, o outcome, _ *host.Env) {
			t.Helper()
			b := binary.LittleEndian.AppendUint32(nil, uint32(hostabi.StatusOK))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(want)))
			for _, e := range want {
				b = binary.LittleEndian.AppendUint64(b, uint64(e.id))
				b = append(b, e.author[:]...)
				b = binary.LittleEndian.AppendUint64(b, uint64(e.height))
				b = binary.LittleEndian.AppendUint64(b, uint64(e.at))
				b = binary.LittleEndian.AppendUint32(b, uint32(len(e.msg)))
				b = append(b, e.msg...)
			}
			if !bytes.Equal(o.Output, b) {
				t.Fatalf("entries %x, want %x", o.Output, b)
			}
		}
	}
	sign := func(e entry) step {
		return step{export: "sign", params: textParams(e.msg), caller: e.author, height: uint64(e.height), time: uint64(e.at),
			want: []uint64{uint64(e.id)}, check: signed(uint64(e.id), e.author, "guestbook: entry "+strconv.FormatInt(e.id, 10))}
	}
	return scenario{
		name: "guestbook", contract: book, failures: 16,
		steps: []step{
			{export: "sign", params: textParams("too early"), caller: alice, want: []uint64{sqlError}, check: refused("sql_error")},
			{export: "count", caller: alice, want: []uint64{sqlError}},
			{export: "init", caller: alice, want: []uint64{uint64(hostabi.StatusOK)}},
			{export: "init", caller: bob, want: []uint64{uint64(hostabi.StatusOK)}},
			sign(e1),
			// A second entry in the same block, and an empty message, are refused.
			{export: "sign", params: textParams("again"), caller: alice, height: 110, want: []uint64{constraint}, check: refused("sql_constraint")},
			{export: "sign", params: textParams(""), caller: bob, height: 110, want: []uint64{constraint}, check: refused("sql_constraint")},
			sign(e2),
			sign(e3),
			// 33 bytes do not fit the parameters: the contract traps.
			{export: "sign", params: append([]uint64{33}, textParams(long)[1:]...), caller: bob, height: 120, trap: "trap"},
			{export: "count", caller: bob, want: []uint64{3}, check: countCached(3)},
			// A cached answer is served until sign or erase drops it.
			{export: "count", caller: alice, time: baseTime + 59, want: []uint64{3}, check: countCached(3)},
			{export: "entries", params: []uint64{0, 10}, bytes: true, caller: bob, check: entries(e1, e2, e3)},
			{export: "entries", params: []uint64{2, 1}, bytes: true, caller: bob, check: entries(e2)},
			{export: "erase", params: []uint64{1}, caller: bob, want: []uint64{uint64(hostabi.StatusNotFound)}},
			{export: "erase", params: []uint64{1}, caller: alice, want: []uint64{uint64(hostabi.StatusOK)},
				check: func(t *testing.T, o outcome, env *host.Env) {
					if want := []types.Event{{Emitter: book, Topic: "erased", Data: u64le(1)}}; !eventsEqual(o.Events, want) {
						t.Fatalf("events %+v", o.Events)
					}
					if c := env.CacheEntries(); len(c) != 0 {
						t.Fatalf("erase left the cached count: %+v", c)
					}
				}},
			{export: "count", caller: bob, want: []uint64{2}, check: countCached(2)},
		},
		after: func(t *testing.T, env *host.Env) {
			rows, err := env.DB().QueryHost("SELECT id, author, height, at, message FROM guestbook ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			want := abi.Rows{Columns: []string{"id", "author", "height", "at", "message"}}
			for _, e := range []entry{e2, e3} {
				want.Rows = append(want.Rows, []abi.Value{abi.Integer(e.id), abi.Blob(e.author[:]), abi.Integer(e.height), abi.Integer(e.at), abi.Text(e.msg)})
			}
			if !rows.Equal(want) {
				t.Fatalf("table %+v, want %+v", rows, want)
			}
		},
	}
}

// countCached checks the guestbook's cached count: n, expiring 60 seconds
// of block time after the call that computed it.
func countCached(n uint64) func(*testing.T, outcome, *host.Env) {
	return func(t *testing.T, _ outcome, env *host.Env) {
		t.Helper()
		c := env.CacheEntries()
		if len(c) != 1 || string(c[0].Key) != "guestbook/count" || !bytes.Equal(c[0].Value, u64le(n)) || c[0].Expires != baseTime+60 {
			t.Fatalf("cache %+v, want guestbook/count = %d until %d", c, n, baseTime+60)
		}
	}
}

func hasherScenario() scenario {
	want := func(n, rounds int) []uint64 {
		block := make([]byte, n)
		for i := range block {
			block[i] = byte(i*31 + 7)
		}
		d := sha256.Sum256(bytes.Repeat(block, rounds))
		return []uint64{binary.BigEndian.Uint64(d[:8])}
	}
	return scenario{
		name: "hasher", contract: addr(0xc5), failures: 8,
		steps: []step{
			{export: "digest", params: []uint64{64, 1}, caller: alice, want: want(64, 1)},
			{export: "digest", params: []uint64{4096, 16}, caller: alice, want: want(4096, 16)},
			{export: "digest", params: []uint64{100, 1}, caller: alice, trap: "trap"},
		},
	}
}

// Notary documents: one plain, one signed by carol, one whose signature is
// carol's over another body, and one never uploaded.
type notaryDocs struct {
	plain, signed, badSig, missing []byte
}

func newNotaryDocs(t testing.TB) notaryDocs {
	signedDoc := func(body, signedBody string) []byte {
		sig, err := crypto.Sign(signerKey, sha256.Sum256([]byte(signedBody)))
		if err != nil {
			t.Fatal(err)
		}
		return slices.Concat([]byte(body), sig[:], carol[:], []byte("ORSG"))
	}
	return notaryDocs{
		plain:   []byte("Minutes of the namespace meeting of 1 March 2026.\n"),
		signed:  signedDoc("I, Carol, agree to the terms of the lease.", "I, Carol, agree to the terms of the lease."),
		badSig:  signedDoc("I, Carol, agree to pay Erin 1,000,000 ORAMA.", "I, Carol, agree to the terms of the lease."),
		missing: []byte("never uploaded"),
	}
}

func notaryScenario(t testing.TB) scenario {
	notary := addr(0xc4)
	docs := newNotaryDocs(t)
	const (
		codeOK          = 0
		codeInitialised = 1
		codeFeeNotPaid  = 2
		codeTooSoon     = 3
		codeNotStored   = 4
		codeBadSig      = 5
		codeAlreadyDone = 6
		codeNotOwner    = 7
	)
	d := func(doc []byte) []uint64 { return digestParams(sha256.Sum256(doc)) }
	holds := func(who types.Address, rays, sats uint64) func(*testing.T, outcome, *host.Env) {
		return func(t *testing.T, o outcome, env *host.Env) {
			t.Helper()
			if b := balance(env, who); b.Orama != rays || b.BTC != sats {
				t.Fatalf("%x holds %d rays and %d sats after the refund, want %d and %d", who[:2], b.Orama, b.BTC, rays, sats)
			}
			if len(o.Events) != 0 {
				t.Fatalf("events %+v from a call that notarized nothing", o.Events)
			}
		}
	}
	notarized := func(doc []byte) func(*testing.T, outcome, *host.Env) {
		return func(t *testing.T, o outcome, env *host.Env) {
			t.Helper()
			cid := abi.RawCID(doc)
			if len(o.Events) != 1 || o.Events[0].Topic != "notarized" || !bytes.HasPrefix(o.Events[0].Data, cid) {
				t.Fatalf("events %+v", o.Events)
			}
			receipt, ok := env.Object(o.Events[0].Data[len(cid):])
			if !ok || !bytes.HasPrefix(receipt[4:], cid) {
				t.Fatalf("the event's receipt %x is not stored or names another document", o.Events[0].Data[len(cid):])
			}
		}
	}
	tooLate := uint64(baseTime + 60) // past the rate limit's 30 s
	return scenario{
		name: "notary", contract: notary, failures: 8,
		setup: func(t testing.TB, env *host.Env) {
			for _, doc := range [][]byte{docs.plain, docs.signed, docs.badSig} {
				env.Store(doc)
			}
			env.SetBalance(host.Balance{Address: alice, Orama: 1000})
			env.SetBalance(host.Balance{Address: bob, BTC: 10})
			env.SetBalance(host.Balance{Address: erin, Orama: 100})
			env.SetBalance(host.Balance{Address: frank, Orama: 100})
		},
		steps: []step{
			{export: "notarize", params: d(docs.plain), caller: alice, orama: 100, want: []uint64{codeInitialised}, check: holds(alice, 1000, 0)},
			// Fees must be positive: a panic in Go traps.
			{export: "init", params: []uint64{0, 0}, caller: dave, trap: "trap"},
			{export: "init", params: []uint64{100, 5}, caller: dave, want: []uint64{codeOK}},
			{export: "init", params: []uint64{1, 1}, caller: alice, want: []uint64{codeInitialised}},
			{export: "notarize", params: d(docs.plain), caller: alice, want: []uint64{codeFeeNotPaid},
				check: func(t *testing.T, o outcome, _ *host.Env) {
					if len(o.Logs) != 1 || o.Logs[0] != (host.LogLine{Level: "error", Msg: "notary: fee not paid"}) {
						t.Fatalf("logs %+v", o.Logs)
					}
				}},
			{export: "notarize", params: d(docs.plain), caller: alice, orama: 100, want: []uint64{codeOK}, check: notarized(docs.plain)},
			// Alice again within 30 s of block time.
			{export: "notarize", params: d(docs.signed), caller: alice, orama: 100, time: baseTime + 29, want: []uint64{codeTooSoon}, check: holds(alice, 900, 0)},
			{export: "notarize", params: d(docs.signed), caller: bob, btc: 5, time: baseTime + 30, height: baseHeight + 3, want: []uint64{codeOK}, check: notarized(docs.signed)},
			{export: "notarize", params: d(docs.signed), caller: alice, orama: 100, time: tooLate, want: []uint64{codeAlreadyDone}, check: holds(alice, 900, 0)},
			{export: "notarize", params: d(docs.badSig), caller: erin, orama: 100, want: []uint64{codeBadSig}, check: holds(erin, 100, 0)},
			{export: "notarize", params: d(docs.missing), caller: frank, orama: 100, want: []uint64{codeNotStored}, check: holds(frank, 100, 0)},
			{export: "signed_by", params: addrParams(carol), caller: frank, want: []uint64{1}},
			{export: "signed_by", params: addrParams(alice), caller: frank, want: []uint64{0}},
			{export: "receipt", params: d(docs.signed), bytes: true, caller: frank,
				check: func(t *testing.T, o outcome, _ *host.Env) {
					cid := abi.RawCID(docs.signed)
					keccak := crypto.Keccak256(docs.signed)
					want := binary.LittleEndian.AppendUint32(nil, uint32(len(cid)))
					want = slices.Concat(want, cid, keccak[:], []byte{1}, carol[:], bob[:])
					for _, v := range []uint64{baseHeight + 3, baseTime + 30, 0, 5} {
						want = binary.LittleEndian.AppendUint64(want, v)
					}
					if !bytes.Equal(o.Output, want) {
						t.Fatalf("receipt %x, want %x", o.Output, want)
					}
				}},
			{export: "receipt", params: d(docs.missing), bytes: true, caller: frank,
				check: func(t *testing.T, o outcome, _ *host.Env) {
					if len(o.Output) != 0 {
						t.Fatalf("receipt of a document never notarized: %x, want empty", o.Output)
					}
				}},
			{export: "withdraw", caller: alice, want: []uint64{neg(codeNotOwner)}},
			{export: "withdraw", caller: dave, want: []uint64{100}, check: holds(dave, 100, 5)},
			{export: "withdraw", caller: dave, want: []uint64{100}},
		},
		after: func(t *testing.T, env *host.Env) {
			if b := balance(env, notary); b.Orama != 0 || b.BTC != 0 {
				t.Fatalf("the notary keeps %d rays and %d sats after paying out", b.Orama, b.BTC)
			}
			rows, err := env.DB().QueryHost("SELECT hex(cid), signer IS NOT NULL, hex(notary) FROM notarized ORDER BY height")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows.Rows) != 2 {
				t.Fatalf("notarized %+v", rows.Rows)
			}
		},
	}
}
