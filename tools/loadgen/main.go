// Command loadgen loads a devnet of Orama nodes with signed ORAMA transfers
// through their REST APIs and measures what the chain finalizes.
//
//	go run ./tools/loadgen --api http://127.0.0.1:8601,http://127.0.0.1:8602 --rate 2500 --duration 60s
//
// The senders are the deterministic keys cryptotest.Key(1000+i), i <
// --accounts, which `orama devnet` funds; each sends 1 ray to the next. The
// transfers are signed ahead of time, nonces strictly sequential per sender,
// and no sender gets --window or more transactions ahead of its finalized
// nonce (the mempool refuses a sender more than 64 ahead), so the rate
// needs enough senders: at most accounts*window transactions are in flight.
//
// Throughput counts only final blocks: the transactions of the blocks in
// (h0, h1], where h0 and h1 are the first API's finalized_height at the
// start and end of the measured window (after --warmup), divided by the
// window's wall-clock length. Finality latency is measured on
// --latency-samples transactions spread over the window, polling GET
// /v1/transactions/{hash} every 50 ms. At the end every block in (h0, h1] is
// fetched from every API and the header hashes and state roots compared:
// any difference is a safety violation (exit status 1). --min-tps and
// --max-p50 set bars that also fail the run. The first interrupt ends the
// window early and reports; a second aborts.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

const (
	// keyBase is the first load key: the devnet funds cryptotest.Key(keyBase+i).
	keyBase = 1000
	// maxAccounts is how many load keys the devnet funds.
	maxAccounts = 512
	// mempoolPerSender is the node's per-sender limit
	// (mempool.DefaultMaxTxsPerSender): a nonce must be less than the
	// account nonce plus this.
	mempoolPerSender = 64
)

type config struct {
	apis           []string
	accounts       int
	rate           float64
	duration       time.Duration
	warmup         time.Duration
	conns          int
	latencySamples int
	window         int
	jsonOut        bool
	progress       time.Duration
	minTPS         float64
	minTPSSet      bool
	maxP50         time.Duration
	maxP50Set      bool

	// Not flags.
	latencyTimeout time.Duration // a sample not in a block by then is unfinalized
	safetyWait     time.Duration // how long to wait for laggards to reach h1
	stallTimeout   time.Duration // no finality progress for a sender: resend its in-flight transactions
	blockPoll      time.Duration
	txPoll         time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{
		latencyTimeout: 60 * time.Second,
		safetyWait:     30 * time.Second,
		stallTimeout:   15 * time.Second,
		blockPoll:      100 * time.Millisecond,
		txPoll:         50 * time.Millisecond,
	}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiList := fs.String("api", "http://127.0.0.1:8545", "comma-separated REST API base URLs; transactions go round-robin, the first one is measured")
	fs.IntVar(&cfg.accounts, "accounts", 256, "senders: cryptotest.Key(1000+i) for i < N (at most 512)")
	fs.Float64Var(&cfg.rate, "rate", 2500, "target submitted transactions per second")
	fs.DurationVar(&cfg.duration, "duration", 60*time.Second, "measured window")
	fs.DurationVar(&cfg.warmup, "warmup", 5*time.Second, "load before the measured window")
	fs.IntVar(&cfg.conns, "conns", 64, "HTTP connections (concurrent submissions)")
	fs.IntVar(&cfg.latencySamples, "latency-samples", 200, "transactions whose finality latency is measured, spread over the window")
	fs.IntVar(&cfg.window, "window", 48, fmt.Sprintf("most transactions a sender may have beyond its finalized nonce (at most %d, the mempool's limit)", mempoolPerSender))
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the result as one JSON object")
	fs.DurationVar(&cfg.progress, "progress", 5*time.Second, "progress line interval on stderr (0: none)")
	fs.Float64Var(&cfg.minTPS, "min-tps", 0, "fail (exit 1) below this finalized tx/s")
	fs.DurationVar(&cfg.maxP50, "max-p50", 0, "fail (exit 1) if the median finality latency exceeds this")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "min-tps":
			cfg.minTPSSet = true
		case "max-p50":
			cfg.maxP50Set = true
		}
	})
	for _, u := range strings.Split(*apiList, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("--api %q: want http://host:port", u)
		}
		cfg.apis = append(cfg.apis, u)
	}
	switch {
	case len(cfg.apis) == 0:
		return nil, errors.New("--api: no URL")
	case cfg.accounts < 1 || cfg.accounts > maxAccounts:
		return nil, fmt.Errorf("--accounts %d: want 1..%d", cfg.accounts, maxAccounts)
	case !(cfg.rate > 0):
		return nil, fmt.Errorf("--rate %v: want > 0", cfg.rate)
	case cfg.duration <= 0:
		return nil, fmt.Errorf("--duration %v: want > 0", cfg.duration)
	case cfg.warmup < 0:
		return nil, fmt.Errorf("--warmup %v: want >= 0", cfg.warmup)
	case cfg.conns < 1:
		return nil, fmt.Errorf("--conns %d: want >= 1", cfg.conns)
	case cfg.latencySamples < 0:
		return nil, fmt.Errorf("--latency-samples %d: want >= 0", cfg.latencySamples)
	case cfg.window < 1 || cfg.window > mempoolPerSender:
		return nil, fmt.Errorf("--window %d: want 1..%d", cfg.window, mempoolPerSender)
	}
	return cfg, nil
}

