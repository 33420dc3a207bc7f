package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/borsh"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/ns"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// `orama ns`: namespaces (spec/namespaces.md 11). Requests are built and
// signed here with runtime/ns's NewSubmission and posted to the node's
// namespace endpoints; create and delete are chain transactions.
//
// Exit statuses: 0 success; 1 a failed outcome (the request ran and is in
// the log), a verify mismatch, or a fault; 2 bad input or a request the
// node refused (printed "code: message").

// defaultNSKey is the key `make run` (orama node on an empty ./data)
// writes: the devnet validator, which holds the genesis funds. It is a v3
// keystore with the empty password.
var defaultNSKey = filepath.Join("data", validatorFile)

// defaultNSGas is the gas limit of a deploy or call unless --gas says.
const defaultNSGas = 100_000_000

// maxNSInput is the longest ctx.input of a request (NsCall.input).
const maxNSInput = 65536

// nsOptions are the flags every ns command has.
type nsOptions struct {
	key          string
	passwordFile string
}

func nsCmd(a *app) *cobra.Command {
	var o nsOptions
	cmd := &cobra.Command{
		Use:   "ns",
		Short: "Namespaces: create, deploy, call, query, verify",
		Long: `ns works with namespaces (spec/namespaces.md): off-chain execution
environments with their own SQL database, cache, storage and ordered log
(the TxLog), created on the chain and run by its nodes.

Requests are signed with --key: a v3 keystore (its password from
--password-file, else the empty password) or a file holding a private key
as 64 hex digits. The default is data/validator.json, the devnet key
'make run' writes. The request's nonce is the signer's namespace nonce,
read from the node.

Exit status: 0 success; 1 a failed outcome (the request ran and is
logged), a verify mismatch or a fault; 2 bad input or a request the node
refused.`,
		RunE: groupCmd,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.key, "key", defaultNSKey, "signing key: a v3 keystore file or a file of 64 hex digits")
	pf.StringVar(&o.passwordFile, "password-file", "", "the keystore's password (default: the empty password)")
	cmd.AddCommand(nsCreateCmd(a, &o), nsDeleteCmd(a, &o), nsListCmd(a), nsDeployCmd(a, &o), nsCallCmd(a, &o),
		nsStateCmd(a), nsQueryCmd(a), nsEventsCmd(a), nsVerifyCmd(a), nsStatusCmd(a))
	return cmd
}

// refused makes a 4xx answer of the node exit with status 2: bad input or
// a refused request, which changed nothing.
func refused(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 {
		return exitStatus{code: exitUsage, err: err}
	}
	return err
}

// failedOutcome is a request that ran and failed: exit status 1.
func failedOutcome(format string, args ...any) error {
	return exitStatus{code: exitFailure, err: fmt.Errorf(format, args...)}
}

// loadKey reads --key.
func (o *nsOptions) loadKey() (*crypto.PrivateKey, error) {
	b, err := readLimited(o.key, maxKeyFileSize)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && o.key == defaultNSKey {
			return nil, usagef("--key %s does not exist: run 'make run' (or 'orama node') first, or pass --key", o.key)
		}
		return nil, usagef("--key: %v", err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		pw, err := readPassword(o.passwordFile)
		if err != nil {
			return nil, usageError{err}
		}
		key, _, err := decryptKey(b, pw)
		if err != nil {
			return nil, usagef("--key %s: %v", o.key, err)
		}
		return key, nil
	}
	key, err := parseHexKey(b)
	if err != nil {
		return nil, usagef("--key %s: %v", o.key, err)
	}
	return key, nil
}

// checkName checks a namespace name locally (a usage error, exit 2).
func checkName(name string) error {
	if err := txrules.ValidNamespaceName(name); err != nil {
		return usagef("%s", strings.TrimPrefix(err.Error(), "txrules: "))
	}
	return nil
}

// --- REST calls --------------------------------------------------------

func (c *nodeClient) namespace(ctx context.Context, name string) (*api.NamespaceRecord, error) {
	r, err := c.api.GetNamespaceWithResponse(ctx, name)
	if err != nil {
		return result[api.NamespaceRecord](c, "get namespace", nil, err, nil, nil)
	}
	return result(c, "get namespace", r, nil, r.JSON200, r.JSONDefault)
}

func (c *nodeClient) nsAccount(ctx context.Context, name, id string) (*api.NamespaceAccount, error) {
	r, err := c.api.GetNamespaceAccountWithResponse(ctx, name, id, nil)
	if err != nil {
		return result[api.NamespaceAccount](c, "get namespace account", nil, err, nil, nil)
	}
	return result(c, "get namespace account", r, nil, r.JSON200, r.JSONDefault)
}

func (c *nodeClient) nsTxLog(ctx context.Context, name string, from uint64, limit int) (*api.NamespaceTxLogPage, error) {
	f := strconv.FormatUint(from, 10)
	r, err := c.api.GetNamespaceTxLogWithResponse(ctx, name, &api.GetNamespaceTxLogParams{From: &f, Limit: &limit})
	if err != nil {
		return result[api.NamespaceTxLogPage](c, "get namespace txlog", nil, err, nil, nil)
	}
	return result(c, "get namespace txlog", r, nil, r.JSON200, r.JSONDefault)
}

// signed is a request ready to post: the signer's key and the chain id.
type signed struct {
	c       *nodeClient
	key     *crypto.PrivateKey
	chainID uint64
}

// prepareNS loads the key and reads the chain id.
func (a *app) prepareNS(cmd *cobra.Command, o *nsOptions) (*signed, error) {
	key, err := o.loadKey()
	if err != nil {
		return nil, err
	}
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	st, err := c.status(cmd.Context())
	if err != nil {
		return nil, err
	}
	chainID, err := strconv.ParseUint(st.ChainId, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("node sent chain id %q: %w", st.ChainId, err)
	}
	return &signed{c: c, key: key, chainID: chainID}, nil
}

