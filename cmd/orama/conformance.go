package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/conformance/suite"
)

type conformanceOptions struct {
	adapter, fixtures, reportJSON, junit, only, oramaBin, workDir string
	keep, verbose                                                 bool
	blockTime                                                     time.Duration
}

func conformanceCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Test an Orama node from outside (the black-box conformance suite)",
		Args:  noArgs,
		RunE:  groupCmd,
	}
	cmd.AddCommand(conformanceRunCmd(a))
	return cmd
}

func conformanceRunCmd(a *app) *cobra.Command {
	var o conformanceOptions
	cmd := &cobra.Command{
		Use:   "run --adapter PATH",
		Short: "Run the black-box conformance suite against a node",
		Long: `run checks a node through its adapter (conformance/CLIENT.md says what an
adapter is), from outside only:

  import     every fixture chain of --fixtures imported, and every expected
             root, receipt, account and username read back over REST; every
             refused block refused with its reason
  rest       every operation of the REST API with a good and a bad input, every
             answer validated against the OpenAPI document, every error code,
             usernames wherever an address is accepted, pagination and ordering,
             account proofs verified by the suite as a light client
  tx         signed transfers, a username claim, a failing and charged
             transaction, nonce gaps, replacement, replays across chain ids,
             each followed to finality; every block and balance checked
  network    one validator of ours (--orama-bin) on loopback and the node under
             test as a follower: it must sync from genesis over the p2p
             protocol, follow new blocks and report the same head and roots
  namespaces the node under test alone, as the single validator of its own
             genesis (so the whole pool): a NamespaceCreate followed to
             finality, then every namespace operation with good input and
             each error code (deploy, call, view, state with proofs, SQL
             query, events, the TxLog hash chain, deposits, withdrawals)

Each check names the spec section it tests. The suite prints a coverage table
(operations, transaction types, error codes, fixture files) and writes a JSON
(--report-json) and a JUnit XML (--junit) report. --only runs the checks whose
id matches a regular expression (e.g. 'rest/send|tx/'), without the coverage
checks. Exit status: 0 when every check passed, 1 otherwise, 2 bad usage.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConformance(cmd, a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.adapter, "adapter", "", "the node under test's adapter executable (required)")
	f.StringVar(&o.fixtures, "fixtures", "conformance/vectors-chain", "directory of the chain fixtures (its manifest.json)")
	f.StringVar(&o.reportJSON, "report-json", "", "write the report as JSON to this file")
	f.StringVar(&o.junit, "junit", "", "write the report as JUnit XML to this file")
	f.StringVar(&o.only, "only", "", "run only the checks whose id matches this regular expression")
	f.StringVar(&o.oramaBin, "orama-bin", "", "our orama binary, run as the validator the node under test follows (default: this executable)")
	f.StringVar(&o.workDir, "work-dir", "", "directory for data and logs (default: a temporary one, removed when everything passed)")
	f.BoolVar(&o.keep, "keep", false, "keep the work directory even when everything passed")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log what the suite is doing on stderr")
	f.DurationVar(&o.blockTime, "block-time", 0, "our validator's block time (default 250ms)")
	return cmd
}

func runConformance(cmd *cobra.Command, a *app, o conformanceOptions) error {
	if o.adapter == "" {
		return usagef("--adapter is required")
	}
	cfg := suite.Config{Adapter: o.adapter, Fixtures: o.fixtures, OramaBin: o.oramaBin, WorkDir: o.workDir,
		Keep: o.keep, BlockTime: o.blockTime, Progress: a.stdout}
	if o.only != "" {
		re, err := regexp.Compile(o.only)
		if err != nil {
			return usagef("--only: %v", err)
		}
		cfg.Only = re
	}
	if cfg.OramaBin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("--orama-bin: %w", err)
		}
		cfg.OramaBin = exe
	}
	if o.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(a.stderr, nil))
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := suite.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.WriteSummary(a.stdout)
	var errs []error
	if o.reportJSON != "" {
		errs = append(errs, writeReport(o.reportJSON, rep.WriteJSON))
	}
	if o.junit != "" {
		errs = append(errs, writeReport(o.junit, rep.WriteJUnit))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if !rep.OK() {
		return exitStatus{code: exitFailure}
	}
	return nil
}

func writeReport(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("report %s: %w", path, err)
	}
	return f.Close()
}
