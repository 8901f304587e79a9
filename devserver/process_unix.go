//go:build unix

package devserver

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the process in a process group of its own, so
// that killGroup reaches everything it started.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process's whole group with SIGKILL, as Lambda ends
// an environment: nothing the function started keeps running.
func killGroup(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	// The group id is the leader's pid. Once every member is gone the
	// call fails with ESRCH, which is fine.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