func main() {
	hard, hardCancel := context.WithCancel(context.Background())
	soft, softCancel := context.WithCancel(hard)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "loadgen: interrupted: ending the window and reporting (interrupt again to abort)")
		softCancel()
		<-sig
		hardCancel()
	}()
	os.Exit(run(hard, soft, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: hard aborts everything; soft (a child of hard) ends
// the window early and skips the waits. It returns the exit status.
func run(hard, soft context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}
	g := &gen{cfg: cfg, log: stderr}
	rep, err := g.run(hard, soft)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		if soft.Err() != nil {
			return 130 // interrupted (soft is a child of hard)
		}
		return 1
	}
	rep.checkBars(cfg)
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
	} else {
		rep.print(stdout, cfg)
	}
	switch {
	case rep.SafetyViolations > 0 || len(rep.Failed) > 0:
		return 1
	case rep.Interrupted:
		return 130
	}
	return 0
}

// job is one submission for a worker.
type job struct {
	tx     *signedTx
	sample bool
}

// gen is one run of the generator.
type gen struct {
	cfg *config
	log io.Writer

	apis     []*api
	chainID  uint64
	sched    *scheduler
	counts   counters
	phase    atomic.Int32
	rr       atomic.Uint64
	behind   atomic.Int64
	sampler  sampler
	follower *follower

	failMu   sync.Mutex
	failErr  error
	stopLoad context.CancelFunc

	latMu       sync.Mutex
	latencies   []time.Duration
	unfinalized int
	pollers     sync.WaitGroup

	seenMu sync.Mutex
	seen   map[string]bool // rejection kinds already logged
}

func (g *gen) logf(format string, a ...any) {
	fmt.Fprintf(g.log, "loadgen: "+format+"\n", a...)
}

// fail records a fatal error and stops the load.
func (g *gen) fail(err error) {
	g.failMu.Lock()
	if g.failErr == nil {
		g.failErr = err
	}
	g.failMu.Unlock()
	g.stopLoad()
}

func (g *gen) failed() error {
	g.failMu.Lock()
	defer g.failMu.Unlock()
	return g.failErr
}

// probe checks every API answers and that all serve the same chain.
func (g *gen) probe(ctx context.Context) ([]statusInfo, error) {
	sts := make([]statusInfo, len(g.apis))
	errs := make([]error, len(g.apis))
	var wg sync.WaitGroup
	for i, a := range g.apis {
		wg.Go(func() { sts[i], errs[i] = a.status(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("API %s unreachable or not an Orama node: %w", g.apis[i].base, err)
		}
	}
	for i := 1; i < len(sts); i++ {
		if sts[i].chainID != sts[0].chainID || sts[i].genesis != sts[0].genesis {
			return nil, fmt.Errorf("API %s serves chain %d (genesis %s), but %s serves chain %d (genesis %s)",
				g.apis[i].base, sts[i].chainID, sts[i].genesis, g.apis[0].base, sts[0].chainID, sts[0].genesis)
		}
	}
	return sts, nil
}

// readNonces reads every sender's account nonce from the first API.
func (g *gen) readNonces(ctx context.Context, addrs []string) ([]uint64, error) {
	out := make([]uint64, len(addrs))
	errs := make([]error, len(addrs))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = g.apis[0].nonce(ctx, a)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("reading the nonce of sender %d (%s): %w", i, addrs[i], err)
		}
	}
	return out, nil
}

