package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/google/uuid"
	lcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// The spec sections the checks name.
const (
	secOpenAPI       = "spec/openapi.yaml"
	secAdmission     = `spec/state.md "Admission"`
	secFeeNonceType  = `spec/state.md "Fee, nonce, then the type"`
	secBaseFee       = `spec/state.md "The base fee"`
	secBlockValidity = `spec/state.md "Block validity"`
	secGenesis       = `spec/state.md "Block 0 and the genesis hash"`
	secSync          = `spec/consensus.md "Commit proof and block sync"`
	secFollowers     = `spec/consensus.md "Followers, fetched blocks and the inbound queue"`
	secAccountProof  = `spec/openapi.yaml AccountProof; spec/smt.md; spec/consensus.md "Commit rule"`
	secSigning       = "DECISIONS.md D3 (the chain id in the signing preimage)"
	secDisplay       = "spec/accounts.yaml (address display, username rules); DECISIONS.md D11"
)

// The live network's chain ids: the suite's chain, and another one whose
// signatures it must refuse.
const (
	liveChainID  = 7357
	otherChainID = 7358
)

// Key roles on the live chain (testKey indices). Each check that sends
// transactions has keys of its own, so checks never race for a nonce.
const (
	keyValidator   = 0
	keyTransfer    = 1
	keySelf        = 2
	keyClaim       = 3
	keyFailed      = 4
	keyGap         = 5
	keyReplace     = 6
	keyReplay      = 7
	keyHistory     = 8 // also holds genesisName: the history of @name
	keyNonceLow    = 9
	keyRefusals    = 10
	keyKnown       = 11
	keyWhale       = 12 // BTC balance at the u64 maximum
	keyFunded      = 13 // read-only: a funded account for the REST reads
	keyNamespace   = 14 // owns the namespace of tx/namespaces
	keyNsOther     = 15 // tries to take or delete it
	keyNsAPI       = 16 // owns the namespace of rest/namespaces/unavailable
	keyLastFunded  = keyNsAPI
	keyPoolFirst   = 100
	poolSenders    = 128 // 128 x 63 gapped transactions > the 8,000 a node holds for clients
	keyFreshFirst  = 1000
	genesisName    = "genesis-name"
	claimName      = "conformance-claim"
	fundedOrama    = 10_000 * params.RaysPerOrama
	fundedBTC      = 10 * params.SatsPerBTC
	poolOrama      = 100 * params.RaysPerOrama
	validatorStake = 1_000 * params.RaysPerOrama
)

// live is the live network: our validator and the node under test
// following it.
type live struct {
	r        *runner
	g        *types.Genesis
	gh       types.Hash
	set      *consensus.ValidatorSet
	dir      string
	nut      *client // the node under test; its answers count toward coverage
	nutProc  *proc
	val      *client // our validator
	nutStart uint64  // our validator's height when the node under test started
	fresh    int     // next fresh (unfunded) key
}

type liveCheck struct {
	id, spec string
	run      func(c *C)
}

