// Package enginetest starts the real namespace engine processes (rqlited,
// Kubo) on 127.0.0.1 for tests, with ports it picks and data under
// t.TempDir(), and stops them when the test ends.
//
// The binaries are built once per machine by tools/engines/build.sh into
// ${ORAMA_ENGINE_CACHE:-~/.cache/orama/engines}; a test binary runs the script
// once per engine (a cached binary answers in milliseconds) unless
// ORAMA_RQLITED or ORAMA_IPFS names the binary. When an engine cannot be had
// the test fails with the command to run: a missing engine is never a silent
// pass.
package enginetest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const modulePath = "github.com/oramanetwork/orama-chain"

// RepoRoot returns the directory of the repository's go.mod, found by walking
// up from the working directory (a test runs in its package directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("enginetest: working directory: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("enginetest: no go.mod of %s above the working directory", modulePath)
		}
		dir = parent
	}
}

type binary struct {
	once sync.Once
	path string
	err  error
}

// One per engine and test binary: build.sh runs at most once per process.
var binaries = map[string]*binary{"rqlited": {}, "ipfs": {}}

var envOverride = map[string]string{"rqlited": "ORAMA_RQLITED", "ipfs": "ORAMA_IPFS"}

// Binary returns the path of engine binary name ("rqlited" or "ipfs"): the
// ORAMA_RQLITED / ORAMA_IPFS environment variable when set, else what
// tools/engines/build.sh prints (run once per test binary). It fails the test
// with the command to run when there is none.
func Binary(t testing.TB, name string) string {
	t.Helper()
	b, ok := binaries[name]
	if !ok {
		t.Fatalf("enginetest: unknown engine %q (rqlited or ipfs)", name)
	}
	b.once.Do(func() { b.path, b.err = findBinary(name) })
	if b.err != nil {
		t.Fatalf("%v\nbuild it once per machine with: tools/engines/build.sh %s   (or: make engines), or set %s to a binary", b.err, name, envOverride[name])
	}
	return b.path
}

func findBinary(name string) (string, error) {
	if p := os.Getenv(envOverride[name]); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("enginetest: %s=%s: not a file", envOverride[name], p)
		}
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "tools", "engines", "build.sh")
	cmd := exec.Command(script, name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("enginetest: %s %s: %v\n%s", script, name, err, lastLines(stderr.String(), 30))
	}
	p := strings.TrimSpace(string(out))
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", fmt.Errorf("enginetest: %s %s printed %q, which is not a file", script, name, p)
	}
	return p, nil
}

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free (and free
// for UDP too, which memberlist needs) a moment ago.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ps []net.PacketConn
	defer func() {
		for _, l := range ls {
			l.Close()
		}
		for _, p := range ps {
			p.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 100*n {
			t.Fatalf("enginetest: no %d free ports on 127.0.0.1", n)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("enginetest: listen: %v", err)
		}
		ls = append(ls, l)
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ps = append(ps, pc)
		ports = append(ports, port)
	}
	return ports
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// tail returns the last n lines of a file, for failure reports.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return lastLines(string(b), n)
}
