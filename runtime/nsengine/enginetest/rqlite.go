package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ReadyTimeout bounds the wait for an engine to answer (spec/namespaces.md
// 9: rqlited ready on /readyz within 30 s).
const ReadyTimeout = 30 * time.Second

// Cluster is a running rqlited cluster of N nodes on 127.0.0.1 (N = 1 is a
// single node), killed when the test ends.
type Cluster struct {
	t     testing.TB
	bin   string
	mu    sync.Mutex
	nodes []*RQLiteNode
}

// RQLiteNode is one rqlited of a Cluster.
type RQLiteNode struct {
	ID       string // n1, n2, ...
	HTTPAddr string // 127.0.0.1:port
	RaftAddr string // 127.0.0.1:port
	Dir      string // data directory
	LogPath  string // the process's stdout and stderr
	args     []string
	p        *proc
}

// URL returns the node's HTTP API base URL.
func (n *RQLiteNode) URL() string { return "http://" + n.HTTPAddr }

// RQLiteCluster starts n rqlited processes on free loopback ports, as
// tools/engines/smoke-rqlite.sh does (-bootstrap-expect n -join all Raft
// addresses), waits until every node answers 200 on /readyz and registers a
// cleanup that SIGKILLs them (and prints their log tails if the test failed).
func RQLiteCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("enginetest: RQLiteCluster(%d)", n)
	}
	c := &Cluster{t: t, bin: Binary(t, "rqlited")}
	ports := FreePorts(t, 2*n)
	base := t.TempDir()
	var joins []string
	for i := 0; i < n; i++ {
		joins = append(joins, "127.0.0.1:"+strconv.Itoa(ports[2*i+1]))
	}
	for i := 0; i < n; i++ {
		node := &RQLiteNode{
			ID:       "n" + strconv.Itoa(i+1),
			HTTPAddr: "127.0.0.1:" + strconv.Itoa(ports[2*i]),
			RaftAddr: joins[i],
			Dir:      filepath.Join(base, "n"+strconv.Itoa(i+1)),
			LogPath:  filepath.Join(base, "n"+strconv.Itoa(i+1)+".log"),
		}
		node.args = []string{"-node-id", node.ID, "-http-addr", node.HTTPAddr, "-raft-addr", node.RaftAddr}
		if n > 1 {
			node.args = append(node.args, "-bootstrap-expect", strconv.Itoa(n), "-join", strings.Join(joins, ","))
		}
		node.args = append(node.args, node.Dir)
		c.nodes = append(c.nodes, node)
	}
	t.Cleanup(c.cleanup)
	for _, node := range c.nodes {
		p, err := startProc(c.bin, node.args, nil, base, node.LogPath)
		if err != nil {
			t.Fatal(err)
		}
		node.p = p
	}
	for i := range c.nodes {
		c.WaitReady(i)
	}
	return c
}

func (c *Cluster) cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.p != nil {
			n.p.kill()
		}
	}
	if c.t.Failed() {
		for _, n := range c.nodes {
			c.t.Logf("--- rqlited %s (%s) log tail:\n%s", n.ID, n.HTTPAddr, tail(n.LogPath, 25))
		}
	}
}

// N returns the number of nodes.
func (c *Cluster) N() int { return len(c.nodes) }

// Node returns node i (0-based).
func (c *Cluster) Node(i int) *RQLiteNode { return c.nodes[i] }

// URL returns node i's HTTP API base URL.
func (c *Cluster) URL(i int) string { return c.nodes[i].URL() }

// URLs returns every node's HTTP API base URL.
func (c *Cluster) URLs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.URL()
	}
	return out
}

// Alive reports whether node i's process is running.
func (c *Cluster) Alive(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.nodes[i].p
	return p != nil && !p.exited()
}

// Kill SIGKILLs node i and waits until it has exited.
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	p := c.nodes[i].p
	c.mu.Unlock()
	if p != nil {
		p.kill()
	}
}

// Restart starts node i again (same ID, ports and data) after Kill, and waits
// until it is ready.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Kill(i)
	n := c.nodes[i]
	p, err := startProc(c.bin, n.args, nil, filepath.Dir(n.Dir), n.LogPath)
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	n.p = p
	c.mu.Unlock()
	c.WaitReady(i)
}

// WaitReady waits up to ReadyTimeout for node i's GET /readyz to answer 200.
func (c *Cluster) WaitReady(i int) {
	c.t.Helper()
	n := c.nodes[i]
	deadline := time.Now().Add(ReadyTimeout)
	for {
		if code, _ := httpGet(n.URL()+"/readyz", time.Second); code == http.StatusOK {
			return
		}
		if !c.Alive(i) {
			c.t.Fatalf("enginetest: rqlited %s exited before it was ready:\n%s", n.ID, tail(n.LogPath, 25))
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("enginetest: rqlited %s not ready on %s/readyz after %s:\n%s", n.ID, n.URL(), ReadyTimeout, tail(n.LogPath, 25))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Leader waits (up to 20 s) until a running node reports itself Raft leader
// and every other running node names it as leader, and returns its index.
func (c *Cluster) Leader() int {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if i, ok := c.leaderOnce(); ok {
			return i
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("enginetest: no agreed rqlite leader after 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) leaderOnce() (int, bool) {
	leader := -1
	for i, n := range c.nodes {
		if !c.Alive(i) {
			continue
		}
		st, err := nodeStatus(n.URL())
		if err != nil {
			return -1, false
		}
		if st.Store.Raft.State == "Leader" {
			if leader >= 0 {
				return -1, false
			}
			leader = i
		}
	}
	if leader < 0 {
		return -1, false
	}
	for i, n := range c.nodes {
		if !c.Alive(i) {
			continue
		}
		st, err := nodeStatus(n.URL())
		if err != nil || st.Store.Leader.NodeID != c.nodes[leader].ID {
			return -1, false
		}
	}
	return leader, true
}

type rqliteStatus struct {
	Store struct {
		NodeID string `json:"node_id"`
		Leader struct {
			NodeID string `json:"node_id"`
		} `json:"leader"`
		Raft struct {
			State string `json:"state"`
		} `json:"raft"`
	} `json:"store"`
}

func nodeStatus(url string) (rqliteStatus, error) {
	var st rqliteStatus
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/status", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status %d", resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

func httpGet(url string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
