package suite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// The namespaces phase. A namespace is placed on, and run by, nodes of the
// pool: the genesis validators (spec/namespaces.md 9). On the live network
// the node under test follows our validator, so it runs none; here it is
// the pool. The suite writes a genesis whose only validator has a key it
// generates, gives that key to the adapter (ORAMA_KEYSTORE), creates a
// Tier 1 namespace on the node under test, waits until the node runs it,
// and calls every operation of the gateway with good input and with each
// refusal a running namespace gives.

// nsChainID is the namespaces phase's chain.
const nsChainID = 7359

// Keys of the namespaces chain.
const (
	keyNsPool = 20 // its only validator: the node under test; creates the namespace; the deposit authority
	keyNsUser = 21 // deploys, calls and withdraws inside the namespace
)

const (
	// nsHostWait bounds how long the node under test may take to run the
	// namespace once its create is final.
	nsHostWait = 20 * time.Second
	// nsCallGas is the gas limit of the phase's deploys and calls.
	nsCallGas = 10_000_000
)

// The spec sections the phase's checks name.
const (
	secNSRequests = `spec/namespaces.md 3.2 "To the namespace"`
	secNSPool     = "spec/namespaces.md 9 (placement on the pool, deposit authority)"
)

// nsPhase is the namespaces phase: the node under test, a validator alone,
// and what the checks have done in its namespace.
type nsPhase struct {
	l    *live // nut is the node under test; there is no other node
	vkey *crypto.PrivateKey
	base string // /v1/namespace/<name>
	auth *nsSigner
	user *nsSigner

	// head is the last TxLog position the suite's requests made, root the
	// namespace root after it; logged maps each position to the call id of
	// its request.
	head   uint64
	root   string
	logged map[uint64]types.Hash

	created  uint64 // height of the block holding the create
	probe    types.Address
	probeAt  uint64 // the position of its deploy
	sqlc     types.Address
	stored   []uint64 // positions of the probe's store calls
	storeIDs []types.Hash

	hostStep, deployStep, storeStep nsStep
}

// nsStep is set-up several checks need, done by the first that needs it;
// with --only any check can run alone.
type nsStep struct {
	ran    bool
	failed bool
	by     string // the check it ran in
}

func (p *nsPhase) checks() []liveCheck {
	return []liveCheck{
		{"namespaces/host", secNSPool + `; spec/namespaces.md 3.1, 5.3 (the genesis entry hash); ` + secNS + " getNamespace, getNamespaceStatus, listNamespaces", p.checkHost},
		{"namespaces/contracts", secNS + ` (deploy, call, view, state with proofs, blobs, contracts); spec/namespaces.md 1 (contract address), 4 "Execution of one entry", 5.1 (the state proof)`, p.checkContracts},
		{"namespaces/value", `spec/namespaces.md 6 "Tokens inside a namespace"; ` + secNSRequests + " (Deposit by the deposit authority only, Withdraw); " + secNS + " accounts", p.checkValue},
		{"namespaces/sql", `spec/namespaces.md 2.1; spec/hostfuncs.yaml orama.db; ` + secNS + " query (GET, POST), sql_error, sql_denied, sql_read_only, result_too_large", p.checkSQL},
		{"namespaces/events", secNS + " events (filters, order, pagination)", p.checkEvents},
		{"namespaces/txlog", `spec/namespaces.md 5.3 "TxLog"; ` + secNS + " txlog (the hash chain, pagination, entries)", p.checkTxLog},
		{"namespaces/refusals", secNSRequests + " (checked before ordering: refused, nothing logged, no nonce used)", p.checkRefusals},
		{"namespaces/time-limits", "spec/namespaces.md 2.1 (a query interrupted after 2 s: query_timeout); " + secNS + " (min_position waits at most 5 s: 503 behind, Retry-After)", p.checkTimeLimits},
	}
}

// namespacePhase starts the node under test as the only validator of a
// chain of its own, runs the selected namespace checks on it and stops it.
func (r *runner) namespacePhase(ctx context.Context) {
	p := &nsPhase{l: &live{r: r, dir: filepath.Join(r.work, "namespaces"), fresh: keyFreshFirst}, logged: map[uint64]types.Hash{}}
	checks := p.checks()
	ids := make([]string, len(checks))
	for i, ch := range checks {
		ids[i] = ch.id
	}
	if !r.anySelected(ids) {
		return
	}
	nutFault, setupErr := p.setUp(ctx)
	told := false
	for _, ch := range checks {
		r.check(ctx, ch.id, ch.spec, func(c *C) {
			if setupErr != nil {
				if nutFault {
					c.Fatalf("the node under test did not start as the validator of the namespaces chain: %v", setupErr)
				}
				c.Setupf("the namespaces chain could not be set up: %v", setupErr)
			}
			if done, err := p.l.nutProc.exited(); done {
				if !told {
					told = true
					c.Fatalf("the node under test has exited (%v); the end of its log:\n%s", err, lastLines(p.l.nutProc.tail(), 8))
				}
				c.Fatalf("the node under test has exited (%v)", err)
			}
			ch.run(c)
		})
	}
	if p.l.nutProc != nil {
		p.l.nutProc.stop()
	}
}

// setUp writes the genesis and the validator's keystore and starts the
// node under test with them: no p2p network, the suite's block time.
func (p *nsPhase) setUp(ctx context.Context) (nutFault bool, err error) {
	l, r := p.l, p.l.r
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return false, err
	}
	p.vkey = testKey(keyNsPool)
	pid, err := peerID(p.vkey)
	if err != nil {
		return false, err
	}
	l.g = nsGenesis(p.vkey.Address(), pid, uint64(time.Now().Unix()))
	if l.gh, err = l.g.Hash(); err != nil {
		return false, err
	}
	if l.set, err = consensus.NewValidatorSetFromValidators(l.g.Validators); err != nil {
		return false, err
	}
	genesisPath := filepath.Join(l.dir, "genesis.json")
	if err := writeJSONFile(genesisPath, l.g); err != nil {
		return false, err
	}
	keyPath := filepath.Join(l.dir, "validator.json")
	if err := writeKeystore(keyPath, p.vkey); err != nil {
		return false, err
	}
	ports, err := freePorts(1)
	if err != nil {
		return false, err
	}
	dataDir := filepath.Join(l.dir, "node-under-test")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, err
	}
	env := cleanEnv(map[string]string{
		"ORAMA_GENESIS":    genesisPath,
		"ORAMA_DATA_DIR":   dataDir,
		"ORAMA_API_LISTEN": ports[0],
		"ORAMA_KEYSTORE":   keyPath,
		"ORAMA_BLOCK_TIME": r.cfg.BlockTime.String(),
	})
	np, err := startProc("adapter run (namespaces)", []string{r.cfg.Adapter, "run"}, env, logName(r.work, "adapter-run-namespaces"))
	if err != nil {
		return false, err
	}
	r.procs.add(np)
	l.nutProc = np
	l.nut = newClient("the node under test", ports[0], r.spec, r.cov)
	if err := waitReady(ctx, l.nut, np, 30*time.Second); err != nil {
		return true, err
	}
	p.base = "/v1/namespace/" + nsAPIName
	p.auth = &nsSigner{k: p.vkey, chainID: nsChainID, name: nsAPIName}
	p.user = &nsSigner{k: testKey(keyNsUser), chainID: nsChainID, name: nsAPIName}
	return false, nil
}