// submission builds and signs a request with the signer's next namespace
// nonce, as hex.
func (s *signed) submission(ctx context.Context, name string, payload any, module []byte) (string, error) {
	acct, err := s.c.nsAccount(ctx, name, crypto.FormatAddress(s.key.Address()))
	if err != nil {
		return "", refused(err)
	}
	nonce, err := strconv.ParseUint(acct.Nonce, 10, 64)
	if err != nil {
		return "", fmt.Errorf("node sent nonce %q: %w", acct.Nonce, err)
	}
	sub, err := ns.NewSubmission(name, s.key, s.chainID, nonce, payload, module)
	if err != nil {
		return "", usageError{err}
	}
	b, err := sub.MarshalBorsh()
	if err != nil {
		return "", usageError{err} // a limit of the request (module, input, args)
	}
	return "0x" + hex.EncodeToString(b), nil
}

// printOutcome prints a logged request's result; a failed outcome is exit 1.
func (a *app) printSubmit(res *api.NamespaceSubmitResult, what string) error {
	if a.jsonOut {
		if err := a.printJSON(res); err != nil {
			return err
		}
	} else {
		t := newTable(a.stdout)
		if res.Address != nil {
			t.row("address", "%s", *res.Address)
		}
		if res.CodeHash != nil {
			t.row("code hash", "%s", *res.CodeHash)
		}
		t.row("position", "%s", res.Position)
		t.row("call id", "%s", res.CallId)
		outcomeRows(t, &res.Outcome)
		t.row("root", "%s", res.Root)
		t.flush()
	}
	if res.Outcome.Status != api.NsStatusOk {
		msg := fmt.Sprintf("%s failed at position %s: %s", what, res.Position, res.Outcome.Status)
		if res.Outcome.Trap != "" {
			msg += ": " + res.Outcome.Trap
		}
		return failedOutcome("%s", msg)
	}
	return nil
}

func outcomeRows(t table, o *api.NsOutcome) {
	t.row("status", "%s", o.Status)
	if o.Trap != "" {
		t.row("trap", "%s", o.Trap)
	}
	t.row("gas used", "%s", o.GasUsed)
	if len(o.Results) > 0 {
		t.row("results", "%s", strings.Join(o.Results, " "))
	}
	for i, e := range o.Events {
		t.row(fmt.Sprintf("event %d", i), "%s %s from %s", e.Topic, e.Data, e.Emitter)
	}
}

// --- create, delete, list, status -------------------------------------

// chainTx signs and sends a namespace chain transaction with the --key
// account and waits, unless noWait, until it is final.
func (a *app) chainTx(cmd *cobra.Command, o *nsOptions, tx *types.Transaction, noWait bool, timeout time.Duration) (string, error) {
	key, err := o.loadKey()
	if err != nil {
		return "", err
	}
	c, err := a.client()
	if err != nil {
		return "", err
	}
	ctx := cmd.Context()
	st, err := c.status(ctx)
	if err != nil {
		return "", err
	}
	acct, err := c.account(ctx, crypto.FormatAddress(key.Address()), nil)
	if err != nil {
		return "", fmt.Errorf("sender account: %w", err)
	}
	s := &signer{c: c, key: key, status: st, acct: acct}
	if err := s.sign(fees{}, tx); err != nil {
		return "", err
	}
	raw, err := tx.MarshalBorsh()
	if err != nil {
		return "", err
	}
	resp, err := c.send(ctx, "0x"+hex.EncodeToString(raw))
	if err != nil {
		return "", refused(err)
	}
	if !a.jsonOut {
		fmt.Fprintf(a.stderr, "sent %s %s\n", tx.Type, resp.Hash)
	}
	if noWait {
		return resp.Hash, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ts, err := a.waitTx(ctx, c, resp.Hash, timeout)
		if err != nil {
			if ts != nil && ts.Status == api.Rejected {
				return resp.Hash, exitStatus{code: exitFailure, err: err}
			}
			return resp.Hash, err
		}
		if ts.Status == api.Finalized {
			return resp.Hash, nil
		}
		select {
		case <-ctx.Done():
			return resp.Hash, fmt.Errorf("transaction %s: included but not final after %v", resp.Hash, timeout)
		case <-time.After(a.pollInterval):
		}
	}
}

func nsCreateCmd(a *app, o *nsOptions) *cobra.Command {
	var tier, nodes int
	var noWait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "create NAME [--tier 0|1] [--nodes N]",
		Short: "Create a namespace (a NamespaceCreate transaction)",
		Long: `create sends a NamespaceCreate transaction signed by --key, which owns the
namespace, and waits until it is final and the node at --node runs the
namespace (unless --no-wait). NAME is 3-63 bytes of [a-z0-9-], starting
with a letter, not ending with '-', without '--'. --tier 1 keeps a
verifiable state root after every entry; --nodes 0 lets the chain choose
min(3, pool size) nodes.`,
		Example: "  orama ns create demo\n  orama ns create ledger --tier 1 --nodes 3",
		Args:    oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil {
				return err
			}
			if tier != 0 && tier != 1 {
				return usagef("--tier %d: 0 or 1", tier)
			}
			if nodes < 0 || nodes > params.MaxNamespaceNodes {
				return usagef("--nodes %d: 0..%d", nodes, params.MaxNamespaceNodes)
			}
			data, err := (&types.NamespaceCreatePayload{Name: name, Tier: types.NamespaceTier(tier), Nodes: uint8(nodes)}).MarshalBorsh()
			if err != nil {
				return usageError{err}
			}
			tx := &types.Transaction{Type: types.TxTypeNamespaceCreate, Asset: types.AssetOrama, Data: data}
			h, err := a.chainTx(cmd, o, tx, noWait, timeout)
			if err != nil {
				return err
			}
			var rec *api.NamespaceRecord
			if !noWait {
				if rec, err = a.waitHosted(cmd.Context(), name, timeout); err != nil {
					return err
				}
			}
			if a.jsonOut {
				return a.printJSON(struct {
					Hash      string               `json:"hash"`
					Namespace *api.NamespaceRecord `json:"namespace,omitempty"`
				}{h, rec})
			}
			if rec != nil {
				fmt.Fprintf(a.stdout, "namespace %s created (tier %s, owner %s) and running on %s\n", name, rec.Tier, rec.Owner, a.nodeURL)
			} else {
				fmt.Fprintf(a.stdout, "sent %s\n", h)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&tier, "tier", 0, "0 (cloud) or 1 (secured: a state root after every entry)")
	cmd.Flags().IntVar(&nodes, "nodes", 0, "nodes to place it on: 0 = the chain's default, else 1..7")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the node admits the transaction")
	cmd.Flags().DurationVar(&timeout, "wait-timeout", 2*time.Minute, "how long to wait for finality and the namespace to run")
	return cmd
}

