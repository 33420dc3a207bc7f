package enginetest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the engine process get SIGKILL when the test process
// dies, so a killed `go test` leaves no engine behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