// nsGenesis is the namespaces chain's genesis: one validator, funded to
// pay for the create.
func nsGenesis(val types.Address, pid string, ts uint64) *types.Genesis {
	return &types.Genesis{ChainID: nsChainID, Timestamp: ts,
		Validators:  []types.Validator{{Address: val, Stake: validatorStake, PeerID: pid}},
		Allocations: []types.GenesisAllocation{{Address: val, OramaBalance: fundedOrama}}}
}

// need runs a set-up step once, in the first check that needs it; a check
// needing a step that failed fails too, naming the check it failed in.
func (p *nsPhase) need(c *C, s *nsStep, fn func(c *C)) {
	if !s.ran {
		s.ran, s.failed, s.by = true, true, c.id
		fn(c)
		s.failed = c.Failed()
	}
	if s.failed {
		if s.by == c.id {
			panic(abort{})
		}
		c.Fatalf("needs what failed in %s", s.by)
	}
}

// nsGenesisHash is the prev_hash of position 1 and the entry hash of
// position 0: SHA-256("orama/ns/genesis" || Borsh(NamespaceMeta))
// (spec/namespaces.md 5.3).
func nsGenesisHash(meta types.NamespaceMeta) types.Hash {
	b, err := meta.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	return sha256.Sum256(append([]byte("orama/ns/genesis"), b...))
}

// contractAddress is Keccak256("orama/ns/contract" || Borsh(name) ||
// deployer || u64le(the deploy's nonce))[12:] (spec/namespaces.md 1).
func contractAddress(name string, deployer types.Address, nonce uint64) types.Address {
	b := []byte("orama/ns/contract")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(name)))
	b = append(b, name...)
	b = append(b, deployer[:]...)
	b = binary.LittleEndian.AppendUint64(b, nonce)
	h := crypto.Keccak256(b)
	var a types.Address
	copy(a[:], h[12:])
	return a
}

// createAndHost sends the NamespaceCreate (Tier 1, nodes 0) from the
// validator, follows it to finality and waits until the node under test
// runs the namespace.
func (p *nsPhase) createAndHost(c *C) {
	l := p.l
	v := p.vkey.Address()
	want, ok := placement([]types.Address{v}, nil, nsAPIName, 0)
	if !ok || len(want) != 1 || want[0].Node != v {
		c.Setupf("the pool of one cannot place a namespace on its node: %s", jsonOf(want))
	}
	create := sign(p.vkey, nsChainID, nsCreate(v, nsAPIName, types.NamespaceTierTier1, 0, 0))
	if !l.nut.submit(c, create) {
		c.Fatalf("the create was not admitted")
	}
	inc := l.final(c, create, types.TxStatusSuccess, namespaceCreatedEvent(v, nsAPIName, types.NamespaceTierTier1, want))
	p.created = inc.header.Height

	var rec api.NamespaceRecord
	deadline := time.Now().Add(nsHostWait)
	for {
		if !l.nut.get(c, "getNamespace", p.base, &rec) {
			c.Fatalf("no record of the namespace")
		}
		if rec.Hosted || time.Now().After(deadline) {
			break
		}
		sleep(c, 100*time.Millisecond)
	}
	if !rec.Hosted {
		c.Fatalf("namespace %s is placed on the node under test (%s), the only node of the pool, and it does not run it %v after "+
			"the create was final (spec/namespaces.md 9: a namespace placed on one node runs on it once the create is final): %s",
			nsAPIName, jsonOf(rec.Nodes), nsHostWait, jsonOf(rec))
	}
}

// checkHost: the create placed the namespace on the node under test, which
// runs it; its record, status and the owner's list say so, with the
// genesis entry hash spec/namespaces.md 5.3 gives.
func (p *nsPhase) checkHost(c *C) {
	p.need(c, &p.hostStep, p.createAndHost)
	l, v := p.l, p.vkey.Address()
	nodes := []types.NamespaceNode{{Node: v, Slot: 0}}
	gh := hashHex(nsGenesisHash(types.NamespaceMeta{Name: nsAPIName, Tier: types.NamespaceTierTier1, Owner: v, CreatedHeight: p.created}))
	var rec api.NamespaceRecord
	if l.nut.get(c, "getNamespace", p.base, &rec) {
		if rec.Name != nsAPIName || rec.Tier != "Tier1" || rec.Owner != crypto.FormatAddress(v) || rec.CreatedHeight != u64s(p.created) ||
			!sameNodes(rec.Nodes, nodes) || !rec.Hosted {
			c.Errorf("GET %s: %s; want Tier1, owner %s, created_height %d, nodes %s, hosted", p.base, jsonOf(rec), crypto.FormatAddress(v), p.created, jsonOf(nodes))
		}
		if p.head == 0 && (rec.Position == nil || *rec.Position != "0" || rec.EntryHash == nil || string(*rec.EntryHash) != gh) {
			c.Errorf("GET %s before any request: position %v, entry_hash %v; want 0 and the genesis entry hash %s", p.base, jsonOf(rec.Position), jsonOf(rec.EntryHash), gh)
		}
	}
	var st api.NamespaceStatus
	if l.nut.get(c, "getNamespaceStatus", p.base+"/status", &st) {
		if !st.Hosted || st.Name != nsAPIName || st.Tier != "Tier1" || st.Owner == nil || *st.Owner != crypto.FormatAddress(v) || !sameNodes(st.Nodes, nodes) {
			c.Errorf("GET %s/status: %s; want hosted, Tier1, owner %s, nodes %s", p.base, jsonOf(st), crypto.FormatAddress(v), jsonOf(nodes))
		}
		if st.Halted != nil && *st.Halted {
			c.Errorf("GET %s/status: halted: %s", p.base, jsonOf(st))
		}
		if p.head == 0 && (st.Position == nil || *st.Position != "0" || st.EntryHash == nil || string(*st.EntryHash) != gh) {
			c.Errorf("GET %s/status before any request: position %v, entry_hash %v; want 0 and %s", p.base, jsonOf(st.Position), jsonOf(st.EntryHash), gh)
		}
	}
	var page api.NamespacePage
	if l.nut.get(c, "listNamespaces", "/v1/namespaces?owner="+url.QueryEscape(crypto.FormatAddress(v)), &page) &&
		(len(page.Namespaces) != 1 || page.Namespaces[0].Name != nsAPIName || !page.Namespaces[0].Hosted) {
		c.Errorf("GET /v1/namespaces?owner=%s: %s; want %s, hosted", crypto.FormatAddress(v), jsonOf(page), nsAPIName)
	}
}