// waitHosted polls until the node at --node runs the namespace.
func (a *app) waitHosted(ctx context.Context, name string, timeout time.Duration) (*api.NamespaceRecord, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		rec, err := c.namespace(ctx, name)
		var ae *apiError
		switch {
		case err == nil && rec.Hosted:
			return rec, nil
		case err == nil, errors.As(err, &ae) && ae.Code == "unknown_namespace":
		case ctx.Err() == nil:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("namespace %s is on the chain but the node at %s does not run it after %v", name, a.nodeURL, timeout)
		case <-time.After(a.pollInterval):
		}
	}
}

func nsDeleteCmd(a *app, o *nsOptions) *cobra.Command {
	var noWait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a namespace (a NamespaceDelete transaction by its owner)",
		Long: `delete sends a NamespaceDelete transaction signed by --key, the namespace's
owner, and waits until it is final (unless --no-wait). A Tier 1 namespace
holding any balance cannot be deleted (NamespaceNotEmpty).`,
		Args: oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil {
				return err
			}
			data, err := (&types.NamespaceDeletePayload{Name: name}).MarshalBorsh()
			if err != nil {
				return usageError{err}
			}
			tx := &types.Transaction{Type: types.TxTypeNamespaceDelete, Asset: types.AssetOrama, Data: data}
			h, err := a.chainTx(cmd, o, tx, noWait, timeout)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"hash": h})
			}
			if noWait {
				fmt.Fprintf(a.stdout, "sent %s\n", h)
			} else {
				fmt.Fprintf(a.stdout, "namespace %s deleted (%s)\n", name, h)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the node admits the transaction")
	cmd.Flags().DurationVar(&timeout, "wait-timeout", 2*time.Minute, "how long to wait for finality")
	return cmd
}

