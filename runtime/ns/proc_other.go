//go:build !linux

package ns

import (
	"os/exec"
	"syscall"
)

// dieWithNode puts the service in its own process group; only Linux can
// tie its life to the node's.
func dieWithNode(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