// checks are the live checks in the order they run. The pool-full check
// fills the node's pool for good, so it runs last but for the final
// agreement of the two nodes.
func (l *live) checks() []liveCheck {
	return []liveCheck{
		{"network/sync", secSync + `; spec/consensus.md "Followers, fetched blocks and the inbound queue"`, l.checkSync},
		{"network/genesis", secGenesis, l.checkGenesis},
		{"rest/chain-status", secOpenAPI + " getChainStatus", l.checkChainStatus},
		{"rest/chain-status/base-fee", secBaseFee + " (ChainStatus.base_fee: the next block's)", l.checkStatusBaseFee},
		{"rest/blocks", secOpenAPI + " getLatestBlock, getBlock", l.checkBlocks},
		{"rest/validators", secOpenAPI + " getValidators; spec/consensus.md \"Quorum\" (Effective Power)", l.checkValidators},
		{"rest/evidence", secOpenAPI + " getEvidence; spec/consensus.md \"Equivocation evidence\"", l.checkEvidence},
		{"rest/accounts", secOpenAPI + " getAccount, getBalance; " + secDisplay, l.checkAccounts},
		{"rest/accounts/proof", secAccountProof, l.checkProofs},
		{"rest/transactions", secOpenAPI + " getTransaction", l.checkGetTransaction},
		{"rest/http", secOpenAPI + " (conventions: framing, methods, unknown routes, sizes)", l.checkHTTP},
		{"rest/send/bad-request", secOpenAPI + " sendTransaction (a body that is not one SendRequest)", l.checkSendBadRequest},
		{"rest/send/invalid-transaction", secAdmission + " (strict decoding, the type's stateless rules, gas limit, tip cap)", l.checkSendInvalid},
		{"rest/send/inactive-types", secAdmission + "; DECISIONS.md D10 (inactive types are refused)", l.checkInactiveTypes},
		{"rest/send/fee-too-low", secAdmission + " (fee cap at least MinBaseFee): fee_too_low", l.checkFeeTooLow},
		{"rest/send/invalid-signature", secAdmission + "; " + secSigning + ": invalid_signature", l.checkInvalidSignature},
		{"rest/send/nonce-gap", secAdmission + " (a nonce at most 63 ahead): nonce_gap", l.checkNonceGapRefused},
		{"rest/send/insufficient-balance", secAdmission + " (balance covers gas_limit x fee_cap plus the amount): insufficient_balance", l.checkInsufficient},
		{"rest/send/already-known", secAdmission + " (a hash already pooled or in a block): already_known", l.checkAlreadyKnown},
		{"rest/send/usernames", secAdmission + " (username_taken, username_already_set); " + secDisplay, l.checkUsernameRefusals},
		{"tx/transfer", secFeeNonceType + " (Transfer: fee, nonce, debit, credit, event)", l.checkTransfer},
		{"tx/self-transfer", secFeeNonceType + " (debit before credit: a transfer to oneself nets to zero)", l.checkSelfTransfer},
		{"tx/claim-username", secFeeNonceType + " (ClaimUsername); spec/accounts.yaml username rules", l.checkClaim},
		{"tx/namespaces", secFeeNonceType + " (NamespaceCreate, NamespaceDelete); spec/namespaces.md 3.1, 9 (placement), 10 (GET /v1/namespace, /v1/namespaces)", l.checkNamespaces},
		{"rest/namespaces/bad-input", secNS + " (every namespace operation: invalid_namespace, unknown_namespace)", l.checkNamespaceBadInput},
		{"rest/namespaces/unavailable", secNS + "; spec/namespaces.md 9 (a namespace placed on other nodes: hosted false, 503 namespace_unavailable)", l.checkNamespaceUnavailable},
		{"tx/failed-charged", secFeeNonceType + " (a failed transaction pays its fee and uses its nonce; its effects are voided)", l.checkFailedCharged},
		{"tx/nonce-too-low", secAdmission + " (a nonce already used): nonce_too_low; the same bytes again: already_known", l.checkNonceTooLow},
		{"tx/nonce-gap", secAdmission + `; spec/state.md "Includability" (BadNonce: a gap waits until filled)`, l.checkNonceGapFilled},
		{"tx/replacement", secAdmission + " (replacement needs both caps 10% higher): replacement_underpriced", l.checkReplacement},
		{"tx/replay", secSigning + "; " + secAdmission + " (a transaction replayed from another chain, and on this one)", l.checkReplay},
		{"rest/history", secOpenAPI + " getAccountTransactions (pagination, ordering, usernames)", l.checkHistory},
		{"tx/ledger", secBlockValidity + `; spec/state.md "Block execution", "The base fee" (every block the node serves, every balance it reports)`, l.checkLedger},
		{"rest/send/pool-full", `spec/state.md "Admission" (8 full blocks pooled): pool_full`, l.checkPoolFull},
		{"network/agree", secFollowers + " (the follower reports our validator's head and roots)", l.checkAgree},
	}
}