// statusRetry reads the first API's status, retrying for up to 5 s.
func (g *gen) statusRetry(ctx context.Context) (statusInfo, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := g.apis[0].status(ctx)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return st, err
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (g *gen) run(hard, soft context.Context) (*report, error) {
	cfg := g.cfg
	g.apis = newAPIs(cfg.apis, cfg.conns)
	sts, err := g.probe(hard)
	if err != nil {
		return nil, err
	}
	g.chainID = sts[0].chainID
	g.logf("%d API(s), chain %d, finalized height %d; %d senders, target %.0f tx/s for %v after %v warm-up",
		len(g.apis), g.chainID, sts[0].finalized, cfg.accounts, cfg.rate, cfg.duration, cfg.warmup)
	if ceiling := cfg.accounts * cfg.window; float64(ceiling) < cfg.rate*2 {
		g.logf("note: at most %d transactions can be in flight (accounts x window): the rate needs finality within %.1fs",
			ceiling, float64(ceiling)/cfg.rate)
	}

	keys := make([]*crypto.PrivateKey, cfg.accounts)
	addrs := make([]string, cfg.accounts)
	for i := range keys {
		keys[i] = cryptotest.Key(keyBase + i)
		addrs[i] = crypto.FormatAddress(keys[i].Address())
	}
	nonces, err := g.readNonces(hard, addrs)
	if err != nil {
		return nil, err
	}

	// Everything in the background stops when run returns.
	bg, stopBG := context.WithCancel(hard)
	defer stopBG()

	// Signers: one per sender, each a window and a bit ahead.
	chans := make([]<-chan *signedTx, cfg.accounts)
	signStart := time.Now()
	for i := range keys {
		to := keys[(i+1)%cfg.accounts].Address()
		if cfg.accounts == 1 {
			to = cryptotest.Key(keyBase + 1).Address()
		}
		ch := make(chan *signedTx, cfg.window+32)
		chans[i] = ch
		go signLoop(bg, keys[i], types.Address(to), g.chainID, i, nonces[i], ch)
	}
	for _, ch := range chans {
		for len(ch) < cfg.window {
			if err := sleepCtx(soft, 5*time.Millisecond); err != nil {
				return nil, errors.New("interrupted while pre-signing")
			}
		}
	}
	g.logf("pre-signed %d transfers in %v", cfg.accounts*cfg.window, time.Since(signStart).Round(time.Millisecond))

	g.sched = newScheduler(cfg.window, cfg.stallTimeout, nonces, chans)
	senderIdx := make(map[string]int, len(addrs))
	for i, a := range addrs {
		senderIdx[strings.ToLower(a)] = i
	}
	g.follower = &follower{g: g, api: g.apis[0], senders: senderIdx, next: sts[0].finalized + 1, blocks: map[uint64]*blockInfo{}}
	go g.follower.run(bg)

	loadCtx, stopLoad := context.WithCancel(hard)
	defer stopLoad()
	g.stopLoad = stopLoad
	go func() {
		select {
		case <-soft.Done():
			stopLoad()
		case <-loadCtx.Done():
		}
	}()

	jobs := make(chan job, cfg.conns)
	var workers sync.WaitGroup
	for range cfg.conns {
		workers.Go(func() { g.worker(loadCtx, hard, soft, jobs) })
	}
	tStart := time.Now()
	var dispatcher sync.WaitGroup
	dispatcher.Go(func() { g.dispatch(loadCtx, jobs, tStart) })
	if cfg.progress > 0 {
		go g.progressLoop(loadCtx, tStart)
	}

	// Warm-up, then the measured window.
	if err := sleepUntil(loadCtx, tStart.Add(cfg.warmup)); err != nil {
		if ferr := g.failed(); ferr != nil {
			return nil, ferr
		}
		return nil, errors.New("interrupted during the warm-up")
	}
	st0, err := g.statusRetry(loadCtx)
	if err != nil {
		if ferr := g.failed(); ferr != nil {
			return nil, ferr
		}
		return nil, fmt.Errorf("start of the window: %w", err)
	}
	t0 := time.Now()
	g.phase.Store(phaseMeasured)
	g.sampler.arm(t0, cfg.duration, cfg.latencySamples)
	g.logf("window open at finalized height %d", st0.finalized)

	_ = sleepUntil(loadCtx, t0.Add(cfg.duration))
	if ferr := g.failed(); ferr != nil {
		return nil, ferr
	}
	interrupted := soft.Err() != nil
	st1, err := g.statusRetry(hard)
	if err != nil {
		return nil, fmt.Errorf("end of the window: %w", err)
	}
	t1 := time.Now()
	g.phase.Store(phaseAfter)
	stopLoad()
	dispatcher.Wait()
	workers.Wait()
	h0, h1 := st0.finalized, max(st1.finalized, st0.finalized)
	window := t1.Sub(t0)
	g.logf("window closed at finalized height %d after %v; load stopped", h1, window.Round(time.Millisecond))

	// Latency samples still in flight finish (each is bounded by its timeout).
	if !interrupted {
		g.logf("waiting for latency samples to finalize (up to %v each)", cfg.latencyTimeout)
	}
	g.pollers.Wait()

	// The blocks of the window, from the first API.
	ref, err := g.follower.collect(hard, h0, h1)
	if err != nil {
		return nil, err
	}
	stopBG()

	rep := &report{H0: h0, H1: h1, Blocks: int(h1 - h0), WindowS: window.Seconds(), Interrupted: interrupted}
	for h := h0 + 1; h <= h1; h++ {
		rep.FinalizedTxs += int64(ref[h].ntx)
	}
	if rep.WindowS > 0 {
		rep.TPS = float64(rep.FinalizedTxs) / rep.WindowS
	}
	m := g.counts.sum(phaseMeasured)
	rep.Submitted, rep.Accepted, rep.Rejected, rep.Rejections = m.submitted, m.accepted, m.rejected, m.rejections
	if rep.WindowS > 0 {
		rep.SubmitRate = float64(m.submitted) / rep.WindowS
	}
	all := g.counts.sum(phaseWarmup, phaseMeasured, phaseAfter)
	rep.Total = totals{Submitted: all.submitted, Accepted: all.accepted, Rejected: all.rejected, Rejections: all.rejections}
	rep.Retried, rep.Resent, rep.Behind = g.sched.retried, g.sched.resent, g.behind.Load()
	dead, why := g.sched.dead()
	rep.DeadSenders = dead
	if dead > 0 {
		g.logf("%d sender(s) stopped: %v", dead, why)
	}

	g.latMu.Lock()
	ls := summarise(g.latencies)
	rep.Unfinalized = g.unfinalized
	g.latMu.Unlock()
	rep.Samples = ls.n
	if ls.n > 0 {
		rep.LatencyMs = latencyMs{P50: ms(ls.p50), P90: ms(ls.p90), P99: ms(ls.p99), Max: ms(ls.max)}
	}

	wait := cfg.safetyWait
	if interrupted {
		wait = 0
	}
	rep.Violations, rep.Warnings = g.safety(hard, ref, h0, h1, wait)
	rep.SafetyViolations = len(rep.Violations)
	if hard.Err() != nil {
		return nil, errors.New("aborted")
	}
	return rep, nil
}

func ms(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1000
	return &v
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	return sleepCtx(ctx, time.Until(t))
}

// signLoop signs sender's transfers to `to` from nonce on, in order, as
// fast as ch takes them.
func signLoop(ctx context.Context, k *crypto.PrivateKey, to types.Address, chainID uint64, sender int, nonce uint64, ch chan<- *signedTx) {
	for ; ; nonce++ {
		tx, err := signTransfer(k, chainID, nonce, to, sender)
		if err != nil {
			panic(err) // a fixed, valid transfer: cannot fail
		}
		select {
		case ch <- tx:
		case <-ctx.Done():
			return
		}
	}
}

// signTransfer builds and signs a transfer of 1 ray exactly as the node's
// tests do, and encodes the request body.
func signTransfer(k *crypto.PrivateKey, chainID, nonce uint64, to types.Address, sender int) (*signedTx, error) {
	tx := &types.Transaction{
		Type: types.TxTypeTransfer, From: k.Address(), To: to, Amount: 1, Asset: types.AssetOrama,
		Nonce: nonce, GasLimit: params.GasTransfer, GasTipCap: 1, GasFeeCap: params.MaxBaseFee,
	}
	p, err := tx.SigningPayload()
	if err != nil {
		return nil, err
	}
	if tx.Signature, err = crypto.SignDomain(k, crypto.DomainTransaction, chainID, p); err != nil {
		return nil, err
	}
	b, err := tx.MarshalBorsh()
	if err != nil {
		return nil, err
	}
	h := types.Hash(sha256.Sum256(b))
	body := make([]byte, 0, len(`{"transaction":"0x"}`)+2*len(b))
	body = append(body, `{"transaction":"0x`...)
	body = hex.AppendEncode(body, b)
	body = append(body, `"}`...)
	return &signedTx{sender: sender, nonce: nonce, body: body, hash: h.String()}, nil
}

// dispatch paces transactions from the scheduler to the workers until ctx
// ends, then closes jobs.
func (g *gen) dispatch(ctx context.Context, jobs chan<- job, start time.Time) {
	defer close(jobs)
	p := newPacer(g.cfg.rate, start)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	lastStall := start
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		if now.Sub(lastStall) >= time.Second {
			lastStall = now
			if n := g.sched.checkStalls(now); n > 0 {
				g.logf("resending %d transactions of senders whose finalized nonce has not moved for %v", n, g.cfg.stallTimeout)
			}
			if dead, why := g.sched.dead(); dead == g.cfg.accounts {
				g.fail(fmt.Errorf("every sender stopped on a permanent rejection: %v", why))
				return
			}
		}
		for n := p.due(now); n > 0; n-- {
			tx, ok := g.sched.pick(now)
			if !ok {
				break
			}
			p.take()
			select {
			case jobs <- job{tx: tx, sample: g.sampler.take(now)}:
			case <-ctx.Done():
				return
			}
		}
		g.behind.Store(p.skipped)
	}
}

