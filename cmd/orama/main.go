// Command orama is the Orama chain node and its command-line client.
//
//	orama init                   write a devnet genesis and a validator key
//	orama node                   run a node (serves the REST API)
//	orama keys new|import|export|list
//	orama account ID             balances, nonce and username
//	orama send                   sign and submit a transfer
//	orama username claim NAME    claim a username
//	orama tx HASH                a transaction's status
//	orama block [latest|N|HASH]  a block
//	orama status                 where the chain is
//	orama import --chain FILE    import a chain file of final blocks (exit 3: a block refused)
//	orama conformance run --adapter PATH   test a node from outside (conformance/CLIENT.md)
//	orama ns create|delete|list|deploy|call|state|query|events|verify|status   namespaces
//
// Client commands talk to a node's REST API at --node (env ORAMA_NODE,
// default http://localhost:8545). Output is for people unless --json is
// given, which prints one JSON document on stdout. Errors go to stderr (as
// {"error":{"code","message"}} with --json). Exit status: 0 success, 1
// failure, 2 bad usage.
//
// Run `orama help` for the full list.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const defaultNodeURL = "http://localhost:8545"

func main() {
	os.Exit(run(context.Background(), newApp(), os.Args[1:]))
}

// app is the process environment the commands run in; tests substitute
// every part of it.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether stdin is a terminal, where passwords are
	// prompted for; readPassword reads one without echo.
	isTerminal   func() bool
	readPassword func() (string, error)
	httpClient   *http.Client
	pollInterval time.Duration
	now          func() time.Time

	// Global flags.
	nodeURL string
	jsonOut bool
}

func newApp() *app {
	fd := int(os.Stdin.Fd())
	return &app{
		stdin:        os.Stdin,
		stdout:       os.Stdout,
		stderr:       os.Stderr,
		getenv:       os.Getenv,
		isTerminal:   func() bool { return term.IsTerminal(fd) },
		readPassword: func() (string, error) { b, err := term.ReadPassword(fd); return string(b), err },
		httpClient:   &http.Client{Timeout: 30 * time.Second},
		pollInterval: time.Second,
		now:          time.Now,
	}
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, a *app, args []string) int {
	root := rootCmd(a)
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var es exitStatus
	if errors.As(err, &es) {
		if es.err != nil {
			a.printError(es.err)
		}
		return es.code
	}
	a.printError(err)
	if isUsageError(err) {
		return exitUsage
	}
	return exitFailure
}

func rootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "orama",
		Short: "Orama chain node and client",
		Long: `Orama chain node and client.

Client commands talk to a node's REST API at --node (env ORAMA_NODE).
Output is for people unless --json is given, which prints one JSON document
on stdout for scripts. Errors go to stderr; the exit status is 0 on success,
1 on failure and 2 on bad usage.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	nodeDefault := defaultNodeURL
	if v := a.getenv("ORAMA_NODE"); v != "" {
		nodeDefault = v
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.nodeURL, "node", nodeDefault, "node REST API URL (env ORAMA_NODE)")
	pf.BoolVar(&a.jsonOut, "json", false, "print JSON on stdout (and errors as JSON on stderr) for scripts")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(initCmd(), nodeCmd(), devnetCmd(), versionCmd(a),
		keysCmd(a), accountCmd(a), sendCmd(a), usernameCmd(a), txCmd(a), blockCmd(a), statusCmd(a),
		importCmd(a), conformanceCmd(a), nsCmd(a))
	return root
}

func versionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.jsonOut {
				return a.printJSON(map[string]string{"version": version})
			}
			fmt.Fprintln(a.stdout, "orama", version)
			return nil
		},
	}
}

// version is set by the linker (-X main.version=...) for releases.
var version = "dev"

// usageError is a bad command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func isUsageError(err error) bool {
	var u usageError
	if errors.As(err, &u) {
		return true
	}
	// Cobra reports unknown commands with a plain error.
	return strings.HasPrefix(err.Error(), "unknown command ")
}

// groupCmd runs a command that only groups subcommands: help without
// arguments, a usage error for an unknown subcommand.
func groupCmd(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Argument validators whose failures are usage errors.
func wrapArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

var (
	noArgs    = wrapArgs(cobra.NoArgs)
	oneArg    = wrapArgs(cobra.ExactArgs(1))
	maxOneArg = wrapArgs(cobra.MaximumNArgs(1))
)

// printJSON writes v as indented JSON and a newline on stdout.
func (a *app) printJSON(v any) error {
	return writeJSON(a.stdout, v, "  ")
}

// writeJSON writes v and a newline, without escaping <, > and &.
func writeJSON(w io.Writer, v any, indent string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	return enc.Encode(v)
}

// printError writes err on stderr: "orama: message", or with --json an
// error object shaped like the API's.
func (a *app) printError(err error) {
	code, msg := "error", err.Error()
	var ae *apiError
	var ce *connError
	switch {
	case errors.As(err, &ae):
		code, msg = ae.Code, ae.Message
	case errors.As(err, &ce):
		code = "connection_failed"
	case isUsageError(err):
		code = "usage"
	}
	if a.jsonOut {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		e.Error.Code, e.Error.Message = code, msg
		writeJSON(a.stderr, e, "")
		return
	}
	fmt.Fprintln(a.stderr, "orama:", err)
	if isUsageError(err) {
		fmt.Fprintln(a.stderr, "Run 'orama help' or add --help to a command for usage.")
	}
}

// defaultKeystore is the default keystore directory: $ORAMA_KEYSTORE, else
// ~/.orama/keystore.
func (a *app) defaultKeystore() string {
	if v := a.getenv("ORAMA_KEYSTORE"); v != "" {
		return v
	}
	home := a.getenv("HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = h
		}
	}
	if home == "" {
		return filepath.Join(".orama", "keystore")
	}
	return filepath.Join(home, ".orama", "keystore")
}
