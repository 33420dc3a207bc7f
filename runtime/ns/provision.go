package ns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
)

// Provisioning (spec/namespaces.md 9): a namespace placed on several nodes
// gets, on each of them, its own rqlited (one member of the namespace's
// 3-node rqlite cluster) on the ports of its slot, and then the namespace
// itself on that rqlited. A watcher checks each rqlited every 2 s and
// restarts it (same data, same node id) after three failed checks or an
// exit, with backoff; deleting the namespace stops it and frees the ports.

// Ports of a slot: base + 5 x slot + offset.
const (
	PortRQLiteHTTP  = 0
	PortRQLiteRaft  = 1
	PortOlricBind   = 2
	PortOlricGossip = 3
	PortGateway     = 4
)

// SlotPort is the port of a slot's service.
func SlotPort(base int, slot uint8, offset int) int { return base + 5*int(slot) + offset }

// PeerAddr says where a node of the pool runs namespace services: its host
// and its port base.
type PeerAddr func(node types.Address) (host string, base int, ok bool)

// ProvisionConfig configures a Provisioner.
type ProvisionConfig struct {
	Self     types.Address
	Peers    PeerAddr
	RQLited  string // the rqlited binary
	Log      *slog.Logger
	Interval time.Duration // health checks (default 2 s)
}

// Provisioner runs the services of the multi-node namespaces placed on
// this node. Use Provision and Deprovision as ManagerConfig's hooks.
type Provisioner struct {
	cfg ProvisionConfig

	mu       sync.Mutex
	services map[string]*service
	starter  chan func() // runs on one locked OS thread (startLocked)
}

// NewProvisioner returns a provisioner.
func NewProvisioner(cfg ProvisionConfig) *Provisioner {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Interval == 0 {
		cfg.Interval = 2 * time.Second
	}
	p := &Provisioner{cfg: cfg, services: map[string]*service{}, starter: make(chan func())}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after Close
		for f := range p.starter {
			f()
		}
	}()
	return p
}

// ServiceState is a service's state (namespaces.md 9).
type ServiceState string

const (
	StateStarting   ServiceState = "starting"
	StateHealthy    ServiceState = "healthy"
	StateUnhealthy  ServiceState = "unhealthy"
	StateRestarting ServiceState = "restarting"
	StateStopped    ServiceState = "stopped"
)

// ServiceStatus is one service of a namespace on this node.
type ServiceStatus struct {
	Service   string // "rqlite", "gateway"
	Node      types.Address
	Addr      string // host:port
	State     ServiceState
	Restarts  int
	LastError string
	Since     time.Time
}

type service struct {
	name     string
	slot     uint8
	httpAddr string
	args     []string
	dir      string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	state    ServiceState
	restarts int
	lastErr  string
	since    time.Time
	stop     chan struct{}
	done     chan struct{}

	cache     *nsengine.OlricCache
	cacheAddr string
}

// Status reports the services of a namespace on this node.
func (p *Provisioner) Status(name string) []ServiceStatus {
	p.mu.Lock()
	s, ok := p.services[name]
	p.mu.Unlock()
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ServiceStatus{{Service: "rqlite", Node: p.cfg.Self, Addr: s.httpAddr, State: s.state, Restarts: s.restarts, LastError: s.lastErr, Since: s.since}}
	if s.cache != nil {
		st := ServiceStatus{Service: "olric", Node: p.cfg.Self, Addr: s.cacheAddr, State: StateHealthy, Since: s.since}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if _, err := s.cache.Members(ctx); err != nil {
			st.State, st.LastError = StateUnhealthy, err.Error()
		}
		cancel()
		out = append(out, st)
	}
	return out
}