// worker submits jobs round-robin over the APIs.
func (g *gen) worker(loadCtx, hard, soft context.Context, jobs <-chan job) {
	for j := range jobs {
		if loadCtx.Err() != nil {
			continue // the load is over: drop what is queued
		}
		a := g.apis[(g.rr.Add(1)-1)%uint64(len(g.apis))]
		phase := int(g.phase.Load())
		start := time.Now()
		status, code, msg, err := a.send(hard, j.tx.body)
		g.counts.record(phase, status, code, err)
		g.sched.result(j.tx, status, code, err, time.Now())
		if err != nil || status != 202 {
			g.noteRejection(a, status, code, msg, err)
		}
		if j.sample {
			if err == nil && status == 202 {
				g.pollers.Add(1)
				go g.pollLatency(soft, a, j.tx.hash, start)
			} else {
				g.sampler.retake()
			}
		}
	}
}

// noteRejection logs the first rejection of each kind.
func (g *gen) noteRejection(a *api, status int, code, msg string, err error) {
	key := errorKey(status, code, err)
	g.seenMu.Lock()
	if g.seen == nil {
		g.seen = map[string]bool{}
	}
	first := !g.seen[key]
	g.seen[key] = true
	g.seenMu.Unlock()
	if !first {
		return
	}
	if err != nil {
		msg = err.Error()
	}
	g.logf("first rejection %q from %s: %s", key, a.base, msg)
}