// livePhase sets up the network and runs the selected live checks.
func (r *runner) livePhase(ctx context.Context) {
	l := &live{r: r, dir: filepath.Join(r.work, "live"), fresh: keyFreshFirst}
	checks := l.checks()
	ids := make([]string, len(checks))
	for i, ch := range checks {
		ids[i] = ch.id
	}
	if !r.anySelected(ids) {
		return
	}
	nutFault, setupErr := l.setUp(ctx)
	told := false
	for _, ch := range checks {
		r.check(ctx, ch.id, ch.spec, func(c *C) {
			if setupErr != nil {
				if nutFault {
					c.Fatalf("the node under test did not join the live network: %v", setupErr)
				}
				c.Setupf("the live network could not be set up: %v", setupErr)
			}
			if done, err := l.nutProc.exited(); done {
				if !told {
					told = true
					c.Fatalf("the node under test has exited (%v); the end of its log:\n%s", err, lastLines(l.nutProc.tail(), 8))
				}
				c.Fatalf("the node under test has exited (%v)", err)
			}
			ch.run(c)
		})
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// setUp writes the genesis and keys, starts our validator, waits for a few
// blocks, then starts the node under test as a follower bootstrapping from
// it. nutFault says whether a failure is the node under test's.
func (l *live) setUp(ctx context.Context) (nutFault bool, err error) {
	r := l.r
	if r.cfg.OramaBin == "" {
		return false, errors.New("no orama binary to run our validator (--orama-bin)")
	}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return false, err
	}
	vkey := testKey(keyValidator)
	pid, err := peerID(vkey)
	if err != nil {
		return false, err
	}
	l.g = liveGenesis(vkey.Address(), pid, uint64(time.Now().Unix()))
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
	if err := writeKeystore(keyPath, vkey); err != nil {
		return false, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return false, err
	}
	valAPI, valP2P, nutAPI, nutP2P := ports[0], ports[1], ports[2], ports[3]

	// Our validator.
	argv := []string{r.cfg.OramaBin, "node",
		"--data-dir", filepath.Join(l.dir, "validator"), "--genesis", genesisPath, "--key", keyPath,
		"--block-time", r.cfg.BlockTime.String(), "--view-timeout", "2s",
		"--api-listen", valAPI, "--p2p-listen", "/ip4/127.0.0.1/tcp/" + portOf(valP2P),
		"--log-format", "text", "--log-level", "info"}
	vp, err := startProc("our validator", argv, cleanEnv(nil), logName(r.work, "our-validator"))
	if err != nil {
		return false, err
	}
	r.procs.add(vp)
	l.val = newClient("our validator", valAPI, r.spec, nil)
	if err := waitReady(ctx, l.val, vp, 30*time.Second); err != nil {
		return false, fmt.Errorf("our validator: %w", err)
	}
	h, err := waitHeight(ctx, l.val, 4, 30*time.Second)
	if err != nil {
		return false, fmt.Errorf("our validator makes no blocks: %w", err)
	}
	l.nutStart = h

	// The node under test: a follower (no key) bootstrapping from ours.
	dataDir := filepath.Join(l.dir, "node-under-test")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, err
	}
	env := cleanEnv(map[string]string{
		"ORAMA_GENESIS":       genesisPath,
		"ORAMA_DATA_DIR":      dataDir,
		"ORAMA_API_LISTEN":    nutAPI,
		"ORAMA_P2P_LISTEN":    "/ip4/127.0.0.1/tcp/" + portOf(nutP2P),
		"ORAMA_P2P_BOOTSTRAP": fmt.Sprintf("/ip4/127.0.0.1/tcp/%s/p2p/%s", portOf(valP2P), pid),
		"ORAMA_BLOCK_TIME":    r.cfg.BlockTime.String(),
	})
	np, err := startProc("adapter run (live network)", []string{r.cfg.Adapter, "run"}, env, logName(r.work, "adapter-run-live"))
	if err != nil {
		return false, err
	}
	r.procs.add(np)
	l.nutProc = np
	l.nut = newClient("the node under test", nutAPI, r.spec, r.cov)
	if err := waitReady(ctx, l.nut, np, 30*time.Second); err != nil {
		return true, err
	}
	return false, nil
}

// liveGenesis is the live chain's genesis: our validator alone, and the
// suite's well-known keys funded.
func liveGenesis(val types.Address, pid string, ts uint64) *types.Genesis {
	g := &types.Genesis{ChainID: liveChainID, Timestamp: ts,
		Validators: []types.Validator{{Address: val, Stake: validatorStake, PeerID: pid}}}
	for i := keyTransfer; i <= keyLastFunded; i++ {
		a := types.GenesisAllocation{Address: testKey(i).Address(), OramaBalance: fundedOrama, BTCBalance: fundedBTC}
		switch i {
		case keyWhale:
			a.BTCBalance = math.MaxUint64
		case keyHistory:
			a.Username = genesisName
		}
		g.Allocations = append(g.Allocations, a)
	}
	for i := range poolSenders {
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: testKey(keyPoolFirst + i).Address(), OramaBalance: poolOrama})
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	return g
}