// Provision starts the namespace's rqlited on this node's slot, waits until
// it is ready (30 s), and opens the namespace on it (Manager hook).
func (p *Provisioner) Provision(m *Manager, rec types.NamespaceRecord, slot uint8) error {
	if len(rec.Nodes) > params.MaxNamespaceNodes {
		return fmt.Errorf("ns: %s on %d nodes", rec.Name, len(rec.Nodes))
	}
	host, base, ok := p.cfg.Peers(p.cfg.Self)
	if !ok {
		return fmt.Errorf("ns: no namespace address for this node %x", p.cfg.Self)
	}
	var joins []string
	for _, n := range rec.Nodes {
		h, b, ok := p.cfg.Peers(n.Node)
		if !ok {
			return fmt.Errorf("ns: no namespace address for node %x", n.Node)
		}
		joins = append(joins, h+":"+strconv.Itoa(SlotPort(b, n.Slot, PortRQLiteRaft)))
	}
	sort.Strings(joins)
	dir := filepath.Join(m.cfg.Dir, rec.Name)
	s := &service{
		name:     rec.Name,
		slot:     slot,
		httpAddr: host + ":" + strconv.Itoa(SlotPort(base, slot, PortRQLiteHTTP)),
		dir:      filepath.Join(dir, "rqlite"),
		state:    StateStarting,
		since:    time.Now(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.args = []string{"-node-id", fmt.Sprintf("%x", p.cfg.Self[:]),
		"-http-addr", s.httpAddr,
		"-raft-addr", host + ":" + strconv.Itoa(SlotPort(base, slot, PortRQLiteRaft)),
		"-bootstrap-expect", strconv.Itoa(len(rec.Nodes)), "-join", strings.Join(joins, ","), s.dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p.mu.Lock()
	if _, dup := p.services[rec.Name]; dup {
		p.mu.Unlock()
		return nil
	}
	p.services[rec.Name] = s
	p.mu.Unlock()
	if err := p.start(s); err != nil {
		return err
	}
	if err := waitReady(s.httpAddr, 30*time.Second); err != nil {
		return fmt.Errorf("ns: rqlited of %s: %w", rec.Name, err)
	}
	p.setState(s, StateHealthy, "")
	go p.watch(s)
	meta := types.NamespaceMeta{Name: rec.Name, Tier: rec.Tier, Owner: rec.Owner, CreatedHeight: rec.CreatedHeight}
	rq, err := nsengine.NewRQLite("http://" + s.httpAddr)
	if err != nil {
		return err
	}
	// Then the Olric member (a write-through copy of the cache for
	// applications), then the namespace itself.
	var peers []string
	for _, n := range rec.Nodes {
		if n.Node == p.cfg.Self {
			continue
		}
		h, b, _ := p.cfg.Peers(n.Node)
		peers = append(peers, h+":"+strconv.Itoa(SlotPort(b, n.Slot, PortOlricGossip)))
	}
	sort.Strings(peers)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cache, err := nsengine.NewOlricCache(ctx, nsengine.OlricConfig{Namespace: rec.Name, BindAddr: host,
		BindPort: SlotPort(base, slot, PortOlricBind), MemberlistPort: SlotPort(base, slot, PortOlricGossip),
		Peers: peers, PartitionCount: 23, Logger: p.cfg.Log})
	if err != nil {
		return fmt.Errorf("ns: olric member of %s: %w", rec.Name, err)
	}
	s.mu.Lock()
	s.cache = cache
	s.cacheAddr = host + ":" + strconv.Itoa(SlotPort(base, slot, PortOlricBind))
	s.mu.Unlock()
	_, err = m.EnsureCluster(meta, rq, WithCacheCopy(cache))
	return err
}

// Cache is a provisioned namespace's Olric member on this node (nil if none).
func (p *Provisioner) Cache(name string) nsengine.Cache {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.services[name]; ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cache != nil {
			return s.cache
		}
	}
	return nil
}

// Deprovision stops a namespace's services on this node (Manager hook).
func (p *Provisioner) Deprovision(name string) {
	p.mu.Lock()
	s, ok := p.services[name]
	delete(p.services, name)
	p.mu.Unlock()
	if !ok {
		return
	}
	close(s.stop)
	<-s.done
	// Stop order is the reverse of start: the namespace (the Manager's
	// Remove, before this hook), the Olric member, rqlited.
	s.mu.Lock()
	cache := s.cache
	s.mu.Unlock()
	if cache != nil {
		cache.Close()
	}
	p.kill(s, 10*time.Second)
	p.setState(s, StateStopped, "")
}

// Close stops every service.
func (p *Provisioner) Close() {
	p.mu.Lock()
	var names []string
	for n := range p.services {
		names = append(names, n)
	}
	p.mu.Unlock()
	for _, n := range names {
		p.Deprovision(n)
	}
	p.mu.Lock()
	if p.starter != nil {
		close(p.starter)
		p.starter = nil
	}
	p.mu.Unlock()
}

func (p *Provisioner) start(s *service) error {
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(s.dir), "rqlited.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.cfg.RQLited, s.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithNode(cmd)
	// Pdeathsig is delivered when the thread that started the process
	// exits: start it from a thread that lives as long as the node.
	if err := p.startLocked(cmd); err != nil {
		logf.Close()
		return fmt.Errorf("ns: starting rqlited: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return nil
}

// startLocked starts cmd from the provisioner's own OS thread: Pdeathsig
// fires when the thread that started a process exits, and this one lives
// until Close (a Go runtime thread may exit at any time).
func (p *Provisioner) startLocked(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	p.starter <- func() { done <- cmd.Start() }
	return <-done
}

// kill stops the process: SIGTERM, SIGKILL after grace.
func (p *Provisioner) kill(s *service, grace time.Duration) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		cmd.Process.Kill()
		<-exited
	}
}

func (p *Provisioner) setState(s *service, st ServiceState, errMsg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != st {
		s.state, s.since = st, time.Now()
	}
	if errMsg != "" {
		s.lastErr = errMsg
	}
}

// watch checks the service every Interval; three failed checks in a row or
// an exit restart it, with backoff 1, 2, 4 ... 60 s.
func (p *Provisioner) watch(s *service) {
	defer close(s.done)
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	fails := 0
	backoff := time.Second
	for {
		s.mu.Lock()
		exited := s.exited
		s.mu.Unlock()
		select {
		case <-s.stop:
			return
		case <-exited:
			fails = 3
		case <-t.C:
			if err := checkReady(s.httpAddr); err != nil {
				fails++
				p.setState(s, StateUnhealthy, err.Error())
			} else {
				fails, backoff = 0, time.Second
				p.setState(s, StateHealthy, "")
				continue
			}
		}
		if fails < 3 {
			continue
		}
		p.setState(s, StateRestarting, "restarting after three failed checks or an exit")
		p.cfg.Log.Warn("namespace service restarting", "namespace", s.name, "service", "rqlite", "addr", s.httpAddr)
		p.kill(s, 2*time.Second)
		select {
		case <-s.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 60*time.Second)
		if err := p.start(s); err != nil {
			p.setState(s, StateUnhealthy, err.Error())
			continue
		}
		s.mu.Lock()
		s.restarts++
		s.mu.Unlock()
		if err := waitReady(s.httpAddr, 30*time.Second); err != nil {
			p.setState(s, StateUnhealthy, err.Error())
			continue
		}
		fails = 0
		p.setState(s, StateHealthy, "")
	}
}

var readyClient = &http.Client{Timeout: time.Second}

func checkReady(addr string) error {
	resp, err := readyClient.Get("http://" + addr + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz: %s", resp.Status)
	}
	return nil
}

func waitReady(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := checkReady(addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// EnsureCluster opens a namespace whose log is the rqlite cluster rq (this
// node's member), creating its stores on first use, and catches it up.
func (m *Manager) EnsureCluster(meta types.NamespaceMeta, rq *nsengine.RQLite, opts ...Option) (*Namespace, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o, ok := m.open[meta.Name]; ok {
		return o.ns, nil
	}
	return m.openWith(meta, func(mach *Machine, db Replica, query QueryDB) (*Namespace, error) {
		n, err := OpenCluster(mach, db, query, rq, m.cfg.ChainID, m.cfg.Authority, m.cfg.Chain, append([]Option{WithLogger(m.cfg.Log)}, opts...)...)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n.mu.Lock()
		err = n.catchUp(ctx, nsengine.LevelWeak)
		n.mu.Unlock()
		if err != nil && !errors.Is(err, ErrHostFailure) {
			n.Close()
			return nil, err
		}
		return n, nil // an unreachable log is caught up by tailing
	})
}