// pollLatency polls the transaction until it is in a block.
func (g *gen) pollLatency(ctx context.Context, a *api, hash string, submitted time.Time) {
	defer g.pollers.Done()
	deadline := submitted.Add(g.cfg.latencyTimeout)
	for {
		ok, _ := a.txIncluded(ctx, hash)
		now := time.Now()
		if ok {
			g.latMu.Lock()
			g.latencies = append(g.latencies, now.Sub(submitted))
			g.latMu.Unlock()
			return
		}
		if now.After(deadline) || sleepCtx(ctx, g.cfg.txPoll) != nil {
			g.latMu.Lock()
			g.unfinalized++
			g.latMu.Unlock()
			return
		}
	}
}

func (g *gen) progressLoop(ctx context.Context, start time.Time) {
	t := time.NewTicker(g.cfg.progress)
	defer t.Stop()
	var last int64
	lastT := start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b := g.counts.sum(phaseWarmup, phaseMeasured, phaseAfter)
			rate := float64(b.submitted-last) / now.Sub(lastT).Seconds()
			last, lastT = b.submitted, now
			phase := "warm-up"
			if g.phase.Load() == phaseMeasured {
				phase = "measured"
			}
			g.logf("%6.1fs %-8s submitted %d (%.0f/s) accepted %d rejected %d in-flight %d finalized height %d behind %d",
				now.Sub(start).Seconds(), phase, b.submitted, rate, b.accepted, b.rejected,
				g.sched.inflight(), g.follower.height(), g.behind.Load())
		}
	}
}