// submitted posts a signed request that must be executed: 200, the next
// TxLog position (the suite is the namespace's only client), the call id
// SHA-256(Borsh(request)) and the outcome status want.
func (p *nsPhase) submitted(c *C, op, target string, body []byte, id types.Hash, want types.NsStatus) (api.NamespaceSubmitResult, bool) {
	var res api.NamespaceSubmitResult
	if !p.l.nut.post(c, op, target, body, &res) {
		c.Fatalf("POST %s: the request was not executed", target)
	}
	p.head++
	p.logged[p.head] = id
	ok := true
	if res.Position != u64s(p.head) || string(res.CallId) != hashHex(id) {
		c.Errorf("POST %s: position %s, call_id %s; want position %d (the next; no one else writes) and call id %s (SHA-256 of the Borsh request)",
			target, res.Position, res.CallId, p.head, hashHex(id))
		ok = false
	}
	if string(res.Outcome.Status) != want.String() {
		c.Errorf("POST %s: outcome %s; want status %s", target, jsonOf(res.Outcome), want)
		ok = false
	}
	if res.Root == hashHex(types.Hash{}) {
		c.Errorf("POST %s: root 0^32 in a Tier 1 namespace", target)
	}
	p.root = string(res.Root)
	return res, ok
}

// call is an NsCall of the phase's gas limit.
func nsCall(contract types.Address, fn string, input []byte) *types.NsCall {
	if input == nil {
		input = []byte{}
	}
	return &types.NsCall{Contract: contract, Function: fn, Args: types.U64s{}, Input: input, GasLimit: nsCallGas}
}

func (p *nsPhase) contractPath(a types.Address) string {
	return p.base + "/contracts/" + crypto.FormatAddress(a)
}

// deploy deploys the probe and the SQL module from the user, each at the
// address spec/namespaces.md 1 gives.
func (p *nsPhase) deploy(c *C) {
	p.need(c, &p.hostStep, p.createAndHost)
	for _, d := range []struct {
		what   string
		module []byte
		to     *types.Address
	}{{"the probe module", nsProbeModule, &p.probe}, {"the SQL module", nsSQLModule, &p.sqlc}} {
		want := contractAddress(nsAPIName, p.user.k.Address(), p.user.nonce)
		codeHash := sha256.Sum256(d.module)
		body, id := p.user.next(types.NamespaceRequestKindDeploy,
			&types.NsDeploy{CodeHash: codeHash, Args: types.U64s{}, Input: []byte{}, GasLimit: nsCallGas}, d.module)
		res, _ := p.submitted(c, "deployNamespaceContract", p.base+"/contracts", body, id, types.NsStatusOk)
		if res.Address == nil || *res.Address != crypto.FormatAddress(want) || res.CodeHash == nil || string(*res.CodeHash) != hashHex(codeHash) ||
			res.Outcome.Contract == nil || *res.Outcome.Contract != crypto.FormatAddress(want) {
			c.Fatalf("deploy of %s: %s; want address %s (spec/namespaces.md 1), code hash %s", d.what, jsonOf(res), crypto.FormatAddress(want), hashHex(codeHash))
		}
		*d.to = want
		if d.to == &p.probe {
			p.probeAt = p.head
		}
	}
}

// store calls the probe's store three times: the events and the log the
// later checks read.
func (p *nsPhase) store(c *C) {
	p.need(c, &p.deployStep, p.deploy)
	for range 3 {
		body, id := p.user.next(types.NamespaceRequestKindCall, nsCall(p.probe, "store", nil), nil)
		res, ok := p.submitted(c, "callNamespaceContract", p.contractPath(p.probe)+"/call", body, id, types.NsStatusOk)
		if ok && (len(res.Outcome.Events) != 1 || res.Outcome.Events[0].Topic != "stored" || res.Outcome.Events[0].Data != "0x07" ||
			res.Outcome.Events[0].Emitter != crypto.FormatAddress(p.probe)) {
			c.Errorf("call store: events %s; want one, topic stored, data 0x07, emitter %s", jsonOf(res.Outcome.Events), crypto.FormatAddress(p.probe))
		}
		p.stored = append(p.stored, p.head)
		p.storeIDs = append(p.storeIDs, id)
	}
}

