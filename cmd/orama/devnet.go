package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/oramanetwork/orama-chain/runtime/config"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/p2p"
)

// DevnetLoadAccounts is how many well-known load accounts a devnet genesis
// funds (see devnetLoadKey).
const DevnetLoadAccounts = 512

// devnetLoadKey is load account i of a devnet: the private key whose scalar
// is 1000+i. These keys are public knowledge (tools/loadgen derives the
// same ones); they exist so a load generator can sign without a keystore,
// and must never hold value on a real network.
func devnetLoadKey(i int) (*crypto.PrivateKey, error) {
	var b [32]byte
	binary.BigEndian.PutUint64(b[24:], uint64(1000+i))
	return crypto.PrivateKeyFromBytes(b[:])
}

type devnetOptions struct {
	validators  int
	dir         string
	p2pBase     int
	apiBase     int
	blockTime   time.Duration
	viewTimeout time.Duration
	noStart     bool
	logLevel    string
	nsPortBase  int
}

func devnetCmd() *cobra.Command {
	var o devnetOptions
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Write and run a local multi-validator network",
		Long: `devnet writes, on first use of --dir, one directory per validator
(node0, node1, ...) holding its key (empty password), the shared genesis and
a config.yaml, and then starts every validator as a separate "orama node"
process on loopback: p2p on --p2p-base-port+i, the REST API on
--api-base-port+i, logs in <dir>/node<i>/node.log. Each node bootstraps
from all the others. On a later run with the same --dir it starts the
existing network again, keeping its chain.

The genesis also funds 512 well-known load accounts (private keys with
scalars 1000..1511, used by tools/loadgen): never reuse them elsewhere.

SIGINT or SIGTERM stops all validators. --no-start only writes the files.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.validators < 1 || o.validators > 64 {
				return fmt.Errorf("--validators %d: want 1 to 64", o.validators)
			}
			nodes, err := writeDevnet(o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for i, n := range nodes {
				fmt.Fprintf(out, "node%d  %s  api http://%s  log %s\n", i, n.address, n.api, filepath.Join(n.dir, "node.log"))
			}
			if o.noStart {
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDevnet(ctx, nodes, out)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.validators, "validators", 4, "number of validators")
	f.StringVar(&o.dir, "dir", "./devnet", "directory for the network's files")
	f.IntVar(&o.p2pBase, "p2p-base-port", 7700, "p2p port of node0; node i uses base+i")
	f.IntVar(&o.apiBase, "api-base-port", 8600, "REST API port of node0; node i uses base+i")
	f.DurationVar(&o.blockTime, "block-time", time.Second, "block time of every validator")
	f.DurationVar(&o.viewTimeout, "view-timeout", 4*time.Second, "view timeout of every validator")
	f.BoolVar(&o.noStart, "no-start", false, "write the files and exit")
	f.StringVar(&o.logLevel, "log-level", "info", "validators' log level")
	f.IntVar(&o.nsPortBase, "ns-port-base", config.DefaultNamespacePortBase,
		"namespace services' port base: the validator at index i of the genesis list uses base+100*i ... +99")
	return cmd
}

type devnetNode struct {
	dir, config, api string
	address          string
}

// devnetConfig is the config.yaml a devnet node runs with.
type devnetConfig struct {
	DataDir     string `yaml:"data_dir"`
	BlockTime   string `yaml:"block_time"`
	ViewTimeout string `yaml:"view_timeout"`
	API         struct {
		Listen string `yaml:"listen"`
	} `yaml:"api"`
	P2P struct {
		Listen    []string `yaml:"listen"`
		Bootstrap []string `yaml:"bootstrap"`
	} `yaml:"p2p"`
	Namespaces struct {
		PortBase int `yaml:"port_base"`
	} `yaml:"namespaces"`
	Log struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
	} `yaml:"log"`
}

// writeDevnet writes the network's files unless they exist, and returns
// the nodes.
func writeDevnet(o devnetOptions) ([]devnetNode, error) {
	nodes := make([]devnetNode, o.validators)
	for i := range nodes {
		dir := filepath.Join(o.dir, fmt.Sprintf("node%d", i))
		nodes[i] = devnetNode{dir: dir, config: filepath.Join(dir, "config.yaml"), api: fmt.Sprintf("127.0.0.1:%d", o.apiBase+i)}
	}
	if ok, err := exists(nodes[0].config); err != nil {
		return nil, err
	} else if ok {
		for i := range nodes {
			if ok, err := exists(nodes[i].config); err != nil || !ok {
				return nil, fmt.Errorf("%s: an existing devnet with fewer validators than --validators %d", o.dir, o.validators)
			}
			k, err := readKeystore(filepath.Join(nodes[i].dir, "validator.json"), "")
			if err != nil {
				return nil, err
			}
			nodes[i].address = crypto.FormatAddress(k.Address())
			var c devnetConfig
			b, err := os.ReadFile(nodes[i].config)
			if err != nil {
				return nil, err
			}
			if err := yaml.Unmarshal(b, &c); err != nil {
				return nil, fmt.Errorf("%s: %w", nodes[i].config, err)
			}
			nodes[i].api = c.API.Listen
		}
		return nodes, nil
	}

	keys := make([]*crypto.PrivateKey, o.validators)
	addrs := make([]string, o.validators)
	g := &types.Genesis{ChainID: DevnetChainID, Timestamp: uint64(time.Now().Unix())}
	for i := range keys {
		k, err := crypto.GenerateKey()
		if err != nil {
			return nil, err
		}
		keys[i] = k
		id, err := p2p.PeerIDFromKey(k)
		if err != nil {
			return nil, err
		}
		addrs[i] = fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", o.p2pBase+i, id)
		nodes[i].address = crypto.FormatAddress(k.Address())
		g.Validators = append(g.Validators, types.Validator{Address: k.Address(), Stake: 1_000 * params.RaysPerOrama, PeerID: id.String()})
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: k.Address(),
			OramaBalance: 1_000_000 * params.RaysPerOrama, BTCBalance: 100 * params.SatsPerBTC})
	}
	for i := range DevnetLoadAccounts {
		k, err := devnetLoadKey(i)
		if err != nil {
			return nil, err
		}
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: k.Address(),
			OramaBalance: 10_000 * params.RaysPerOrama, BTCBalance: params.SatsPerBTC})
	}
	slices.SortFunc(g.Validators, func(x, y types.Validator) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })

	for i, n := range nodes {
		if err := os.MkdirAll(n.dir, 0o700); err != nil {
			return nil, err
		}
		if err := writeGenesis(filepath.Join(n.dir, genesisFile), g); err != nil {
			return nil, err
		}
		if err := writeKeystore(filepath.Join(n.dir, "validator.json"), keys[i], ""); err != nil {
			return nil, err
		}
		var c devnetConfig
		c.DataDir = "."
		c.BlockTime, c.ViewTimeout = o.blockTime.String(), o.viewTimeout.String()
		c.API.Listen = n.api
		c.P2P.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", o.p2pBase+i)}
		for j, a := range addrs {
			if j != i {
				c.P2P.Bootstrap = append(c.P2P.Bootstrap, a)
			}
		}
		c.Namespaces.PortBase = o.nsPortBase
		c.Log.Level, c.Log.Format = o.logLevel, "text"
		b, err := yaml.Marshal(&c)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(n.config, b, 0o600); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// runDevnet starts every node as a child process and stops them all when
// ctx ends or one of them exits.
func runDevnet(ctx context.Context, nodes []devnetNode, out io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	type exit struct {
		i   int
		err error
	}
	exits := make(chan exit, len(nodes))
	var cmds []*exec.Cmd
	for i, n := range nodes {
		logf, err := os.OpenFile(filepath.Join(n.dir, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer logf.Close()
		c := exec.Command(exe, "node", "--config", n.config)
		c.Stdout, c.Stderr = logf, logf
		if err := c.Start(); err != nil {
			return fmt.Errorf("node%d: %w", i, err)
		}
		cmds = append(cmds, c)
		go func(i int, c *exec.Cmd) { exits <- exit{i, c.Wait()} }(i, c)
	}
	fmt.Fprintf(out, "%d validators running; Ctrl-C stops them\n", len(nodes))
	var firstErr error
	signaled := false // the first node to exit was killed by a signal
	running := len(cmds)
	select {
	case <-ctx.Done():
	case e := <-exits:
		running--
		firstErr = fmt.Errorf("node%d exited: %v (see %s)", e.i, e.err, filepath.Join(nodes[e.i].dir, "node.log"))
		signaled = killedBySignal(e.err)
	}
	for _, c := range cmds {
		// A node that has exited already just fails to take the signal.
		c.Process.Signal(syscall.SIGTERM)
	}
	timeout := time.After(30 * time.Second)
	for running > 0 {
		select {
		case <-exits:
			running--
		case <-timeout:
			for _, c := range cmds {
				c.Process.Kill()
			}
			return errors.Join(firstErr, errors.New("devnet: validators did not stop within 30s; killed"))
		}
	}
	if firstErr != nil && !signaled {
		return firstErr
	}
	return nil
}

// killedBySignal reports whether err is the exit of a process that a
// signal ended.
func killedBySignal(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}