// sampler picks the transactions whose latency is measured: the first
// dispatched at or after each of k instants spread evenly over the window.
type sampler struct {
	mu      sync.Mutex
	armed   bool
	t0      time.Time
	window  time.Duration
	k, next int
	pending int // samples whose submission was refused: take the next ones
}

func (s *sampler) arm(t0 time.Time, window time.Duration, k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed, s.t0, s.window, s.k = true, t0, window, k
}

// at returns the i-th sampling instant.
func (s *sampler) at(i int) time.Time {
	return s.t0.Add(time.Duration((float64(i) + 0.5) * float64(s.window) / float64(s.k)))
}

// take reports whether the transaction dispatched at now is a sample.
func (s *sampler) take(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.armed || !now.Before(s.t0.Add(s.window)) {
		return false
	}
	if s.pending > 0 {
		s.pending--
		return true
	}
	if s.next < s.k && !now.Before(s.at(s.next)) {
		s.next++
		return true
	}
	return false
}

// retake replaces a sample whose submission was refused.
func (s *sampler) retake() {
	s.mu.Lock()
	s.pending++
	s.mu.Unlock()
}

// follower tails the first API's final blocks: it tells the scheduler the
// senders' finalized nonces and keeps each block's hash, state root and
// transaction count.
type follower struct {
	g       *gen
	api     *api
	senders map[string]int // lower-case display address -> sender

	mu     sync.Mutex
	next   uint64 // the next height to fetch
	blocks map[uint64]*blockInfo
	errAt  time.Time
}

func (f *follower) height() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next - 1
}

func (f *follower) run(ctx context.Context) {
	t := time.NewTicker(f.g.cfg.blockPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := f.api.status(ctx)
		if err == nil {
			err = f.catchUp(ctx, st.finalized)
		}
		if err != nil && ctx.Err() == nil && time.Since(f.errAt) > 5*time.Second {
			f.errAt = time.Now()
			f.g.logf("following blocks: %v", err)
		}
	}
}

// catchUp fetches the blocks from next to top, a few at a time, in order.
func (f *follower) catchUp(ctx context.Context, top uint64) error {
	const par = 8
	for {
		f.mu.Lock()
		next := f.next
		f.mu.Unlock()
		if next > top {
			return nil
		}
		n := min(top-next+1, par)
		got := make([]*blockInfo, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i], errs[i] = f.api.block(ctx, next+i) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				return errs[i]
			}
			f.add(got[i])
		}
	}
}

func (f *follower) add(b *blockInfo) {
	now := time.Now()
	for _, tx := range b.txs {
		i, ok := f.senders[strings.ToLower(tx.From)]
		if !ok {
			continue
		}
		if n, err := parseU64("nonce", tx.Nonce); err == nil {
			f.g.sched.confirm(i, n+1, now)
		}
	}
	b.ntx, b.txs = len(b.txs), nil
	f.mu.Lock()
	f.blocks[b.height] = b
	if b.height == f.next {
		f.next++
	}
	f.mu.Unlock()
}