// checkContracts: deploys at the addresses the spec gives, the contracts
// listed and read, calls that succeed, fail when they run (logged, nonce
// used) or are retried (the logged outcome again), a view, contract state,
// a stored blob; unknown contracts and keys.
func (p *nsPhase) checkContracts(c *C) {
	p.need(c, &p.deployStep, p.deploy)
	p.need(c, &p.storeStep, p.store)
	l := p.l
	probe := crypto.FormatAddress(p.probe)
	cpath := p.contractPath(p.probe)
	codeHash := hashHex(sha256.Sum256(nsProbeModule))

	var ct api.NamespaceContract
	if l.nut.get(c, "getNamespaceContract", cpath, &ct) && (ct.Address != probe || ct.CodeHash != codeHash || ct.DeployedAt != u64s(p.probeAt) || ct.Orama != "0" || ct.Btc != "0") {
		c.Errorf("GET %s: %s; want code hash %s, deployed at %d, no value", cpath, jsonOf(ct), codeHash, p.probeAt)
	}
	// Both contracts, one page at a time.
	var seen []string
	cursor := ""
	for range 4 {
		target := p.base + "/contracts?limit=1"
		if cursor != "" {
			target += "&cursor=" + url.QueryEscape(cursor)
		}
		var cp api.NamespaceContractPage
		if !l.nut.get(c, "listNamespaceContracts", target, &cp) {
			break
		}
		for _, x := range cp.Contracts {
			seen = append(seen, x.Address)
		}
		if cp.NextCursor == nil {
			break
		}
		cursor = *cp.NextCursor
	}
	slices.Sort(seen)
	want := []string{probe, crypto.FormatAddress(p.sqlc)}
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		c.Errorf("GET %s/contracts page by page (limit 1): %v; want %v", p.base, seen, want)
	}

	call := func(fn string, want types.NsStatus) api.NamespaceSubmitResult {
		body, id := p.user.next(types.NamespaceRequestKindCall, nsCall(p.probe, fn, nil), nil)
		res, _ := p.submitted(c, "callNamespaceContract", cpath+"/call", body, id, want)
		return res
	}
	if res := call("answer", types.NsStatusOk); len(res.Outcome.Results) != 1 || res.Outcome.Results[0] != "42" || len(res.Outcome.Events) != 0 {
		c.Errorf("call answer: %s; want results [42], no events", jsonOf(res.Outcome))
	}
	// Failures when it runs are logged: 200, the status, the nonce used.
	call("nope", types.NsStatusUnknownFunction)
	nowhere := contractAddress(nsAPIName, p.vkey.Address(), 99)
	body, id := p.user.next(types.NamespaceRequestKindCall, nsCall(nowhere, "answer", nil), nil)
	p.submitted(c, "callNamespaceContract", p.contractPath(nowhere)+"/call", body, id, types.NsStatusUnknownContract)
	// A retry of a logged request (same signer, nonce and bytes) answers
	// the logged outcome and logs nothing.
	last := p.head
	var again api.NamespaceSubmitResult
	if l.nut.post(c, "callNamespaceContract", p.contractPath(nowhere)+"/call", body, &again) &&
		(again.Position != u64s(last) || again.CallId != hashHex(id) || string(again.Outcome.Status) != types.NsStatusUnknownContract.String()) {
		c.Errorf("the same request again: %s; want the logged outcome at position %d", jsonOf(again), last)
	}

	var view api.NamespaceViewResult
	if l.nut.post(c, "viewNamespaceContract", cpath+"/view", []byte(`{"function":"answer","gas_limit":"1000000"}`), &view) &&
		(view.Outcome.Status != "Ok" || len(view.Outcome.Results) != 1 || view.Outcome.Results[0] != "42" || view.Position != u64s(p.head)) {
		c.Errorf("view answer: %s; want Ok, results [42] at position %d", jsonOf(view), p.head)
	}
	var sv api.NamespaceStateValue
	if l.nut.get(c, "getNamespaceContractState", cpath+"/state/0x6b", &sv) && (sv.Key != "0x6b" || sv.Value != "0x76") {
		c.Errorf("GET %s/state/0x6b: %s; want value 0x76 (store sets k = v)", cpath, jsonOf(sv))
	}
	// Proven against the namespace root after the last entry, present and absent.
	for _, key := range []string{"0x6b", "0x00"} {
		target := cpath + "/state/" + key + "?proof=true&min_position=" + u64s(p.head)
		var sv api.NamespaceStateValue
		if !l.nut.get(c, "getNamespaceContractState", target, &sv) {
			continue
		}
		if sv.Position != u64s(p.head) || sv.Proof == nil || string(sv.Proof.Root) != p.root {
			c.Errorf("GET %s: position %s, proof root %s; want position %d and the root its entry logged, %s", target, sv.Position,
				jsonOf(sv.Proof), p.head, p.root)
			continue
		}
		if err := verifyNsStateProof(&sv, p.probe); err != nil {
			c.Errorf("GET %s: the proof does not verify (spec/namespaces.md 5.1, smt.md): %v", target, err)
		} else if want := key == "0x6b"; sv.Proof.Exists != want || (want && sv.Value != "0x76") || (!want && sv.Value != "0x") {
			c.Errorf("GET %s: exists %v, value %s; want exists %v", target, sv.Proof.Exists, sv.Value, want)
		}
	}
	blob := p.base + "/blobs/" + nsCID(nsProbeBlob)
	if r := l.nut.do(c, get("getNamespaceBlob", blob)); r.status != 200 || !bytes.Equal(r.body, nsProbeBlob) {
		c.Errorf("GET %s: %s, want the bytes %q", blob, r, nsProbeBlob)
	} else if l.nut.cov != nil {
		l.nut.cov.op("getNamespaceBlob", true)
	}

	other := p.contractPath(contractAddress(nsAPIName, p.vkey.Address(), 98))
	l.nut.fails(c, get("getNamespaceContract", other), 404, "unknown_contract")
	l.nut.fails(c, request{op: "viewNamespaceContract", method: http.MethodPost, target: other + "/view", body: []byte(`{"function":"answer","gas_limit":"1000"}`)}, 404, "unknown_contract")
	l.nut.fails(c, get("getNamespaceContractState", other+"/state/0x6b"), 404, "unknown_contract")
	l.nut.fails(c, get("getNamespaceContractState", cpath+"/state/0x00"), 404, "not_found")
	l.nut.fails(c, get("getNamespaceBlob", p.base+"/blobs/"+nsCID([]byte("never stored"))), 404, "not_found")
	l.nut.fails(c, request{op: "viewNamespaceContract", method: http.MethodPost, target: cpath + "/view", body: []byte(`{"function":"answer","gas_limit":"0"}`)}, 400, "invalid_request")
}

