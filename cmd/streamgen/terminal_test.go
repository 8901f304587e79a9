package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/testtools"
)

// These tests drive the real binary in a real terminal: tmux runs
// streamgen in a pane, send-keys types as a person would, and
// capture-pane reads the screen. They prove the huh wizard works end to end
// (raw-mode keys, arrow selection, validation, Ctrl-C), which the scripted
// Prompter cannot.

// tmuxSession is one detached tmux server and session, private to a test.
type tmuxSession struct {
	t      *testing.T
	socket string
	dir    string // the pane's working directory
}

func startTmux(t *testing.T, env []string, command string) *tmuxSession {
	t.Helper()
	testtools.Command(t, "tmux", "tmux") // installs it when missing
	s := &tmuxSession{t: t, socket: fmt.Sprintf("streamgen-test-%d-%d", os.Getpid(), time.Now().UnixNano()), dir: t.TempDir()}
	// A fixed-size pane with a plain, known terminal type. The command's
	// exit code lands in a file, since the pane closes when it ends.
	args := []string{"-L", s.socket, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "50", "-c", s.dir}
	for _, kv := range env {
		args = append(args, "-e", kv)
	}
	args = append(args, "sh", "-c", command+`; echo $? > exit-code; sleep 30`)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) screen() string {
	out, err := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p", "-J").Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// waitFor polls the screen until it contains text, and fails with the
// screen when it does not within the deadline.
func (s *tmuxSession) waitFor(text string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.screen(), text) {
			// Let the program finish starting up (it queries the terminal)
			// before keys arrive, as a person reading the prompt would.
			time.Sleep(settle)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("the screen never showed %q; it shows:\n%s", text, s.screen())
}

// send types keys: literal text, or tmux key names such as Enter, Down, C-c.
func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		args := []string{"-L", s.socket, "send-keys", "-t", "0"}
		if k == "Enter" || k == "Down" || k == "Up" || k == "BSpace" || strings.HasPrefix(k, "C-") {
			args = append(args, k)
		} else {
			args = append(args, "-l", k)
		}
		if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
			s.t.Fatalf("tmux send-keys %q: %v\n%s", k, err, out)
		}
		// Give the program a moment to read each key, as typing does.
		time.Sleep(100 * time.Millisecond)
	}
}

// exitCode waits for the command to end and returns its exit code.
func (s *tmuxSession) exitCode() int {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(s.dir, "exit-code")); err == nil && len(b) > 0 {
			var code int
			if _, err := fmt.Sscan(string(b), &code); err == nil {
				return code
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("the command did not end; the screen shows:\n%s", s.screen())
	return -1
}

func buildStreamgen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "streamgen")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestWizardInTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the binary in tmux")
	}
	bin := buildStreamgen(t)

	t.Run("full run", func(t *testing.T) {
		s := startTmux(t, []string{"TERM=xterm-256color"}, bin+" new")
		s.waitFor("Project name")
		s.send("Bad Name")
		s.waitFor("must be lowercase") // validated as it is typed
		for range len("Bad Name") {
			s.send("BSpace")
		}
		s.send("wiz-demo", "Enter")
		s.waitFor("Template")
		s.send("Down", "Down", "Enter") // echo -> llm-stream -> s3-proxy
		s.waitFor("Infrastructure as code")
		s.send("Down", "Enter") // sam -> cdk
		s.waitFor("Lambda runtime")
		s.send("Enter")
		s.waitFor("Architecture")
		s.send("Enter")
		s.waitFor("Front end")
		s.send("Enter") // url
		s.waitFor("Function URL auth")
		s.send("Enter")
		s.waitFor("an existing bucket to serve")
		s.send("my-assets", "Enter")
		s.waitFor("key prefix to serve")
		s.send("public/", "Enter")
		s.waitFor("Generate the project?")
		s.send("Enter")
		if code := s.exitCode(); code != 0 {
			t.Fatalf("exit %d; screen:\n%s", code, s.screen())
		}
		m := readManifest(t, filepath.Join(s.dir, "wiz-demo"))
		a := m.Answers
		if m.Template != "s3-proxy" || a.IaC != "cdk" || a.Runtime != "nodejs24.x" || a.Auth != "iam" ||
			a.Set["bucket"] != "my-assets" || a.Set["prefix"] != "public/" {
			t.Errorf("manifest %+v", m)
		}
		if _, err := os.Stat(filepath.Join(s.dir, "wiz-demo", "lib", "stack.ts")); err != nil {
			t.Errorf("the CDK app was not generated: %v", err)
		}
	})

	t.Run("ctrl-c writes nothing", func(t *testing.T) {
		s := startTmux(t, []string{"TERM=xterm-256color"}, bin+" new")
		s.waitFor("Project name")
		s.send("half-typed", "Enter")
		s.waitFor("Template")
		s.send("C-c")
		if code := s.exitCode(); code != exitInterrupted {
			t.Errorf("exit %d, want %d; screen:\n%s", code, exitInterrupted, s.screen())
		}
		s.waitFor("interrupted; nothing was written")
		entries, _ := os.ReadDir(s.dir)
		for _, e := range entries {
			if e.Name() != "exit-code" {
				t.Errorf("wrote %s", e.Name())
			}
		}
	})

	t.Run("accessible mode", func(t *testing.T) {
		s := startTmux(t, []string{"TERM=xterm-256color", "ACCESSIBLE=1", "NO_COLOR=1"}, bin+" new --template echo --iac sam --arch arm64 --runtime nodejs24.x")
		s.waitFor("Project name")
		s.send("plain-lines", "Enter")
		// Numbered choices on plain lines: 1 is url, then 2 is "none".
		s.waitFor("Front end")
		s.waitFor("Enter a number between 1 and 2")
		s.send("1", "Enter")
		s.waitFor("Function URL auth")
		s.waitFor("Enter a number between 1 and 2")
		s.send("2", "Enter")
		s.waitFor("makes the endpoint public")
		s.waitFor("Generate the project?")
		s.send("y", "Enter")
		if code := s.exitCode(); code != 0 {
			t.Fatalf("exit %d; screen:\n%s", code, s.screen())
		}
		if screen := s.screen(); strings.Contains(screen, "\x1b[") {
			t.Errorf("escape codes on a NO_COLOR accessible screen:\n%q", screen)
		}
		if m := readManifest(t, filepath.Join(s.dir, "plain-lines")); m.Answers.Auth != "none" {
			t.Errorf("manifest %+v", m)
		}
	})
}

var settle = 200 * time.Millisecond
