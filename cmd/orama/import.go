package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/runtime/chainfile"
	"github.com/oramanetwork/orama-chain/runtime/config"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
)

// exitRefused is the exit status of an import that refused a block
// (conformance/CLIENT.md).
const exitRefused = 3

// exitStatus ends a command with a given exit status; err, if any, is
// printed like any error.
type exitStatus struct {
	code int
	err  error
}

func (e exitStatus) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e exitStatus) Unwrap() error { return e.err }

type importOptions struct {
	dataDir, genesis, chain, logLevel string
}

func importCmd(a *app) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import a chain file of final blocks into a data directory",
		Long: `import builds a node's chain in --data-dir from --genesis (block 0, when the
directory holds no chain yet) and applies the chain file --chain: records of
a u32 little-endian length and a Borsh SyncResponse, as block sync sends
them (conformance/CLIENT.md). Every block goes through the checks and the
commit path of block sync: its certificates, the commit proof that makes it
final, then execution, which must give the roots its header claims.
Blocks the directory already holds are checked and skipped, so an import
resumes where an earlier one stopped.

The last line on stdout is the JSON report {"imported_height": N}, with
"refused_height" and "reason" (spec/consensus.md, "Importing a chain") when
a block was refused; the chain then stays at imported_height. Exit status:
0 every block imported, 3 a block refused, 1 a failure (an unreadable file,
a data directory of another genesis, storage).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.chain == "" {
				return usagef("--chain is required")
			}
			if o.genesis == "" {
				o.genesis = filepath.Join(o.dataDir, genesisFile)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rep, err := runImport(ctx, o, a)
			if err != nil {
				return err
			}
			line, err := json.Marshal(rep)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, string(line))
			if rep.Refused() {
				return exitStatus{exitRefused, fmt.Errorf("import: block %d refused (%s): %w", *rep.RefusedHeight, rep.Reason, rep.Err)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", config.DefaultDataDir, "data directory (blocks/, state/, index/)")
	f.StringVar(&o.genesis, "genesis", "", "genesis file (default <data-dir>/genesis.json)")
	f.StringVar(&o.chain, "chain", "", "chain file to import")
	f.StringVar(&o.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	return cmd
}

// runImport opens the node on o.dataDir, imports o.chain and closes the
// node, so that everything imported is on disk when the report is printed.
func runImport(ctx context.Context, o importOptions, a *app) (chainfile.Report, error) {
	log, err := config.Log{Level: o.logLevel, Format: "text"}.Logger(a.stderr)
	if err != nil {
		return chainfile.Report{}, usageError{err}
	}
	g, err := readGenesis(o.genesis)
	if err != nil {
		return chainfile.Report{}, err
	}
	f, err := os.Open(o.chain)
	if err != nil {
		return chainfile.Report{}, err
	}
	defer f.Close()
	// An import signs nothing: the node's key is a throwaway.
	key, err := crypto.GenerateKey()
	if err != nil {
		return chainfile.Report{}, err
	}
	n, err := node.New(node.Config{DataDir: o.dataDir, Logger: log}, g, key)
	if err != nil {
		return chainfile.Report{}, err
	}
	rep, err := n.Import(ctx, f)
	if cerr := n.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", o.dataDir, cerr)
	}
	return rep, err
}