// checkValue: deposits by the deposit authority (the genesis's first
// validator) credit an account, once per source; one signed by another key
// is refused; withdrawals debit; a call moves value to the contract.
func (p *nsPhase) checkValue(c *C) {
	p.need(c, &p.deployStep, p.deploy)
	l := p.l
	u := p.user.k.Address()
	src := func(i byte) types.Hash { var h types.Hash; h[31] = i; return h }
	deposit := func(s *nsSigner, asset types.Asset, amount uint64, source types.Hash) ([]byte, types.Hash) {
		return s.next(types.NamespaceRequestKindDeposit, &types.NsDeposit{Asset: asset, Amount: amount, To: u, Source: source}, nil)
	}
	withdraw := func(asset types.Asset, amount uint64) ([]byte, types.Hash) {
		return p.user.next(types.NamespaceRequestKindWithdraw, &types.NsWithdraw{Asset: asset, Amount: amount, To: u}, nil)
	}
	deposits, withdrawals := p.base+"/deposits", p.base+"/withdrawals"

	body, id := deposit(p.auth, types.AssetOrama, 1000, src(1))
	p.submitted(c, "namespaceDeposit", deposits, body, id, types.NsStatusOk)
	body, id = deposit(p.auth, types.AssetBTC, 5, src(2))
	p.submitted(c, "namespaceDeposit", deposits, body, id, types.NsStatusOk)
	body, id = deposit(p.auth, types.AssetOrama, 1000, src(1))
	p.submitted(c, "namespaceDeposit", deposits, body, id, types.NsStatusDuplicateDeposit)
	// Another key's deposit is refused before ordering: nothing logged, no nonce used.
	body, _ = p.user.at(p.user.nonce, types.NamespaceRequestKindDeposit, &types.NsDeposit{Asset: types.AssetOrama, Amount: 1, To: u, Source: src(3)}, nil, nil)
	l.nut.fails(c, request{op: "namespaceDeposit", method: http.MethodPost, target: deposits, body: body}, 403, "not_authority")

	body, id = withdraw(types.AssetOrama, 400)
	p.submitted(c, "namespaceWithdraw", withdrawals, body, id, types.NsStatusOk)
	body, id = withdraw(types.AssetOrama, 10_000)
	p.submitted(c, "namespaceWithdraw", withdrawals, body, id, types.NsStatusInsufficientBalance)
	body, _ = p.user.at(p.user.nonce, types.NamespaceRequestKindWithdraw, &types.NsWithdraw{Asset: types.AssetOrama, Amount: 0, To: u}, nil, nil)
	l.nut.fails(c, request{op: "namespaceWithdraw", method: http.MethodPost, target: withdrawals, body: body}, 400, "invalid_request")

	// 100 rays sent with a call move to the contract.
	call := nsCall(p.probe, "answer", nil)
	call.OramaValue = 100
	body, id = p.user.next(types.NamespaceRequestKindCall, call, nil)
	p.submitted(c, "callNamespaceContract", p.contractPath(p.probe)+"/call", body, id, types.NsStatusOk)
	call = nsCall(p.probe, "answer", nil)
	call.BTCValue = 6
	body, id = p.user.next(types.NamespaceRequestKindCall, call, nil)
	p.submitted(c, "callNamespaceContract", p.contractPath(p.probe)+"/call", body, id, types.NsStatusInsufficientValue)

	for _, a := range []struct {
		who              string
		id               string
		orama, btc, nonc uint64
		code             string
	}{
		{"the user", crypto.FormatAddress(u), 500, 5, p.user.nonce, hashHex(types.Hash{})},
		{"the user (0x form)", "0x" + hex.EncodeToString(u[:]), 500, 5, p.user.nonce, hashHex(types.Hash{})},
		{"the deposit authority", crypto.FormatAddress(p.vkey.Address()), 0, 0, p.auth.nonce, hashHex(types.Hash{})},
		{"the probe contract", crypto.FormatAddress(p.probe), 100, 0, 0, hashHex(sha256.Sum256(nsProbeModule))},
	} {
		var acc api.NamespaceAccount
		target := p.base + "/accounts/" + a.id + "?min_position=" + u64s(p.head)
		if l.nut.get(c, "getNamespaceAccount", target, &acc) &&
			(acc.Orama != u64s(a.orama) || acc.Btc != u64s(a.btc) || acc.Nonce != u64s(a.nonc) || acc.CodeHash != a.code || atou(acc.Position) < p.head) {
			c.Errorf("GET %s (%s): %s; want orama %d, btc %d, nonce %d, code hash %s, position at least %d",
				target, a.who, jsonOf(acc), a.orama, a.btc, a.nonc, a.code, p.head)
		}
	}
	var ct api.NamespaceContract
	if l.nut.get(c, "getNamespaceContract", p.contractPath(p.probe), &ct) && (ct.Orama != "100" || ct.Btc != "0") {
		c.Errorf("GET %s: %s; want orama 100 (sent with a call)", p.contractPath(p.probe), jsonOf(ct))
	}
}

// slow is a request sent while a check does other things: query_timeout
// and behind take seconds to answer.
type slow struct {
	q    request
	done chan struct{}
	r    *reply
	err  error
}

func (cl *client) start(ctx context.Context, q request) *slow {
	s := &slow{q: q, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.r, s.err = cl.send(ctx, q)
	}()
	return s
}

func (s *slow) wait(c *C) (*reply, error) {
	select {
	case <-s.done:
		return s.r, s.err
	case <-c.ctx.Done():
		c.Setupf("interrupted")
		return nil, nil
	}
}

// checkSQL: a contract's statements (spec/hostfuncs.yaml orama.db.execute:
// status words ok, sql_constraint, sql_denied) and what GET and POST
// .../query read of them, with every JSON value type; the refusals of a
// query: a syntax error, a denied table, a write, a row over the 4 MiB
// answer.
func (p *nsPhase) checkSQL(c *C) {
	p.need(c, &p.deployStep, p.deploy)
	l := p.l
	exec := func(sql string, status uint64) {
		body, id := p.user.next(types.NamespaceRequestKindCall, nsCall(p.sqlc, "exec", []byte(sql)), nil)
		res, ok := p.submitted(c, "callNamespaceContract", p.contractPath(p.sqlc)+"/call", body, id, types.NsStatusOk)
		if ok && (len(res.Outcome.Results) != 1 || res.Outcome.Results[0] != u64s(status)) {
			c.Errorf("db.execute %q: results %v; want the status word %d (spec/hostfuncs.yaml codes)", sql, res.Outcome.Results, status)
		}
	}
	exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, r REAL, b BLOB)", 0)
	exec("INSERT INTO kv (k, v, r, b) VALUES ('a', 1, 0.5, x'00ff'), ('b', -2, NULL, NULL), ('c', 3, 1.5, x'')", 0)
	exec("INSERT INTO kv (k, v) VALUES ('a', 9)", 5)
	exec("INSERT INTO kv (k, v) VALUES ('d', random())", 7)
	exec("SELEC", 4)

	q := func(target string, want string) {
		var res api.NamespaceQueryResult
		if l.nut.get(c, "queryNamespace", target, &res) && (string(res.Rows) != want || res.Truncated || atou(res.Position) < p.head) {
			c.Errorf("GET %s: %s; want rows %s at position %d or later", target, jsonOf(res), want, p.head)
		}
	}
	sel := url.QueryEscape("SELECT k, v, r, b FROM kv ORDER BY k")
	q(p.base+"/query?sql="+sel+"&min_position="+u64s(p.head),
		`[[{"t":"a"},{"i":"1"},{"r":0.5},{"b":"0x00ff"}],[{"t":"b"},{"i":"-2"},null,null],[{"t":"c"},{"i":"3"},{"r":1.5},{"b":"0x"}]]`)
	var res api.NamespaceQueryResult
	if l.nut.get(c, "queryNamespace", p.base+"/query?sql="+sel, &res) && !slices.Equal(res.Columns, []string{"k", "v", "r", "b"}) {
		c.Errorf("query: columns %v; want [k v r b]", res.Columns)
	}
	q(p.base+"/query?sql="+url.QueryEscape("SELECT 1 AS one, 'x' AS t, x'00ff' AS b, 0.5 AS r, NULL AS n"), `[[{"i":"1"},{"t":"x"},{"b":"0x00ff"},{"r":0.5},null]]`)
	post := func(body, want string) {
		var res api.NamespaceQueryResult
		if l.nut.post(c, "queryNamespaceWithParams", p.base+"/query", []byte(body), &res) && string(res.Rows) != want {
			c.Errorf("POST %s/query %s: rows %s; want %s", p.base, body, res.Rows, want)
		}
	}
	post(`{"sql":"SELECT v FROM kv WHERE k = ?1","params":[{"t":"b"}]}`, `[[{"i":"-2"}]]`)
	post(`{"sql":"SELECT ?1 + 1, ?2, ?3, ?4, ?5","params":[{"i":"-5"},{"t":"y"},{"r":2.5},{"b":"0x0102"},null]}`,
		`[[{"i":"-4"},{"t":"y"},{"r":2.5},{"b":"0x0102"},null]]`)

	bad := func(sql string, status int, code string) {
		l.nut.fails(c, get("queryNamespace", p.base+"/query?sql="+url.QueryEscape(sql)), status, code)
	}
	bad("SELEC", 400, "sql_error")
	bad("SELECT nothing FROM nowhere", 400, "sql_error")
	bad("SELECT * FROM _orama_txlog", 403, "sql_denied")
	bad("SELECT name FROM sqlite_master", 403, "sql_denied")
	bad("CREATE TABLE t (x)", 403, "sql_read_only")
	bad("DELETE FROM kv", 403, "sql_read_only")
	// One row of 3 MB, 6 MB as JSON: over the 4 MiB answer alone.
	bad("SELECT zeroblob(1000000), zeroblob(1000000), zeroblob(1000000)", 413, "result_too_large")
	l.nut.fails(c, request{op: "queryNamespaceWithParams", method: http.MethodPost, target: p.base + "/query",
		body: []byte(`{"sql":"SELECT * FROM kv WHERE k = ?1","params":[{"t":"a"}],"extra":1}`)}, 400, "bad_request")
	l.nut.fails(c, request{op: "queryNamespaceWithParams", method: http.MethodPost, target: p.base + "/query",
		body: []byte(`{"sql":"SELECT ?1","params":[{"i":"9223372036854775808"}]}`)}, 400, "bad_request")
	l.nut.fails(c, request{op: "queryNamespaceWithParams", method: http.MethodPost, target: p.base + "/query",
		body: []byte(`{"sql":"DELETE FROM kv WHERE k = ?1","params":[{"t":"a"}]}`)}, 403, "sql_read_only")
	q(p.base+"/query?sql="+url.QueryEscape("SELECT count(*) FROM kv"), `[[{"i":"3"}]]`)
}

