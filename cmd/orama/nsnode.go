package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/config"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/ns"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
)

// rqlitedVersion is the engine build tools/engines makes (spec/namespaces.md 9).
const rqlitedVersion = "v8.36.0"

// nodeChain gives namespaces the node's latest final block.
type nodeChain struct{ n *node.Node }

func (c nodeChain) Final() (uint64, uint64) {
	b := c.n.Head()
	return b.Header.Height, b.Header.Timestamp
}

// namespaces runs the namespaces the chain places on this node: a Manager
// on <data-dir>/ns, a Provisioner when an rqlited binary is found, an
// initial Sync from the head state, and a Sync after every block whose
// receipts create or delete a namespace. Call before n.Run.
func startNamespaces(ctx context.Context, cfg config.Config, g *types.Genesis, self types.Address, n *node.Node, log *slog.Logger) (*ns.Manager, func(), error) {
	peers, err := namespacePeers(cfg.Namespaces, g)
	if err != nil {
		return nil, nil, err
	}
	mcfg := ns.ManagerConfig{
		Dir:       filepath.Join(cfg.DataDir, "ns"),
		ChainID:   g.ChainID,
		Authority: DepositAuthority(g),
		Chain:     nodeChain{n},
		Log:       log,
	}
	if api := cfg.Namespaces.KuboAPI; api != "" {
		mcfg.Blobs = func(name, _ string) (ns.Blobs, error) { return nsengine.NewKuboStorage(api, name) }
	}
	var prov *ns.Provisioner
	if bin := findRQLited(cfg.Namespaces.RQLited); bin != "" {
		prov = ns.NewProvisioner(ns.ProvisionConfig{Self: self, Peers: peers, RQLited: bin, Log: log})
		mcfg.Provision, mcfg.Deprovision, mcfg.Services = prov.Provision, prov.Deprovision, prov.Status
	} else {
		log.Info("no rqlited binary: namespaces placed on several nodes will not run here (make engines builds it)")
	}
	mgr, err := ns.NewManager(ctx, mcfg)
	if err != nil {
		return nil, nil, err
	}
	sync := make(chan struct{}, 1)
	kick := func() {
		select {
		case sync <- struct{}{}:
		default:
		}
	}
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-sync:
				if err := mgr.Sync(self, n.State(), n.Head().Header.Height); err != nil {
					log.Warn("namespaces", "err", err)
				}
			}
		}
	}()
	n.OnBlock(func(_ *types.Block, rs []types.Receipt) {
		for _, r := range rs {
			for _, e := range r.Events {
				if e.Topic == exec.TopicNamespaceCreated || e.Topic == exec.TopicNamespaceDeleted {
					kick()
					return
				}
			}
		}
	})
	kick()
	return mgr, func() {
		close(stop)
		<-done
		mgr.Close()
		if prov != nil {
			prov.Close()
		}
	}, nil
}

// DepositAuthority is the key whose Deposit requests credit value inside a
// namespace until the commitments issue settles deposits against the
// global chain: the genesis's first validator (spec/namespaces.md 3.2).
func DepositAuthority(g *types.Genesis) types.Address {
	if len(g.Validators) == 0 {
		return types.Address{}
	}
	return g.Validators[0].Address
}

// namespacePeers says where each pool node runs namespace services:
// namespaces.peers when given, else every genesis validator at
// namespaces.host with port_base + 100 x its index.
func namespacePeers(c config.Namespaces, g *types.Genesis) (ns.PeerAddr, error) {
	table := map[types.Address]struct {
		host string
		base int
	}{}
	if len(c.Peers) > 0 {
		for a, hp := range c.Peers {
			addr, err := crypto.ParseAddress(a)
			if err != nil {
				return nil, fmt.Errorf("namespaces.peers: %q: %w", a, err)
			}
			host, port, err := net.SplitHostPort(hp)
			if err != nil {
				return nil, fmt.Errorf("namespaces.peers: %q: %w", hp, err)
			}
			base, err := strconv.Atoi(port)
			if err != nil || base <= 0 || base+5*20 > 65535 {
				return nil, fmt.Errorf("namespaces.peers: %q: bad port base", hp)
			}
			table[addr] = struct {
				host string
				base int
			}{host, base}
		}
	} else {
		for i, v := range g.Validators {
			table[v.Address] = struct {
				host string
				base int
			}{c.Host, c.PortBase + 100*i}
		}
	}
	return func(a types.Address) (string, int, bool) {
		e, ok := table[a]
		return e.host, e.base, ok
	}, nil
}

// findRQLited is the configured binary, $ORAMA_RQLITED, or the one `make
// engines` put in the engine cache; "" if none exists.
func findRQLited(configured string) string {
	cands := []string{configured, os.Getenv("ORAMA_RQLITED")}
	cache := os.Getenv("ORAMA_ENGINE_CACHE")
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache", "orama", "engines")
		}
	}
	if cache != "" {
		cands = append(cands, filepath.Join(cache, "rqlited-"+rqlitedVersion, "rqlited"))
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c
		}
	}
	return ""
}