func nsListCmd(a *app) *cobra.Command {
	var owner, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--owner ID]",
		Short: "List the chain's namespaces",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var p api.ListNamespacesParams
			if owner != "" {
				if _, err := crypto.ParseAccountRef(owner); err != nil {
					return usagef("--owner %q: want @username, orama:<hex>, 0x<hex> or 40 hex digits", owner)
				}
				p.Owner = &owner
			}
			if cmd.Flags().Changed("limit") {
				p.Limit = &limit
			}
			if cursor != "" {
				p.Cursor = &cursor
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := c.api.ListNamespacesWithResponse(cmd.Context(), &p)
			page, err := resultOf(c, "list namespaces", r, err, func() *api.NamespacePage { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
			if err != nil {
				return refused(err)
			}
			if a.jsonOut {
				return a.printJSON(page)
			}
			t := newTable(a.stdout)
			fmt.Fprintf(t.w, "NAME\tTIER\tOWNER\tNODES\tHOSTED\tPOSITION\n")
			for _, n := range page.Namespaces {
				pos := "-"
				if n.Position != nil {
					pos = *n.Position
				}
				fmt.Fprintf(t.w, "%s\t%s\t%s\t%d\t%s\t%s\n", n.Name, n.Tier, n.Owner, len(n.Nodes), yesNo(n.Hosted), pos)
			}
			t.flush()
			if page.NextCursor != nil {
				fmt.Fprintf(a.stdout, "more: --cursor %s\n", *page.NextCursor)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&owner, "owner", "", "only this account's namespaces")
	cmd.Flags().IntVar(&limit, "limit", 100, "namespaces per page, 1..1000")
	cmd.Flags().StringVar(&cursor, "cursor", "", "the next page's cursor")
	return cmd
}

// resultOf is result for a call whose response may be nil (a transport
// error).
func resultOf[T any](c *nodeClient, what string, resp response, err error, ok func() *T, apiErr func() *api.Error) (*T, error) {
	if err != nil {
		return result[T](c, what, nil, err, nil, nil)
	}
	return result(c, what, resp, nil, ok(), apiErr())
}

func nsStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status NAME",
		Short: "A namespace's placement and this node's head",
		Args:  oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkName(args[0]); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := c.api.GetNamespaceStatusWithResponse(cmd.Context(), args[0])
			st, err := resultOf(c, "namespace status", r, err, func() *api.NamespaceStatus { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
			if err != nil {
				return refused(err)
			}
			if a.jsonOut {
				return a.printJSON(st)
			}
			t := newTable(a.stdout)
			t.row("name", "%s", st.Name)
			t.row("tier", "%s", st.Tier)
			if st.Owner != nil {
				t.row("owner", "%s", *st.Owner)
			}
			for _, n := range st.Nodes {
				t.row("node", "%s (slot %d)", n.Node, n.Slot)
			}
			t.row("hosted here", "%s", yesNo(st.Hosted))
			if st.Hosted {
				if st.Engine != nil {
					t.row("engine", "%s", *st.Engine)
				}
				if st.Executor != nil {
					t.row("executor", "%s", yesNo(*st.Executor))
				}
				t.row("position", "%s", deref(st.Position))
				t.row("entry hash", "%s", deref(st.EntryHash))
				t.row("root", "%s", deref(st.Root))
			}
			t.flush()
			return nil
		},
	}
}

func deref(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// --- deploy, call ------------------------------------------------------

// callFlags are the flags of deploy and call that shape a call.
type callFlags struct {
	args      []string
	input     string
	inputText string
	gas       uint64
}

func (f *callFlags) add(cmd *cobra.Command, text bool) {
	cmd.Flags().StringArrayVar(&f.args, "arg", nil, "a wasm parameter, in order: an unsigned or negative 64-bit decimal (repeatable)")
	cmd.Flags().StringVar(&f.input, "input", "", "ctx.input: 0x-hex, or @FILE for a file's bytes")
	if text {
		cmd.Flags().StringVar(&f.inputText, "input-text", "", "ctx.input as UTF-8 text")
	}
	cmd.Flags().Uint64Var(&f.gas, "gas", defaultNSGas, "gas limit, 1..1,000,000,000")
}

// parse returns the args, the input and the gas limit.
func (f *callFlags) parse() ([]uint64, []byte, error) {
	args := make([]uint64, 0, len(f.args))
	for _, s := range f.args {
		v, err := parseArg(s)
		if err != nil {
			return nil, nil, usagef("--arg %q: %v", s, err)
		}
		args = append(args, v)
	}
	if len(args) > 16 {
		return nil, nil, usagef("at most 16 --arg")
	}
	if f.input != "" && f.inputText != "" {
		return nil, nil, usagef("--input and --input-text exclude each other")
	}
	in := []byte{}
	switch {
	case f.inputText != "":
		in = []byte(f.inputText)
	case strings.HasPrefix(f.input, "@"):
		b, err := readLimited(f.input[1:], maxNSInput)
		if err != nil {
			return nil, nil, usagef("--input: %v", err)
		}
		in = b
	case f.input != "":
		raw, ok := strings.CutPrefix(f.input, "0x")
		b, err := hex.DecodeString(raw)
		if !ok || err != nil {
			return nil, nil, usagef("--input %q: want 0x-hex or @FILE", f.input)
		}
		in = b
	}
	if len(in) > maxNSInput {
		return nil, nil, usagef("input of %d bytes; at most %d", len(in), maxNSInput)
	}
	if f.gas == 0 || f.gas > params.MaxNamespaceCallGas {
		return nil, nil, usagef("--gas %d: 1..%d", f.gas, uint64(params.MaxNamespaceCallGas))
	}
	return args, in, nil
}

// parseArg reads a wasm parameter: a u64, or a negative i64 as its two's
// complement.
func parseArg(s string) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, errors.New("not a 64-bit integer")
		}
		return uint64(v), nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New("not a 64-bit integer")
	}
	return v, nil
}

