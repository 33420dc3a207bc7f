package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/runtime/config"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/rpc"
)

// HTTP server limits. Requests are small JSON documents; the timeouts bound
// what a slow or idle client can hold.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// shutdownTimeout is how long in-flight requests get to finish.
	shutdownTimeout = 10 * time.Second
)

func nodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a node",
		Long: `node runs an Orama node on an embedded BadgerDB in --data-dir and
serves the REST API on --api-listen. The node runs consensus (pipelined
HotStuff) whatever the number of validators: its key's validator proposes
when it leads a view, at most one block per --block-time, and votes; a key
outside the genesis validator set follows the chain without signing. With
no p2p.listen and p2p.bootstrap it runs alone, which makes blocks only when
its key holds more than 2/3 of the power (a single-validator devnet). On
first start in an empty data directory it runs init first (a devnet
genesis and a fresh validator key).

--config names a YAML file with the same settings (keys data_dir, genesis,
key, password_file, block_time, view_timeout, keep_versions, api.listen,
api.max_body_bytes, p2p.listen, p2p.bootstrap, log.level, log.format).
view_timeout is how long after its block time a silent leader is
replaced; p2p.listen lists libp2p multiaddrs to listen on and
p2p.bootstrap multiaddrs of peers (ending in /p2p/<peer id>). Unknown keys
are errors. Flags given on the command line override the file; relative
paths in the file are relative to the file's directory.

SIGINT or SIGTERM stops the node: the API finishes its requests, then the
node stops consensus and closes its storage.`,
		Args: noArgs,
	}
	flags := config.AddFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := flags.Resolve()
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runNode(ctx, cfg, cmd.ErrOrStderr(), nil)
	}
	return cmd
}

// runNode runs a node and its REST API until ctx ends or either fails.
// ready, when not nil, is told the API's address once it listens.
func runNode(ctx context.Context, cfg config.Config, logw io.Writer, ready func(net.Addr)) error {
	log, err := cfg.Log.Logger(logw)
	if err != nil {
		return err
	}
	genesisPath, keyPath := cfg.GenesisPath(), cfg.KeyPath()
	ok, err := exists(genesisPath)
	if err != nil {
		return err
	}
	if !ok {
		if cfg.Genesis != "" || cfg.Key != "" {
			return fmt.Errorf("genesis %s does not exist (a devnet is initialised only in the default <data-dir>/genesis.json)", genesisPath)
		}
		log.Info("no genesis: initialising a devnet", "data_dir", cfg.DataDir)
		if _, _, err := runInit(initOptions{dataDir: cfg.DataDir, chainID: DevnetChainID, passwordFile: cfg.PasswordFile}); err != nil {
			return err
		}
	}
	g, err := readGenesis(genesisPath)
	if err != nil {
		return err
	}
	pw, err := readPassword(cfg.PasswordFile)
	if err != nil {
		return err
	}
	key, err := readKeystore(keyPath, pw)
	if err != nil {
		return err
	}

	// ORAMA_PPROF_LISTEN serves net/http/pprof on a separate, operator-only
	// address for profiling a live node (never expose it publicly).
	if addr := os.Getenv("ORAMA_PPROF_LISTEN"); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() {
			log.Warn("pprof listening", "addr", addr, "err", (&http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: readHeaderTimeout}).ListenAndServe())
		}()
	}

	// Listen before opening storage, so a taken port fails at once.
	var ln net.Listener
	if cfg.API.Listen != "" {
		if ln, err = net.Listen("tcp", cfg.API.Listen); err != nil {
			return fmt.Errorf("api.listen: %w", err)
		}
		defer ln.Close()
	}
	n, err := node.New(node.Config{
		DataDir:      cfg.DataDir,
		BlockTime:    time.Duration(cfg.BlockTime),
		ViewTimeout:  time.Duration(cfg.ViewTimeout),
		KeepVersions: cfg.KeepVersions,
		Logger:       log,
	}, g, key)
	if err != nil {
		return err
	}
	if len(cfg.P2P.Listen) > 0 || len(cfg.P2P.Bootstrap) > 0 {
		if _, err := n.StartP2P(ctx, cfg.P2P.Listen, cfg.P2P.Bootstrap); err != nil {
			n.Close()
			return err
		}
	}
	var nss rpc.Namespaces
	if !cfg.Namespaces.Disabled {
		mgr, stopNS, err := startNamespaces(ctx, cfg, g, key.Address(), n, log)
		if err != nil {
			n.Close()
			return fmt.Errorf("namespaces: %w", err)
		}
		defer stopNS()
		nss = mgr
	}
	var srv *http.Server
	if ln != nil {
		h, err := rpc.New(n, rpc.Config{Logger: log, MaxBodyBytes: cfg.API.MaxBodyBytes, Namespaces: nss})
		if err != nil {
			n.Close()
			return fmt.Errorf("REST API: %w", err)
		}
		srv = &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		// net/http's own answers (malformed requests) in the API's error
		// shape; the deferred Close above still closes the socket.
		ln = rpc.WrapServer(srv, ln)
	}

	// The node runs under its own context, cancelled only after the API has
	// shut down, so no request reads storage the node has closed.
	nodeCtx, stopNode := context.WithCancel(context.WithoutCancel(ctx))
	defer stopNode()
	nodeErr := make(chan error, 1)
	go func() { nodeErr <- n.Run(nodeCtx) }()
	srvErr := make(chan error, 1)
	if srv != nil {
		go func() { srvErr <- srv.Serve(ln) }()
		log.Info("REST API listening", "addr", ln.Addr().String())
		if ready != nil {
			ready(ln.Addr())
		}
	}

	nodeDone := false
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-nodeErr:
		nodeDone = true
		if err == nil {
			err = errors.New("node stopped")
		}
	case err = <-srvErr:
		err = fmt.Errorf("REST API: %w", err)
	}
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		if serr := srv.Shutdown(sctx); serr != nil {
			log.Warn("REST API shutdown", "err", serr)
			srv.Close()
		}
		cancel()
	}
	stopNode()
	if !nodeDone {
		if nerr := <-nodeErr; err == nil {
			err = nerr
		}
	}
	return err
}