// checkTimeLimits: a query still running after the node's limit (2 s by
// default) is interrupted, and a read that waits for a position the node
// never reaches gives up after at most 5 s; sent together, since each
// takes seconds.
func (p *nsPhase) checkTimeLimits(c *C) {
	p.need(c, &p.hostStep, p.createAndHost)
	l := p.l
	far := u64s(p.head + 1_000_000)
	countUp := url.QueryEscape("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c")
	timeout := l.nut.start(c.ctx, get("queryNamespace", p.base+"/query?sql="+countUp))
	behind := []*slow{
		l.nut.start(c.ctx, get("getNamespaceAccount", p.base+"/accounts/"+crypto.FormatAddress(p.user.k.Address())+"?min_position="+far)),
		l.nut.start(c.ctx, get("queryNamespace", p.base+"/query?sql=SELECT%201&min_position="+far)),
	}
	r, err := timeout.wait(c)
	l.nut.expected(c, timeout.q, r, err, 400, "query_timeout")
	for _, s := range behind {
		r, err := s.wait(c)
		if l.nut.expected(c, s.q, r, err, 503, "behind") && r.header.Get("Retry-After") == "" {
			c.Errorf("%s %s: 503 behind without Retry-After", s.q.method, s.q.target)
		}
	}
	// The node still answers queries.
	var res api.NamespaceQueryResult
	if l.nut.get(c, "queryNamespace", p.base+"/query?sql=SELECT%202", &res) && string(res.Rows) != `[[{"i":"2"}]]` {
		c.Errorf("SELECT 2 after the interrupted query: rows %s", res.Rows)
	}
}

// pageEvents reads every page of an events query and returns the
// positions, checking each event against the probe's store calls.
func (p *nsPhase) pageEvents(c *C, query string) []uint64 {
	var out []uint64
	cursor := ""
	for range 10 {
		target := p.base + "/events?" + query
		if cursor != "" {
			target += "&cursor=" + url.QueryEscape(cursor)
		}
		var page api.NamespaceEventPage
		if !p.l.nut.get(c, "getNamespaceEvents", target, &page) {
			return nil
		}
		for _, e := range page.Events {
			pos := atou(e.Position)
			i := slices.Index(p.stored, pos)
			if i < 0 || e.Index != 0 || e.Topic != "stored" || e.Data != "0x07" || e.Emitter != crypto.FormatAddress(p.probe) ||
				e.Caller != crypto.FormatAddress(p.user.k.Address()) || e.CallId != hashHex(p.storeIDs[i]) {
				c.Errorf("GET %s: event %s is none of the store calls' (positions %v)", target, jsonOf(e), p.stored)
			}
			out = append(out, pos)
		}
		if page.NextCursor == nil {
			return out
		}
		cursor = *page.NextCursor
	}
	c.Errorf("GET %s/events?%s: more than 10 pages", p.base, query)
	return out
}

// checkEvents: the probe's events by contract, topic, caller and position
// range, in both orders, a page at a time.
func (p *nsPhase) checkEvents(c *C) {
	p.need(c, &p.storeStep, p.store)
	l := p.l
	s := p.stored
	probe := url.QueryEscape(crypto.FormatAddress(p.probe))
	user := url.QueryEscape(crypto.FormatAddress(p.user.k.Address()))
	rev := slices.Clone(s)
	slices.Reverse(rev)
	for _, tc := range []struct {
		query string
		want  []uint64
	}{
		{"topic=stored", s},
		{"contract=" + probe, s},
		{"contract=" + probe + "&topic=stored&limit=1", s},
		{"caller=" + user + "&limit=2", s},
		{"order=desc&limit=1", rev},
		{"order=desc&limit=2&contract=" + probe, rev},
		{"from_position=" + u64s(s[1]), s[1:]},
		{"to_position=" + u64s(s[1]) + "&limit=1", s[:2]},
		{"from_position=" + u64s(s[1]) + "&to_position=" + u64s(s[1]), s[1:2]},
		{"from_position=" + u64s(s[1]) + "&order=desc", []uint64{s[2], s[1]}},
		{"topic=none", nil},
		{"contract=" + url.QueryEscape(crypto.FormatAddress(p.sqlc)), nil},
		{"caller=" + url.QueryEscape(crypto.FormatAddress(p.vkey.Address())), nil},
	} {
		if got := p.pageEvents(c, tc.query); !slices.Equal(got, tc.want) {
			c.Errorf("GET %s/events?%s: positions %v; want %v", p.base, tc.query, got, tc.want)
		}
	}
	for _, q := range []string{"cursor=AAAAAAAAAAAAAAAAAA", "limit=0", "limit=1001", "contract=nobody"} {
		code := "invalid_parameter"
		if strings.HasPrefix(q, "contract=") {
			code = "invalid_account"
		}
		l.nut.fails(c, get("getNamespaceEvents", p.base+"/events?"+q), 400, code)
	}
}