func nsDeployCmd(a *app, o *nsOptions) *cobra.Command {
	var f callFlags
	var init string
	cmd := &cobra.Command{
		Use:   "deploy NAME FILE.wasm [--init FN] [--arg U64]... [--input HEX|@FILE] [--gas N]",
		Short: "Deploy a contract and print its address",
		Long: `deploy signs a Deploy request for the module in FILE.wasm (at most 4 MiB)
with --key and posts it to the namespace. With --init, the export FN runs
after the deploy with --arg and --input. Prints the contract's address; a
module the VM refuses, or an init that fails, is logged with its outcome
and exits 1.`,
		Example: "  orama ns deploy demo examples/contracts/build/guestbook.wasm --init init",
		Args:    wrapArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil {
				return err
			}
			args64, in, err := f.parse()
			if err != nil {
				return err
			}
			if strings.HasPrefix(init, "__orama_") {
				return usagef("--init %q: exports starting with __orama_ are not callable", init)
			}
			mod, err := readLimited(args[1], 4<<20)
			if err != nil {
				return usagef("module: %v", err)
			}
			if len(mod) == 0 {
				return usagef("module %s is empty", args[1])
			}
			s, err := a.prepareNS(cmd, o)
			if err != nil {
				return err
			}
			req, err := s.submission(cmd.Context(), name, &types.NsDeploy{Init: init, Args: args64, Input: in, GasLimit: f.gas}, mod)
			if err != nil {
				return err
			}
			r, err := s.c.api.DeployNamespaceContractWithResponse(cmd.Context(), name, api.NamespaceDeployRequest{Request: req})
			res, err := resultOf(s.c, "deploy", r, err, func() *api.NamespaceSubmitResult { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
			if err != nil {
				return refused(err)
			}
			return a.printSubmit(res, "deploy")
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&init, "init", "", "an export to run after the deploy")
	return cmd
}

func nsCallCmd(a *app, o *nsOptions) *cobra.Command {
	var f callFlags
	var oramaValue, btcValue uint64
	var view bool
	cmd := &cobra.Command{
		Use:   "call NAME CONTRACT FN [--arg U64]... [--input HEX|@FILE|--input-text S] [--orama RAYS] [--btc SATS] [--gas N] [--view]",
		Short: "Call a contract (or, with --view, run a call without logging it)",
		Long: `call signs a Call request of the export FN of CONTRACT with --key and
posts it; it is executed as the namespace's next TxLog entry. --orama and
--btc move that many rays or satoshis from the signer to the contract
inside the namespace before the call. A call that traps, runs out of gas
or names an unknown contract or export is logged with that outcome and
exits 1.

--view runs the call at the node's head without signing or logging it
(ctx.caller is --key's address when the key file exists, else zero).`,
		Example: `  orama ns call demo orama:5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed sign_text --input-text "hello"
  orama ns call demo orama:5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed count --view`,
		Args: wrapArgs(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, contract, fn := args[0], args[1], args[2]
			if err := checkName(name); err != nil {
				return err
			}
			ref, err := crypto.ParseAccountRef(contract)
			if err != nil {
				return usagef("contract %q: want orama:<hex>, 0x<hex> or 40 hex digits", contract)
			}
			if fn == "" || len(fn) > 64 || strings.HasPrefix(fn, "__orama_") {
				return usagef("function %q is not callable", fn)
			}
			args64, in, err := f.parse()
			if err != nil {
				return err
			}
			if view {
				if oramaValue != 0 || btcValue != 0 {
					return usagef("--view moves no value: drop --orama and --btc")
				}
				return a.viewCall(cmd, o, name, contract, fn, args64, in, f.gas)
			}
			s, err := a.prepareNS(cmd, o)
			if err != nil {
				return err
			}
			addr, err := s.c.resolve(cmd.Context(), ref)
			if err != nil {
				return refused(err)
			}
			req, err := s.submission(cmd.Context(), name, &types.NsCall{Contract: addr, Function: fn, Args: args64, Input: in,
				OramaValue: oramaValue, BTCValue: btcValue, GasLimit: f.gas}, nil)
			if err != nil {
				return err
			}
			r, err := s.c.api.CallNamespaceContractWithResponse(cmd.Context(), name, crypto.FormatAddress(addr), api.NamespaceSubmitRequest{Request: req})
			res, err := resultOf(s.c, "call", r, err, func() *api.NamespaceSubmitResult { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
			if err != nil {
				return refused(err)
			}
			return a.printSubmit(res, "call "+fn)
		},
	}
	f.add(cmd, true)
	cmd.Flags().Uint64Var(&oramaValue, "orama", 0, "rays to move to the contract with the call")
	cmd.Flags().Uint64Var(&btcValue, "btc", 0, "satoshis to move to the contract with the call")
	cmd.Flags().BoolVar(&view, "view", false, "run at the head without signing or logging")
	return cmd
}

func (a *app) viewCall(cmd *cobra.Command, o *nsOptions, name, contract, fn string, args []uint64, in []byte, gas uint64) error {
	body := api.NamespaceViewRequest{Function: fn, GasLimit: strconv.FormatUint(gas, 10)}
	as := make([]string, len(args))
	for i, v := range args {
		as[i] = strconv.FormatUint(v, 10)
	}
	body.Args = &as
	inHex := "0x" + hex.EncodeToString(in)
	body.Input = &inHex
	if key, err := o.loadKey(); err == nil {
		caller := crypto.FormatAddress(key.Address())
		body.Caller = &caller
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	r, err := c.api.ViewNamespaceContractWithResponse(cmd.Context(), name, contract, nil, body)
	res, err := resultOf(c, "view", r, err, func() *api.NamespaceViewResult { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
	if err != nil {
		return refused(err)
	}
	if a.jsonOut {
		if err := a.printJSON(res); err != nil {
			return err
		}
	} else {
		t := newTable(a.stdout)
		t.row("position", "%s", res.Position)
		outcomeRows(t, &res.Outcome)
		t.flush()
	}
	if res.Outcome.Status != api.NsStatusOk {
		return failedOutcome("view %s: %s %s", fn, res.Outcome.Status, res.Outcome.Trap)
	}
	return nil
}

// --- state, query, events ---------------------------------------------

// stateKey reads KEY: 0x-hex, else the text's bytes.
func stateKey(s string) []byte {
	if raw, ok := strings.CutPrefix(s, "0x"); ok {
		if b, err := hex.DecodeString(raw); err == nil {
			return b
		}
	}
	return []byte(s)
}

func nsStateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "state NAME CONTRACT KEY",
		Short: "Read one orama.state value of a contract",
		Long:  "state reads the value CONTRACT keeps at KEY (0x-hex, or text for its bytes).",
		Args:  wrapArgs(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkName(args[0]); err != nil {
				return err
			}
			if _, err := crypto.ParseAccountRef(args[1]); err != nil {
				return usagef("contract %q: want orama:<hex>, 0x<hex> or 40 hex digits", args[1])
			}
			key := stateKey(args[2])
			if len(key) > 256 {
				return usagef("key of %d bytes; at most 256", len(key))
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := c.api.GetNamespaceContractStateWithResponse(cmd.Context(), args[0], args[1], "0x"+hex.EncodeToString(key), nil)
			v, err := resultOf(c, "state", r, err, func() *api.NamespaceStateValue { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
			if err != nil {
				return refused(err)
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			t := newTable(a.stdout)
			t.row("key", "%s", v.Key)
			t.row("value", "%s", v.Value)
			if b, err := hex.DecodeString(strings.TrimPrefix(v.Value, "0x")); err == nil && len(b) > 0 && utf8.Valid(b) && printable(b) {
				t.row("text", "%q", b)
			}
			t.row("position", "%s", v.Position)
			t.flush()
			return nil
		},
	}
}

func printable(b []byte) bool {
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\t' {
			return false
		}
	}
	return true
}

// sqlParam reads --param TYPE:VALUE as SQLValue JSON.
func sqlParam(s string) (json.RawMessage, error) {
	if s == "null" {
		return json.RawMessage("null"), nil
	}
	typ, v, ok := strings.Cut(s, ":")
	if !ok {
		return nil, errors.New("want TYPE:VALUE (int, real, text, blob) or null")
	}
	switch typ {
	case "i", "int", "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errors.New("not a 64-bit integer")
		}
		return json.Marshal(map[string]string{"i": strconv.FormatInt(n, 10)})
	case "r", "real", "float":
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) {
			return nil, errors.New("not a number")
		}
		if math.IsInf(x, 0) {
			inf := "Infinity"
			if x < 0 {
				inf = "-Infinity"
			}
			return json.Marshal(map[string]string{"r": inf})
		}
		return json.Marshal(map[string]float64{"r": x})
	case "t", "text", "string":
		return json.Marshal(map[string]string{"t": v})
	case "b", "blob":
		raw, ok := strings.CutPrefix(v, "0x")
		b, err := hex.DecodeString(raw)
		if !ok || err != nil {
			return nil, errors.New("a blob is 0x-hex")
		}
		return json.Marshal(map[string]string{"b": "0x" + hex.EncodeToString(b)})
	}
	return nil, fmt.Errorf("unknown type %q: int, real, text, blob or null", typ)
}

func nsQueryCmd(a *app) *cobra.Command {
	var ps []string
	cmd := &cobra.Command{
		Use:   `query NAME "SQL" [--param TYPE:VALUE]...`,
		Short: "Run a read-only SQL statement on the namespace's database",
		Long: `query runs one read-only statement on the namespace's query connection:
writes are refused (sql_read_only), internal tables (_orama_*, sqlite_*)
are denied (sql_denied), at most 10,000 rows are returned and a statement
running over 2 s is interrupted. --param binds ?1, ?2, ... in order:
int:5, real:1.5, text:hello, blob:0x00ff or null.`,
		Example: `  orama ns query demo "SELECT * FROM guestbook"
  orama ns query demo "SELECT message FROM guestbook WHERE id = ?1" --param int:1`,
		Args: wrapArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, sql := args[0], args[1]
			if err := checkName(name); err != nil {
				return err
			}
			if sql == "" || len(sql) > 16384 {
				return usagef("the statement must be 1 to 16384 bytes")
			}
			vals := make([]json.RawMessage, 0, len(ps))
			for _, p := range ps {
				v, err := sqlParam(p)
				if err != nil {
					return usagef("--param %q: %v", p, err)
				}
				vals = append(vals, v)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var res *api.NamespaceQueryResult
			if len(vals) == 0 {
				r, err := c.api.QueryNamespaceWithResponse(cmd.Context(), name, &api.QueryNamespaceParams{Sql: sql})
				res, err = resultOf(c, "query", r, err, func() *api.NamespaceQueryResult { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
				if err != nil {
					return refused(err)
				}
			} else {
				raw, err := json.Marshal(vals)
				if err != nil {
					return err
				}
				rm := json.RawMessage(raw)
				r, err := c.api.QueryNamespaceWithParamsWithResponse(cmd.Context(), name, nil, api.NamespaceQueryRequest{Sql: sql, Params: &rm})
				res, err = resultOf(c, "query", r, err, func() *api.NamespaceQueryResult { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
				if err != nil {
					return refused(err)
				}
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			return printRows(a.stdout, res)
		},
	}
	cmd.Flags().StringArrayVar(&ps, "param", nil, "a parameter TYPE:VALUE (int, real, text, blob) or null (repeatable)")
	return cmd
}

// printRows prints a query answer as a table.
func printRows(w io.Writer, res *api.NamespaceQueryResult) error {
	var rows [][]json.RawMessage
	if err := json.Unmarshal(res.Rows, &rows); err != nil {
		return fmt.Errorf("node sent rows that are not arrays: %w", err)
	}
	t := newTable(w)
	fmt.Fprintln(t.w, strings.Join(res.Columns, "\t"))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = cellText(v)
		}
		fmt.Fprintln(t.w, strings.Join(cells, "\t"))
	}
	t.flush()
	note := ""
	if res.Truncated {
		note = ", truncated"
	}
	fmt.Fprintf(w, "(%d rows at position %s%s)\n", len(rows), res.Position, note)
	return nil
}

// cellText shows one SQLValue.
func cellText(v json.RawMessage) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || m == nil {
		return "NULL"
	}
	for k, x := range m {
		var s string
		if json.Unmarshal(x, &s) == nil {
			if k == "t" {
				return strings.NewReplacer("\t", `\t`, "\n", `\n`).Replace(s)
			}
			return s
		}
		return string(x)
	}
	return "NULL"
}

func nsEventsCmd(a *app) *cobra.Command {
	var contract, topic, caller, from, to, cursor string
	var limit int
	var desc bool
	cmd := &cobra.Command{
		Use:   "events NAME [--contract A] [--topic T] [--caller A] [--from P] [--to P] [--limit N] [--cursor C] [--desc]",
		Short: "List a namespace's events",
		Args:  oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil {
				return err
			}
			var p api.GetNamespaceEventsParams
			for _, x := range []struct {
				flag string
				v    string
				dst  **string
			}{{"--contract", contract, &p.Contract}, {"--caller", caller, &p.Caller}} {
				if x.v == "" {
					continue
				}
				if _, err := crypto.ParseAccountRef(x.v); err != nil {
					return usagef("%s %q: want @username, orama:<hex>, 0x<hex> or 40 hex digits", x.flag, x.v)
				}
				v := x.v
				*x.dst = &v
			}
			for _, x := range []struct {
				flag string
				v    string
				dst  **string
			}{{"--from", from, &p.FromPosition}, {"--to", to, &p.ToPosition}} {
				if x.v == "" {
					continue
				}
				if _, err := strconv.ParseUint(x.v, 10, 64); err != nil {
					return usagef("%s %q: a position", x.flag, x.v)
				}
				v := x.v
				*x.dst = &v
			}
			if topic != "" {
				p.Topic = &topic
			}
			if cursor != "" {
				p.Cursor = &cursor
			}
			if cmd.Flags().Changed("limit") {
				p.Limit = &limit
			}
			if desc {
				o := api.EventsDesc
				p.Order = &o
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := c.api.GetNamespaceEventsWithResponse(cmd.Context(), name, &p)
			page, err := resultOf(c, "events", r, err, func() *api.NamespaceEventPage { return r.JSON200 }, func() *api.Error { return r.JSONDefault })
			if err != nil {
				return refused(err)
			}
			if a.jsonOut {
				return a.printJSON(page)
			}
			t := newTable(a.stdout)
			fmt.Fprintln(t.w, "POSITION\tINDEX\tTOPIC\tEMITTER\tCALLER\tDATA")
			for _, e := range page.Events {
				fmt.Fprintf(t.w, "%s\t%d\t%s\t%s\t%s\t%s\n", e.Position, e.Index, e.Topic, e.Emitter, e.Caller, e.Data)
			}
			t.flush()
			if page.NextCursor != nil {
				fmt.Fprintf(a.stdout, "more: --cursor %s\n", *page.NextCursor)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&contract, "contract", "", "only events this contract emitted")
	f.StringVar(&topic, "topic", "", "only events with this topic")
	f.StringVar(&caller, "caller", "", "only events of requests this account signed")
	f.StringVar(&from, "from", "", "the first position")
	f.StringVar(&to, "to", "", "the last position")
	f.IntVar(&limit, "limit", 100, "events per page, 1..1000")
	f.StringVar(&cursor, "cursor", "", "the next page's cursor")
	f.BoolVar(&desc, "desc", false, "newest first")
	return cmd
}

// --- verify ------------------------------------------------------------

// nodeEntries pages a node's TxLog.
type nodeEntries struct {
	c    *nodeClient
	name string
	next uint64
	buf  [][]byte
	done bool
}

func (s *nodeEntries) Next(ctx context.Context) ([]byte, error) {
	for len(s.buf) == 0 {
		if s.done {
			return nil, io.EOF
		}
		page, err := s.c.nsTxLog(ctx, s.name, s.next, 1000)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Entries {
			b, err := hex.DecodeString(strings.TrimPrefix(it.Borsh, "0x"))
			if err != nil {
				return nil, fmt.Errorf("node sent entry %s that is not hex", it.Position)
			}
			s.buf = append(s.buf, b)
		}
		if page.NextFrom == nil || len(page.Entries) == 0 {
			s.done = true
		} else if s.next, err = strconv.ParseUint(*page.NextFrom, 10, 64); err != nil {
			return nil, fmt.Errorf("node sent next_from %q", *page.NextFrom)
		}
	}
	e := s.buf[0]
	s.buf = s.buf[1:]
	return e, nil
}

// fileEntries splits a file of concatenated Borsh TxLogEntry encodings.
type fileEntries struct{ rest []byte }

func (s *fileEntries) Next(context.Context) ([]byte, error) {
	if len(s.rest) == 0 {
		return nil, io.EOF
	}
	r := borsh.NewReader(s.rest)
	var e types.TxLogEntry
	e.DecodeBorsh(&r)
	if err := r.Err(); err != nil {
		// Handed to Verify as it is: it reports the decoding at its position.
		b := s.rest
		s.rest = nil
		return b, nil
	}
	n := r.Offset()
	b := s.rest[:n]
	s.rest = s.rest[n:]
	return b, nil
}

// rqliteEntries reads the TxLog table of a namespace's rqlite node.
type rqliteEntries struct {
	hc   *http.Client
	url  string
	next uint64
	buf  [][]byte
	done bool
}

func (s *rqliteEntries) Next(ctx context.Context) ([]byte, error) {
	for len(s.buf) == 0 {
		if s.done {
			return nil, io.EOF
		}
		q := fmt.Sprintf("SELECT pos, entry FROM _orama_txlog WHERE pos >= %d ORDER BY pos LIMIT 256", s.next)
		u := strings.TrimRight(s.url, "/") + "/db/query?level=strong&q=" + url.QueryEscape(q)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("rqlite: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<31))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("rqlite: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("rqlite: HTTP %d: %.200s", resp.StatusCode, body)
		}
		var out struct {
			Results []struct {
				Error  string              `json:"error"`
				Values [][]json.RawMessage `json:"values"`
			} `json:"results"`
		}
		if err := json.Unmarshal(body, &out); err != nil || len(out.Results) != 1 {
			return nil, fmt.Errorf("rqlite: not a query result: %.200s", body)
		}
		if e := out.Results[0].Error; e != "" {
			return nil, fmt.Errorf("rqlite: %s", e)
		}
		for _, row := range out.Results[0].Values {
			var pos uint64
			var b64 string
			if len(row) != 2 || json.Unmarshal(row[0], &pos) != nil || json.Unmarshal(row[1], &b64) != nil {
				return nil, errors.New("rqlite: a row is not (pos, entry)")
			}
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("rqlite: entry %d is not base64", pos)
			}
			s.buf = append(s.buf, b)
			s.next = pos + 1
		}
		if len(out.Results[0].Values) < 256 {
			s.done = true
		}
	}
	e := s.buf[0]
	s.buf = s.buf[1:]
	return e, nil
}

// verifyReport is verify's JSON output.
type verifyReport struct {
	Namespace string `json:"namespace"`
	OK        bool   `json:"ok"`
	Entries   string `json:"entries"`
	Head      string `json:"entry_hash,omitempty"`
	Root      string `json:"root,omitempty"`
	Mismatch  *struct {
		Position string `json:"position"`
		What     string `json:"what"`
		Recorded string `json:"recorded"`
		Replayed string `json:"replayed"`
	} `json:"mismatch,omitempty"`
	Authority string `json:"authority"`
}

// scanAuthority reads the whole log into memory to find the first deposit's
// signer. Logs verified without --authority are devnet logs.
func scanAuthority(ctx context.Context, src ns.EntrySource) ([][]byte, *types.Address, error) {
	var all [][]byte
	var found *types.Address
	for {
		e, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return all, found, nil
		}
		if err != nil {
			return nil, nil, err
		}
		all = append(all, e)
		if found == nil {
			var x types.TxLogEntry
			if x.UnmarshalBorsh(e) == nil && x.Submission.Request.Kind == types.NamespaceRequestKindDeposit {
				a := x.Submission.Request.Signer
				found = &a
			}
		}
	}
}

func nsVerifyCmd(a *app) *cobra.Command {
	var rqlite, file, authority string
	cmd := &cobra.Command{
		Use:   "verify NAME [--rqlite URL | --file F]",
		Short: "Replay a namespace's TxLog and check every entry",
		Long: `verify rebuilds the namespace from an empty state by replaying its TxLog
(from the node's GET .../txlog pages, from a namespace rqlite node with
--rqlite, or from --file holding the entries as a Borsh stream) and checks,
for each position in order: the position, prev_hash, decoding, the
request's signature and nonce, non-decreasing chain height and time, then
the replayed outcome, write set and root against the recorded ones. The
namespace's metadata (tier, owner, creation height) and the chain id come
from the node.

Deposits must be signed by the deposit authority: --authority names it;
without it, the signer of the first deposit in the log is taken (and
printed). The first difference exits 1 with "position N: what (recorded
X, replayed Y)"; success prints the head position, entry hash and root.`,
		Args: oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil {
				return err
			}
			if rqlite != "" && file != "" {
				return usagef("--rqlite and --file exclude each other")
			}
			var auth *types.Address
			if authority != "" {
				ad, err := crypto.ParseAddress(authority)
				if err != nil {
					return usagef("--authority %q: an address", authority)
				}
				addr := types.Address(ad)
				auth = &addr
			}
			var src ns.EntrySource
			if file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return usagef("--file: %v", err)
				}
				src = &fileEntries{rest: b}
			}
			if rqlite != "" {
				if u, err := url.Parse(rqlite); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usagef("--rqlite %q: an http:// URL of a namespace rqlite node", rqlite)
				}
				src = &rqliteEntries{hc: a.httpClient, url: rqlite, next: 1}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			rec, err := c.namespace(ctx, name)
			if err != nil {
				return refused(err)
			}
			st, err := c.status(ctx)
			if err != nil {
				return err
			}
			chainID, err := strconv.ParseUint(st.ChainId, 10, 64)
			if err != nil {
				return fmt.Errorf("node sent chain id %q", st.ChainId)
			}
			meta, err := metaOf(rec)
			if err != nil {
				return err
			}
			if src == nil {
				src = &nodeEntries{c: c, name: name, next: 1}
			}
			if auth == nil {
				all, found, err := scanAuthority(ctx, src)
				if err != nil {
					return err
				}
				src = &ns.SliceSource{Entries: all}
				if found != nil {
					auth = found
					if !a.jsonOut {
						fmt.Fprintf(a.stderr, "deposit authority taken from the log: %s (pass --authority to check it)\n", crypto.FormatAddress(*found))
					}
				} else {
					auth = &types.Address{}
				}
			}
			rep, err := ns.Verify(ctx, ns.VerifyConfig{Meta: meta, ChainID: chainID, Authority: *auth}, src)
			out := verifyReport{Namespace: name, Authority: crypto.FormatAddress(*auth)}
			var mm *ns.Mismatch
			switch {
			case errors.As(err, &mm):
				out.Entries = strconv.FormatUint(mm.Position-1, 10)
				out.Mismatch = &struct {
					Position string `json:"position"`
					What     string `json:"what"`
					Recorded string `json:"recorded"`
					Replayed string `json:"replayed"`
				}{strconv.FormatUint(mm.Position, 10), mm.What, mm.Recorded, mm.Replayed}
				if a.jsonOut {
					if err := a.printJSON(out); err != nil {
						return err
					}
				}
				return exitStatus{code: exitFailure, err: mm}
			case err != nil:
				return err
			}
			out.OK, out.Entries, out.Head, out.Root = true, strconv.FormatUint(rep.Entries, 10), rep.Head.String(), rep.Root.String()
			if a.jsonOut {
				return a.printJSON(out)
			}
			fmt.Fprintf(a.stdout, "verified %s: %d entries\nhead position %d\nentry hash    %s\nroot          %s\n",
				name, rep.Entries, rep.Entries, rep.Head, rep.Root)
			return nil
		},
	}
	cmd.Flags().StringVar(&rqlite, "rqlite", "", "read the log from this namespace rqlite node (http://host:port)")
	cmd.Flags().StringVar(&file, "file", "", "read the log from this file of Borsh TxLogEntry encodings")
	cmd.Flags().StringVar(&authority, "authority", "", "the deposit authority's address (default: the first deposit's signer)")
	return cmd
}

// metaOf is the NamespaceMeta of a namespace's record.
func metaOf(rec *api.NamespaceRecord) (types.NamespaceMeta, error) {
	tier, err := types.ParseNamespaceTier(string(rec.Tier))
	if err != nil {
		return types.NamespaceMeta{}, fmt.Errorf("node sent tier %q", rec.Tier)
	}
	owner, err := crypto.ParseAddress(rec.Owner)
	if err != nil {
		return types.NamespaceMeta{}, fmt.Errorf("node sent owner %q", rec.Owner)
	}
	h, err := strconv.ParseUint(rec.CreatedHeight, 10, 64)
	if err != nil {
		return types.NamespaceMeta{}, fmt.Errorf("node sent created_height %q", rec.CreatedHeight)
	}
	return types.NamespaceMeta{Name: rec.Name, Tier: tier, Owner: owner, CreatedHeight: h}, nil
}
