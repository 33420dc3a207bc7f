package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// Config configures Run.
type Config struct {
	// Adapter is the executable that imports into and runs the node under
	// test (conformance/CLIENT.md).
	Adapter string
	// Fixtures is the directory of the chain fixtures, holding manifest.json
	// (conformance/vectors-chain).
	Fixtures string
	// OramaBin is our node's executable: the validator the node under test
	// follows in the network checks.
	OramaBin string
	// Only, when set, runs only the checks whose ID it matches (and the
	// set-up they need). A run with Only skips the coverage checks.
	Only *regexp.Regexp
	// WorkDir holds data directories and logs; empty: a new temporary
	// directory, removed after a run in which everything passed unless
	// Keep is set.
	WorkDir string
	Keep    bool
	// BlockTime is our validator's block time; zero: 250 ms.
	BlockTime time.Duration
	// Progress receives one line per finished check; nil: none.
	Progress io.Writer
	// Logger receives what the run is doing; nil: nothing.
	Logger *slog.Logger
}

// defaultBlockTime keeps the live checks quick: a transaction is final
// about three blocks after it is sent.
const defaultBlockTime = 250 * time.Millisecond

// Run runs the suite and returns its report. It returns an error only when
// it cannot start (a bad Config, no OpenAPI document); everything that goes
// wrong after that is a failed check in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Adapter == "" {
		return nil, errors.New("conformance: no adapter")
	}
	var err error
	if cfg.Adapter, err = executable(cfg.Adapter); err != nil {
		return nil, fmt.Errorf("conformance: adapter: %w", err)
	}
	if cfg.OramaBin != "" {
		if cfg.OramaBin, err = executable(cfg.OramaBin); err != nil {
			return nil, fmt.Errorf("conformance: orama binary: %w", err)
		}
	}
	if cfg.Fixtures != "" {
		if cfg.Fixtures, err = filepath.Abs(cfg.Fixtures); err != nil {
			return nil, err
		}
	}
	if cfg.BlockTime <= 0 {
		cfg.BlockTime = defaultBlockTime
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	spec, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	work, temp := cfg.WorkDir, false
	if work == "" {
		if work, err = os.MkdirTemp("", "orama-conformance-"); err != nil {
			return nil, err
		}
		temp = true
	} else if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, err
	}
	if work, err = filepath.Abs(work); err != nil {
		return nil, err
	}

	r := &runner{cfg: cfg, spec: spec, cov: newCoverage(spec), work: work, log: cfg.Logger,
		rep: &Report{Adapter: cfg.Adapter, Fixtures: cfg.Fixtures, Started: time.Now()}}
	if cfg.Only != nil {
		r.rep.Only = cfg.Only.String()
	}
	defer r.procs.stopAll()

	r.importPhase(ctx)
	r.livePhase(ctx)
	r.procs.stopAll()
	r.namespacePhase(ctx)
	r.procs.stopAll()
	if cfg.Only == nil {
		r.coverageChecks()
	}

	r.rep.Coverage = r.cov.snapshot()
	r.rep.Seconds = time.Since(r.rep.Started).Seconds()
	if !r.rep.OK() {
		r.rep.Logs = r.procs.tails()
	}
	if temp && r.rep.OK() && !cfg.Keep {
		os.RemoveAll(work)
	} else {
		r.rep.WorkDir = work
	}
	return r.rep, nil
}

// executable returns path made absolute, checking that it is a file that
// can be run.
func executable(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", abs)
	}
	return abs, nil
}

type runner struct {
	cfg   Config
	spec  *apiSpec
	cov   *coverage
	rep   *Report
	work  string
	procs procs
	log   *slog.Logger
}

func (r *runner) selected(id string) bool { return r.cfg.Only == nil || r.cfg.Only.MatchString(id) }

// anySelected reports whether any of ids is selected.
func (r *runner) anySelected(ids []string) bool {
	return slices.ContainsFunc(ids, r.selected)
}

