package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Stopping a process: SIGTERM to its process group, SIGKILL after
// stopGrace (conformance/CLIENT.md).
const stopGrace = 10 * time.Second

// logTail is how much of a process's output a report keeps.
const logTail = 16 << 10

// proc is a process the run started (the adapter's run, our validator) in
// its own process group, its output in a log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{}
	err     error // set before done closes
}

// startProc starts argv with env in a new process group, stdout and stderr
// appended to logPath.
func startProc(name string, argv, env []string, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: log: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, argv[0], err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, logFile: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *proc) exited() (bool, error) {
	if p == nil {
		return false, nil
	}
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop ends the process group: SIGTERM, then SIGKILL after stopGrace. It
// reports whether the process needed SIGKILL.
func (p *proc) stop() (killed bool) {
	if done, _ := p.exited(); done {
		return false
	}
	signalGroup(p.cmd, false)
	select {
	case <-p.done:
		return false
	case <-time.After(stopGrace):
	}
	signalGroup(p.cmd, true)
	<-p.done
	return true
}

// tail returns the last logTail bytes of the process's log.
func (p *proc) tail() string { return fileTail(p.logPath) }

func fileTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	if st.Size() > logTail {
		f.Seek(st.Size()-logTail, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, logTail))
	return string(b)
}

// runOnce runs argv to completion (at most timeout), with its output in
// logPath, and returns its stdout and exit status (-1 when it did not exit
// normally).
func runOnce(ctx context.Context, argv, env []string, logPath string, timeout time.Duration) (stdout []byte, status int, err error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, -1, err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, f)
	cmd.Stderr = f
	setProcessGroup(cmd)
	cmd.Cancel = func() error { signalGroup(cmd, true); return nil }
	cmd.WaitDelay = stopGrace
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.Bytes(), 0, nil
	case ctx.Err() != nil:
		return out.Bytes(), -1, fmt.Errorf("did not finish within %v", timeout)
	case errors.As(err, &ee) && ee.Exited():
		return out.Bytes(), ee.ExitCode(), nil
	default:
		return out.Bytes(), -1, err
	}
}

// procs tracks the processes of a run, so that every one is stopped and
// its log kept in the report whatever happens.
type procs struct {
	mu   sync.Mutex
	list []*proc
	logs map[string]string // name -> log path, including runOnce's
}

func (ps *procs) add(p *proc) {
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	ps.log(p.name, p.logPath)
}

func (ps *procs) log(name, path string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.logs == nil {
		ps.logs = map[string]string{}
	}
	ps.logs[name] = path
}

// stopAll stops every process still running.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range list {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop() }()
	}
	wg.Wait()
}

// tails returns the tail of every log, by name.
func (ps *procs) tails() map[string]string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := map[string]string{}
	for name, path := range ps.logs {
		if t := fileTail(path); strings.TrimSpace(t) != "" {
			out[name] = t
		}
	}
	return out
}

// logName is a file name for a process's log.
func logName(dir, name string) string {
	return filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(name)+".log")
}