// collect returns the blocks in (h0, h1], fetching any the follower has not.
func (f *follower) collect(ctx context.Context, h0, h1 uint64) (map[uint64]*blockInfo, error) {
	out := make(map[uint64]*blockInfo, h1-h0)
	for h := h0 + 1; h <= h1; h++ {
		f.mu.Lock()
		b := f.blocks[h]
		f.mu.Unlock()
		if b == nil {
			var err error
			for try := 0; ; try++ {
				if b, err = f.api.block(ctx, h); err == nil || try == 2 || ctx.Err() != nil {
					break
				}
				_ = sleepCtx(ctx, 500*time.Millisecond)
			}
			if err != nil {
				return nil, fmt.Errorf("block %d of the window: %w", h, err)
			}
			b.ntx, b.txs = len(b.txs), nil
		}
		out[h] = b
	}
	return out, nil
}

// safety fetches every block in (h0, h1] from every other API, waiting up
// to wait for laggards, and compares header hash and state root with the
// first API's. It returns the violations and warnings (blocks it could not
// compare).
func (g *gen) safety(ctx context.Context, ref map[uint64]*blockInfo, h0, h1 uint64, wait time.Duration) (violations, warnings []string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, a := range g.apis[1:] {
		wg.Go(func() {
			v, w := g.compareAPI(ctx, a, ref, h0, h1, wait)
			mu.Lock()
			violations = append(violations, v...)
			warnings = append(warnings, w...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(violations)
	for _, v := range violations {
		g.logf("SAFETY VIOLATION: %s", v)
	}
	for _, w := range warnings {
		g.logf("warning: %s", w)
	}
	return violations, warnings
}

func (g *gen) compareAPI(ctx context.Context, a *api, ref map[uint64]*blockInfo, h0, h1 uint64, wait time.Duration) (violations, warnings []string) {
	deadline := time.Now().Add(wait)
	var top uint64
	for {
		st, err := a.status(ctx)
		if err == nil {
			top = st.finalized
		}
		if top >= h1 || !time.Now().Before(deadline) || ctx.Err() != nil {
			break
		}
		_ = sleepCtx(ctx, 250*time.Millisecond)
	}
	if top < h1 {
		warnings = append(warnings, fmt.Sprintf("%s reached finalized height %d, not %d, within %v: heights above it not compared", a.base, top, h1, wait))
	}
	top = min(top, h1)
	if top <= h0 {
		return nil, warnings
	}
	type res struct {
		b   *blockInfo
		err error
	}
	out := make([]res, top-h0)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for h := h0 + 1; h <= top; h++ {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b, err := a.block(ctx, h)
			out[h-h0-1] = res{b, err}
		})
	}
	wg.Wait()
	for i, r := range out {
		h := h0 + 1 + uint64(i)
		if r.err != nil {
			warnings = append(warnings, fmt.Sprintf("%s block %d not compared: %v", a.base, h, r.err))
			continue
		}
		want := ref[h]
		if r.b.hash != want.hash {
			violations = append(violations, fmt.Sprintf("height %d: header hash %s at %s, %s at %s", h, want.hash, g.apis[0].base, r.b.hash, a.base))
		}
		if r.b.stateRoot != want.stateRoot {
			violations = append(violations, fmt.Sprintf("height %d: state_root %s at %s, %s at %s", h, want.stateRoot, g.apis[0].base, r.b.stateRoot, a.base))
		}
	}
	return violations, warnings
}

// report is the result; its JSON form is the --json output.
type report struct {
	Submitted        int64            `json:"submitted"` // submissions started in the window
	Accepted         int64            `json:"accepted"`
	Rejected         int64            `json:"rejected"`
	SubmitRate       float64          `json:"submit_rate"`
	FinalizedTxs     int64            `json:"finalized_txs"`
	WindowS          float64          `json:"window_s"`
	TPS              float64          `json:"tps"`
	Blocks           int              `json:"blocks"`
	LatencyMs        latencyMs        `json:"latency_ms"`
	Unfinalized      int              `json:"unfinalized"`
	SafetyViolations int              `json:"safety_violations"`
	Samples          int              `json:"latency_samples"`
	H0               uint64           `json:"h0"`
	H1               uint64           `json:"h1"`
	Rejections       map[string]int64 `json:"rejections"`
	Total            totals           `json:"total"`
	Retried          int64            `json:"retried"`
	Resent           int64            `json:"resent"`
	Behind           int64            `json:"behind"`
	DeadSenders      int              `json:"dead_senders"`
	Interrupted      bool             `json:"interrupted"`
	Violations       []string         `json:"violations,omitempty"`
	Warnings         []string         `json:"warnings,omitempty"`
	Failed           []string         `json:"failed,omitempty"`
}

// totals counts every submission of the run, warm-up included.
type totals struct {
	Submitted  int64            `json:"submitted"`
	Accepted   int64            `json:"accepted"`
	Rejected   int64            `json:"rejected"`
	Rejections map[string]int64 `json:"rejections"`
}

// latencyMs holds finality latency percentiles in milliseconds; null
// without samples.
type latencyMs struct {
	P50 *float64 `json:"p50"`
	P90 *float64 `json:"p90"`
	P99 *float64 `json:"p99"`
	Max *float64 `json:"max"`
}

// checkBars records in Failed the bars the run missed.
func (r *report) checkBars(cfg *config) {
	if r.SafetyViolations > 0 {
		r.Failed = append(r.Failed, fmt.Sprintf("%d safety violation(s)", r.SafetyViolations))
	}
	if cfg.minTPSSet && r.TPS < cfg.minTPS {
		r.Failed = append(r.Failed, fmt.Sprintf("tps %.1f < --min-tps %g", r.TPS, cfg.minTPS))
	}
	if cfg.maxP50Set {
		switch {
		case r.LatencyMs.P50 == nil:
			r.Failed = append(r.Failed, "no latency sample finalized: --max-p50 not met")
		case time.Duration(*r.LatencyMs.P50*float64(time.Millisecond)) > cfg.maxP50:
			r.Failed = append(r.Failed, fmt.Sprintf("p50 %.0fms > --max-p50 %v", *r.LatencyMs.P50, cfg.maxP50))
		}
	}
}

func fmtMs(v *float64) string {
	if v == nil {
		return "-"
	}
	return (time.Duration(*v * float64(time.Millisecond))).Round(time.Millisecond).String()
}

func (r *report) print(w io.Writer, cfg *config) {
	fmt.Fprintf(w, "window      %.2fs, finalized heights (%d, %d]%s\n", r.WindowS, r.H0, r.H1, map[bool]string{true: " (interrupted)"}[r.Interrupted])
	fmt.Fprintf(w, "submitted   %d (%.1f tx/s, target %.0f), accepted %d, rejected %d\n", r.Submitted, r.SubmitRate, cfg.rate, r.Accepted, r.Rejected)
	fmt.Fprintf(w, "rejections  %s\n", formatRejections(r.Rejections))
	fmt.Fprintf(w, "whole run   submitted %d, accepted %d, rejected %d; retried %d, resent %d, sends skipped (no sender ready) %d, stopped senders %d\n",
		r.Total.Submitted, r.Total.Accepted, r.Total.Rejected, r.Retried, r.Resent, r.Behind, r.DeadSenders)
	fmt.Fprintf(w, "finalized   %d txs in %d blocks: %.1f tx/s\n", r.FinalizedTxs, r.Blocks, r.TPS)
	fmt.Fprintf(w, "latency     %d samples: p50 %s p90 %s p99 %s max %s; unfinalized after %v: %d\n",
		r.Samples, fmtMs(r.LatencyMs.P50), fmtMs(r.LatencyMs.P90), fmtMs(r.LatencyMs.P99), fmtMs(r.LatencyMs.Max), cfg.latencyTimeout, r.Unfinalized)
	fmt.Fprintf(w, "safety      %d blocks x %d APIs compared: %d violation(s)\n", r.Blocks, len(cfg.apis), r.SafetyViolations)
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION %s\n", v)
	}
	for _, x := range r.Warnings {
		fmt.Fprintf(w, "  warning   %s\n", x)
	}
	if len(r.Failed) > 0 {
		fmt.Fprintf(w, "FAILED      %s\n", strings.Join(r.Failed, "; "))
	} else {
		fmt.Fprintln(w, "ok")
	}
}