// checkTxLog: the log the node serves is the suite's requests in order,
// positions 1, 2, ... hash-chained from the genesis entry hash, each
// entry's Borsh what its JSON and hash say; pages and single entries.
func (p *nsPhase) checkTxLog(c *C) {
	p.need(c, &p.storeStep, p.store)
	l := p.l
	head := p.head
	var tl api.NamespaceTxLogPage
	if !l.nut.get(c, "getNamespaceTxLog", p.base+"/txlog", &tl) {
		return
	}
	if tl.Head != u64s(head) || len(tl.Entries) != int(head) || tl.NextFrom != nil {
		c.Errorf("GET %s/txlog: head %s, %d entries, next_from %v; the suite's requests make %d", p.base, tl.Head, len(tl.Entries), jsonOf(tl.NextFrom), head)
	}
	prev := nsGenesisHash(types.NamespaceMeta{Name: nsAPIName, Tier: types.NamespaceTierTier1, Owner: p.vkey.Address(), CreatedHeight: p.created})
	var lastHeight uint64
	for i, e := range tl.Entries {
		pos := uint64(i + 1)
		b, err := parseHex(string(e.Borsh))
		var entry types.TxLogEntry
		if err == nil {
			err = entry.UnmarshalBorsh(b)
		}
		if err != nil {
			c.Errorf("txlog entry %d: its Borsh does not decode: %v", pos, err)
			continue
		}
		h := sha256.Sum256(b)
		var reqHash types.Hash
		if rb, err := entry.Submission.Request.MarshalBorsh(); err == nil {
			reqHash = sha256.Sum256(rb)
		}
		switch {
		case e.Position != u64s(pos) || entry.Position != pos || entry.Namespace != nsAPIName:
			c.Errorf("txlog entry %d: position %s (Borsh %d), namespace %q", pos, e.Position, entry.Position, entry.Namespace)
		case e.Hash != hashHex(h):
			c.Errorf("txlog entry %d: hash %s; SHA-256 of its Borsh is %s", pos, e.Hash, hashHex(h))
		case entry.PrevHash != prev || e.Entry.PrevHash != hashHex(prev):
			c.Errorf("txlog entry %d: prev_hash %s; want %s (the hash of entry %d, or the genesis entry hash)", pos, hashHex(entry.PrevHash), hashHex(prev), pos-1)
		case reqHash != p.logged[pos]:
			c.Errorf("txlog entry %d: its request's SHA-256 is %s; the suite's request at that position has call id %s", pos, hashHex(reqHash), hashHex(p.logged[pos]))
		case e.Entry.Position != e.Position || e.Entry.Root != hashHex(entry.Root) || string(e.Entry.Outcome.Status) != entry.Outcome.Status.String():
			c.Errorf("txlog entry %d: the JSON entry is not its Borsh: %s", pos, jsonOf(e.Entry))
		case entry.Root == types.Hash{}:
			c.Errorf("txlog entry %d: root 0^32 in a Tier 1 namespace", pos)
		case entry.ChainHeight < lastHeight || entry.ChainHeight < p.created:
			c.Errorf("txlog entry %d: chain_height %d after %d (non-decreasing, at least the create's height %d)", pos, entry.ChainHeight, lastHeight, p.created)
		}
		lastHeight = entry.ChainHeight
		prev = h
	}
	var st api.NamespaceStatus
	if l.nut.get(c, "getNamespaceStatus", p.base+"/status", &st) && len(tl.Entries) > 0 {
		last := tl.Entries[len(tl.Entries)-1]
		if st.Position == nil || *st.Position != tl.Head || st.EntryHash == nil || *st.EntryHash != last.Hash || st.Root == nil || *st.Root != last.Entry.Root {
			c.Errorf("GET %s/status: position %v, entry_hash %v, root %v; want the head entry's %s, %s, %s",
				p.base, jsonOf(st.Position), jsonOf(st.EntryHash), jsonOf(st.Root), last.Position, last.Hash, last.Entry.Root)
		}
	}

	// Pages.
	if head >= 3 {
		var pg api.NamespaceTxLogPage
		if l.nut.get(c, "getNamespaceTxLog", p.base+"/txlog?from=2&limit=2", &pg) &&
			(len(pg.Entries) != 2 || pg.Entries[0].Position != "2" || pg.Entries[1].Position != "3" || pg.NextFrom == nil || *pg.NextFrom != "4" ||
				pg.Entries[0].Hash != tl.Entries[1].Hash || pg.Entries[1].Hash != tl.Entries[2].Hash) {
			c.Errorf("GET %s/txlog?from=2&limit=2: %d entries, next_from %v; want entries 2 and 3 as the full log has them, next_from 4",
				p.base, len(pg.Entries), jsonOf(pg.NextFrom))
		}
	}
	var pg api.NamespaceTxLogPage
	if l.nut.get(c, "getNamespaceTxLog", p.base+"/txlog?from="+u64s(head+1), &pg) && (len(pg.Entries) != 0 || pg.NextFrom != nil) {
		c.Errorf("GET %s/txlog?from=%d (after the head): %d entries, next_from %v; want none", p.base, head+1, len(pg.Entries), jsonOf(pg.NextFrom))
	}
	for _, pos := range []uint64{1, head} {
		var item api.NamespaceTxLogItem
		if l.nut.get(c, "getNamespaceTxLogEntry", p.base+"/txlog/"+u64s(pos), &item) && int(pos) <= len(tl.Entries) &&
			(item.Position != u64s(pos) || item.Hash != tl.Entries[pos-1].Hash || item.Borsh != tl.Entries[pos-1].Borsh) {
			c.Errorf("GET %s/txlog/%d: %s; want the page's entry %d", p.base, pos, jsonOf(item), pos)
		}
	}
	l.nut.fails(c, get("getNamespaceTxLogEntry", p.base+"/txlog/"+u64s(head+1000)), 404, "not_found")
	l.nut.fails(c, get("getNamespaceTxLog", p.base+"/txlog?limit=0"), 400, "invalid_parameter")
}

