package ns

import (
	"os/exec"
	"syscall"
)

// dieWithNode makes a service process get SIGKILL when the node process
// dies, so a crashed node leaves no rqlited holding its slot's ports; the
// restarted node starts it again on the same data.
func dieWithNode(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