// maxMessages bounds what one check reports.
const maxMessages = 24

// C is one check while it runs.
type C struct {
	ctx     context.Context
	id      string
	msgs    []string
	dropped int
	status  Status
}

// abort unwinds a check from Fatalf.
type abort struct{}

func (c *C) add(s Status, msg string) {
	if c.status == Pass || s == Error {
		c.status = s
	}
	if len(c.msgs) >= maxMessages {
		c.dropped++
		return
	}
	c.msgs = append(c.msgs, msg)
}

// Errorf records a failure of the node under test and goes on.
func (c *C) Errorf(format string, a ...any) { c.add(Fail, fmt.Sprintf(format, a...)) }

// Fatalf records a failure of the node under test and ends the check.
func (c *C) Fatalf(format string, a ...any) {
	c.Errorf(format, a...)
	panic(abort{})
}

// Setupf records that the check could not run for a reason that is not the
// node under test's, and ends it.
func (c *C) Setupf(format string, a ...any) {
	c.add(Error, fmt.Sprintf(format, a...))
	panic(abort{})
}

// Failed reports whether the check has failed so far.
func (c *C) Failed() bool { return c.status != Pass }

// check runs one check if it is selected and records its result; it
// reports whether the check passed (true when it was not selected).
func (r *runner) check(ctx context.Context, id, spec string, fn func(c *C)) bool {
	if !r.selected(id) {
		return true
	}
	return r.runCheck(ctx, id, spec, fn)
}

// runCheck runs one check whether or not it is selected.
func (r *runner) runCheck(ctx context.Context, id, spec string, fn func(c *C)) bool {
	start := time.Now()
	c := &C{ctx: ctx, id: id, status: Pass}
	r.log.Info("check", "id", id)
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(abort); ok {
					return
				}
				c.add(Error, fmt.Sprintf("the suite failed (a bug in the suite): %v\n%s", v, debug.Stack()))
			}
		}()
		fn(c)
	}()
	if ctx.Err() != nil && c.status == Pass {
		c.add(Error, "interrupted: "+ctx.Err().Error())
	}
	if c.dropped > 0 {
		c.msgs = append(c.msgs, fmt.Sprintf("... and %d more", c.dropped))
	}
	res := Result{ID: id, Spec: spec, Status: c.status, Messages: c.msgs, Seconds: time.Since(start).Seconds()}
	r.rep.Results = append(r.rep.Results, res)
	if w := r.cfg.Progress; w != nil {
		if res.Status == Pass {
			fmt.Fprintf(w, "ok    %-48s %6.2fs\n", id, res.Seconds)
		} else {
			line := res.FailureLine()
			if i := strings.IndexByte(line, '\n'); i >= 0 {
				line = line[:i] + " ..."
			}
			if len(line) > 240 {
				line = line[:240] + "..."
			}
			fmt.Fprintf(w, "%-5s %s\n", strings.ToUpper(string(res.Status)), line)
		}
	}
	return res.Status == Pass
}

// coverageChecks turn the coverage table into checks: a full run fails
// unless it covered every operation, transaction type, error code (except
// the exempt ones) and fixture file.
func (r *runner) coverageChecks() {
	cov := r.cov.snapshot()
	gaps := cov.Gaps()
	for _, g := range []struct{ id, spec string }{
		{"operations", "spec/openapi.yaml: every operation with a good and a bad input"},
		{"transaction-types", "spec/transactions.yaml TxType: every active type succeeds, every inactive one is refused"},
		{"error-codes", "spec/openapi.yaml Error.code: every code a node can be made to answer"},
		{"fixtures", "conformance/vectors-chain/manifest.json: every fixture file"},
	} {
		r.check(context.Background(), "coverage/"+g.id, g.spec, func(c *C) {
			if len(gaps[g.id]) > 0 {
				c.Errorf("not covered: %s", strings.Join(gaps[g.id], ", "))
			}
		})
	}
}