// checkRefusals: requests refused before ordering, each with its code,
// logging nothing and using no nonce (spec/namespaces.md 3.2), and a read
// that waits for a position the node never reaches: 503 behind.
func (p *nsPhase) checkRefusals(c *C) {
	p.need(c, &p.deployStep, p.deploy)
	l := p.l
	u := p.user
	acct := p.base + "/accounts/" + crypto.FormatAddress(u.k.Address())

	head, nonce := p.head, u.nonce
	cpath := p.contractPath(p.probe)
	callAt := func(n uint64, call *types.NsCall, mut func(*types.NamespaceRequest)) []byte {
		b, _ := u.at(n, types.NamespaceRequestKindCall, call, nil, mut)
		return b
	}
	post := func(op, target string, body []byte) request {
		return request{op: op, method: http.MethodPost, target: target, body: body}
	}
	good := nsCall(p.probe, "answer", nil)
	zeroGas := nsCall(p.probe, "answer", nil)
	zeroGas.GasLimit = 0
	tooMuchGas := nsCall(p.probe, "answer", nil)
	tooMuchGas.GasLimit = 1_000_000_001
	internal := nsCall(p.probe, "__orama_init", nil)
	for _, tc := range []struct {
		what   string
		q      request
		status int
		code   string
	}{
		{"gas_limit 0", post("callNamespaceContract", cpath+"/call", callAt(nonce, zeroGas, nil)), 400, "invalid_request"},
		{"gas_limit over MaxNamespaceCallGas", post("callNamespaceContract", cpath+"/call", callAt(nonce, tooMuchGas, nil)), 400, "invalid_request"},
		{"a function starting with __orama_", post("callNamespaceContract", cpath+"/call", callAt(nonce, internal, nil)), 400, "invalid_request"},
		{"a call to another contract than the path's", post("callNamespaceContract", p.contractPath(p.sqlc)+"/call", callAt(nonce, good, nil)), 400, "invalid_request"},
		{"a Call posted as a deploy", post("deployNamespaceContract", p.base+"/contracts", callAt(nonce, good, nil)), 400, "invalid_request"},
		{"a Call posted as a withdrawal", post("namespaceWithdraw", p.base+"/withdrawals", callAt(nonce, good, nil)), 400, "invalid_request"},
		{"a used nonce", post("callNamespaceContract", cpath+"/call", callAt(0, good, nil)), 400, "nonce_too_low"},
		{"a nonce ahead", post("callNamespaceContract", cpath+"/call", callAt(nonce+1, good, nil)), 400, "nonce_gap"},
		{"a broken signature", post("callNamespaceContract", cpath+"/call", callAt(nonce, good, func(r *types.NamespaceRequest) { r.Signature[10] ^= 1 })), 400, "invalid_signature"},
		{"a request for another namespace", post("callNamespaceContract", cpath+"/call", callAt(nonce, good, func(r *types.NamespaceRequest) { r.Namespace = nsUnknown })), 400, "invalid_namespace"},
	} {
		if r, ok := l.nut.expect(c, tc.q, tc.status, tc.code); !ok && r != nil {
			c.Errorf("(that was %s)", tc.what)
		}
	}
	// Signed under another chain's id.
	other := &nsSigner{k: u.k, chainID: liveChainID, name: nsAPIName}
	b, _ := other.at(nonce, types.NamespaceRequestKindCall, good, nil, nil)
	l.nut.fails(c, post("callNamespaceContract", cpath+"/call", b), 400, "invalid_signature")
	// A deploy whose module is not the code hash it signs.
	b, _ = u.at(nonce, types.NamespaceRequestKindDeploy, &types.NsDeploy{CodeHash: sha256.Sum256(nsProbeModule), Args: types.U64s{}, Input: []byte{}, GasLimit: nsCallGas}, nsSQLModule, nil)
	l.nut.fails(c, post("deployNamespaceContract", p.base+"/contracts", b), 400, "invalid_request")
	// A call carrying a module.
	b, _ = u.at(nonce, types.NamespaceRequestKindCall, good, nsProbeModule, nil)
	l.nut.fails(c, post("callNamespaceContract", cpath+"/call", b), 400, "invalid_request")

	// A position reached answers at once.
	var acc api.NamespaceAccount
	if l.nut.get(c, "getNamespaceAccount", acct+"?min_position="+u64s(head), &acc) && (acc.Nonce != u64s(nonce) || acc.Position != u64s(head)) {
		c.Errorf("after the refusals: %s; want nonce %d at position %d (refused requests use no nonce and log nothing)", jsonOf(acc), nonce, head)
	}
	var tl api.NamespaceTxLogPage
	if l.nut.get(c, "getNamespaceTxLog", p.base+"/txlog?from="+u64s(head), &tl) && tl.Head != u64s(head) {
		c.Errorf("after the refusals: the log's head is %s, want %d", tl.Head, head)
	}
}

// verifyNsStateProof checks a contract state value's proof as
// NamespaceStateProof says: the contract's NsAccount under its address in
// the tree of root, then the key's leaf (value Borsh bytes) or its absence
// in the tree of the account's storage_root.
func verifyNsStateProof(sv *api.NamespaceStateValue, contract types.Address) error {
	pf := sv.Proof
	root, err := parseHash(string(pf.Root))
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	var acc types.NsAccount
	if err := fromAPI(pf.Account, &acc); err != nil {
		return fmt.Errorf("account: %w", err)
	}
	accBorsh, err := acc.MarshalBorsh()
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	proof := func(name string, x api.SMTProof) (smt.Proof, error) {
		var f types.SMTProof
		var out smt.Proof
		if err := fromAPI(x, &f); err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		b, err := f.MarshalBorsh()
		if err == nil {
			err = out.UnmarshalBinary(b)
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		return out, nil
	}
	ap, err := proof("account_proof", pf.AccountProof)
	if err != nil {
		return err
	}
	if err := smt.VerifyInclusion(root, contract[:], accBorsh, ap); err != nil {
		return fmt.Errorf("account_proof: the contract's NsAccount %s against root %s: %w", jsonOf(pf.Account), pf.Root, err)
	}
	sp, err := proof("storage_proof", pf.StorageProof)
	if err != nil {
		return err
	}
	key, err := parseHex(string(sv.Key))
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	value, err := parseHex(string(sv.Value))
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	if !pf.Exists {
		if len(value) != 0 {
			return fmt.Errorf("an absent key with value %s", sv.Value)
		}
		return smt.VerifyNonExistence(acc.StorageRoot, key, sp)
	}
	leaf := binary.LittleEndian.AppendUint32(nil, uint32(len(value)))
	return smt.VerifyInclusion(acc.StorageRoot, key, append(leaf, value...), sp)
}