// peerID is the libp2p peer id of a node whose key is k: the identity of
// the secp256k1 key (our node's rule; a validator's genesis peer_id).
func peerID(k *crypto.PrivateKey) (string, error) {
	b := k.Bytes()
	lk, err := lcrypto.UnmarshalSecp256k1PrivateKey(b[:])
	if err != nil {
		return "", err
	}
	id, err := peer.IDFromPrivateKey(lk)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// writeKeystore writes k as a Web3 Secret Storage v3 file with the empty
// password (light scrypt: our validator starts quickly).
func writeKeystore(path string, k *crypto.PrivateKey) error {
	b, err := keystore.EncryptKey(&keystore.Key{Id: uuid.New(), Address: k.Address(), PrivateKey: k.ECDSA()},
		"", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// adapterVars are the variables of the adapter contract
// (conformance/CLIENT.md).
var adapterVars = []string{"ORAMA_GENESIS", "ORAMA_DATA_DIR", "ORAMA_CHAIN_FILE", "ORAMA_API_LISTEN",
	"ORAMA_P2P_LISTEN", "ORAMA_P2P_BOOTSTRAP", "ORAMA_KEYSTORE", "ORAMA_PASSWORD_FILE",
	"ORAMA_BLOCK_TIME", "ORAMA_VIEW_TIMEOUT"}

// cleanEnv is the environment for a child: ours without the contract's
// variables (a stray ORAMA_KEYSTORE would make a follower a validator),
// then, when set is not nil, every contract variable, empty unless set
// gives it a value. Other variables pass through: an adapter may read its
// own (ours reads ORAMA_BIN).
func cleanEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(adapterVars, k) {
			env = append(env, kv)
		}
	}
	if set == nil {
		return env
	}
	for _, k := range adapterVars {
		env = append(env, k+"="+set[k])
	}
	return env
}

// freePorts returns n loopback host:port addresses free a moment ago.
func freePorts(n int) ([]string, error) {
	var out []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	return out, nil
}

func portOf(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

// waitReady polls GET /v1/chain/status until it answers 200, the process
// exits, or timeout passes (conformance/CLIENT.md: at most 30 s).
func waitReady(ctx context.Context, cl *client, p *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited before its API answered (%v); see its log", p.name, err)
		}
		r, err := cl.send(ctx, request{method: "GET", target: "/v1/chain/status", op: "getChainStatus"})
		switch {
		case err == nil && r.status == 200:
			return nil
		case err != nil:
			last = err.Error()
		default:
			last = r.String()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: GET /v1/chain/status did not answer 200 within %v (last: %s)", p.name, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// status reads GET /v1/chain/status.
func (cl *client) status(ctx context.Context) (*api.ChainStatus, error) {
	r, err := cl.send(ctx, request{method: "GET", target: "/v1/chain/status", op: "getChainStatus"})
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, fmt.Errorf("%s", r)
	}
	var st api.ChainStatus
	if err := json.Unmarshal(r.body, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// waitHeight waits until cl's finalized height is at least h and returns it.
func waitHeight(ctx context.Context, cl *client, h uint64, timeout time.Duration) (uint64, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		st, err := cl.status(ctx)
		if err == nil {
			fh := atou(st.FinalizedHeight)
			if fh >= h {
				return fh, nil
			}
			last = fmt.Sprintf("height %s, finalized %s", st.Height, st.FinalizedHeight)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s did not reach finalized height %d within %v (last: %s)", cl.name, h, timeout, last)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// atou parses a decimal u64 string, 0 when it is not one.
func atou(s string) uint64 {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func u64s(n uint64) string { return strconv.FormatUint(n, 10) }

// freshKey returns a key no genesis funds and no check used before.
func (l *live) freshKey() *crypto.PrivateKey {
	k := testKey(l.fresh)
	l.fresh++
	return k
}

// block reads block id (height or hash) from cl and checks its header:
// the JSON fields are its Borsh encoding, whose SHA-256 is the hash shown.
func (l *live) block(c *C, cl *client, id string) (*api.Block, types.BlockHeader, types.Hash, bool) {
	var b api.Block
	op, target := "getBlock", "/v1/blocks/"+id
	if id == "latest" {
		op = "getLatestBlock"
	}
	if !cl.get(c, op, target, &b) {
		return nil, types.BlockHeader{}, types.Hash{}, false
	}
	hd, hh, err := headerFromAPI(b.Header)
	if err != nil {
		c.Errorf("%s: block %s: %v", cl.name, id, err)
		return nil, types.BlockHeader{}, types.Hash{}, false
	}
	if string(b.Hash) != hashHex(hh) {
		c.Errorf("%s: block %s shown with hash %s; SHA-256 of its header is %s (DECISIONS.md D5)", cl.name, id, b.Hash, hashHex(hh))
		return nil, types.BlockHeader{}, types.Hash{}, false
	}
	return &b, hd, hh, true
}

// checkSync: the node under test, started after our validator had made
// blocks, reaches that height over the p2p protocol with exactly our
// blocks.
func (l *live) checkSync(c *C) {
	if _, err := waitHeight(c.ctx, l.nut, l.nutStart, 60*time.Second); err != nil {
		c.Fatalf("the node under test did not sync from genesis: %v", err)
	}
	for h := uint64(0); h <= l.nutStart; h++ {
		_, _, ours, ok1 := l.block(c, l.val, u64s(h))
		_, _, theirs, ok2 := l.block(c, l.nut, u64s(h))
		if ok1 && ok2 && ours != theirs {
			c.Errorf("block %d: the node under test holds %s, our validator %s", h, hashHex(theirs), hashHex(ours))
		}
	}
}

// checkGenesis: chain id, genesis hash and block 0 as the genesis file
// alone gives them.
func (l *live) checkGenesis(c *C) {
	var st api.ChainStatus
	if !l.nut.get(c, "getChainStatus", "/v1/chain/status", &st) {
		return
	}
	if st.ChainId != u64s(liveChainID) {
		c.Errorf("chain_id %s, the genesis says %d", st.ChainId, liveChainID)
	}
	if string(st.GenesisHash) != hashHex(l.gh) {
		c.Errorf("genesis_hash %s; SHA-256 of the Borsh genesis is %s", st.GenesisHash, hashHex(l.gh))
	}
	want, err := genesisHeader(l.g)
	if err != nil {
		c.Setupf("genesis header: %v", err)
	}
	_, got, _, ok := l.block(c, l.nut, "0")
	if !ok {
		return
	}
	if !deepEqual(&got, &want) {
		c.Errorf("block 0: got %s, the genesis gives %s", jsonOf(got), jsonOf(want))
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// checkAgree: at the end, the node under test reaches our validator's head
// with the same blocks and state roots.
func (l *live) checkAgree(c *C) {
	vs, err := l.val.status(c.ctx)
	if err != nil {
		c.Setupf("our validator: %v", err)
	}
	target := atou(vs.FinalizedHeight)
	if _, err := waitHeight(c.ctx, l.nut, target, 30*time.Second); err != nil {
		c.Fatalf("the node under test does not follow new blocks: %v", err)
	}
	ns, err := l.nut.status(c.ctx)
	if err != nil {
		c.Fatalf("%v", err)
	}
	if ns.GenesisHash != vs.GenesisHash || ns.ChainId != vs.ChainId {
		c.Errorf("chain status: genesis %s chain %s, ours %s chain %s", ns.GenesisHash, ns.ChainId, vs.GenesisHash, vs.ChainId)
	}
	from := l.nutStart
	if target > 400 {
		from = max(from, target-400)
	}
	for h := from; h <= target; h++ {
		_, oh, ours, ok1 := l.block(c, l.val, u64s(h))
		_, th, theirs, ok2 := l.block(c, l.nut, u64s(h))
		if !ok1 || !ok2 {
			continue
		}
		if ours != theirs || oh.StateRoot != th.StateRoot {
			c.Errorf("block %d: the node under test has hash %s state root %s, our validator %s and %s",
				h, hashHex(theirs), hashHex(th.StateRoot), hashHex(ours), hashHex(oh.StateRoot))
		}
	}
}
