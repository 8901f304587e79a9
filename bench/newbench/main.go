// Command newbench times whole processes: `streamgen new` against
// `cdk init app --language typescript --generate-only`, and `streamgen
// version` against a hello-world Go program, each run in a new empty
// directory, interleaved so all see the same machine load. It prints
// medians and their ratios against the targets: new at least 100x faster
// than cdk init, version within 2x of hello-world. With -floor it also
// times a program that links streamgen's dependencies and does nothing
// else. bench/new-vs-cdk-init.sh builds the binaries and runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

func main() {
	streamgen := flag.String("streamgen", "", "path to the streamgen binary")
	cdk := flag.String("cdk", "", "path to the cdk CLI")
	hello := flag.String("hello", "", "path to a hello-world Go binary")
	floor := flag.String("floor", "", "path to a program that links streamgen's dependencies and only prints a line (optional)")
	runs := flag.Int("runs", 30, "timed runs of streamgen new (cdk init gets a third, at least 5)")
	flag.Parse()
	if *streamgen == "" || *cdk == "" || *hello == "" {
		fmt.Fprintln(os.Stderr, "usage: newbench -streamgen PATH -cdk PATH -hello PATH [-runs N]")
		os.Exit(2)
	}
	work, err := os.MkdirTemp("", "newbench-")
	check(err)
	defer os.RemoveAll(work)

	commands := map[string][]string{
		"streamgen": {*streamgen, "new", "bench-app", "--dir", "proj", "--no-input"},
		"version":   {*streamgen, "version"},
		"hello":     {*hello},
		"cdkinit":   {*cdk, "init", "app", "--language", "typescript", "--generate-only"},
		"true":      {"true"}, // the cost of starting any process here
	}
	order := []string{"true", "hello", "version", "streamgen", "cdkinit"}
	if *floor != "" {
		commands["floor"] = []string{*floor}
		order = append(order[:2], append([]string{"floor"}, order[2:]...)...)
	}
	times := map[string][]time.Duration{}
	cdkEvery := max(1, *runs/max(5, *runs/3))
	for i := -1; i < *runs; i++ { // i == -1 is an untimed warm-up
		for _, name := range order {
			if name == "cdkinit" && i%cdkEvery != 0 && i != -1 {
				continue
			}
			d := timeOnce(work, name+strconv.Itoa(i), commands[name])
			if i >= 0 {
				times[name] = append(times[name], d)
			}
		}
	}
	med := func(name string) time.Duration { return median(times[name]) }
	fmt.Printf("process start floor (/bin/true)  median %8.2f ms  (%d runs)\n", ms(med("true")), len(times["true"]))
	fmt.Printf("hello-world (Go)                 median %8.2f ms  (%d runs)\n", ms(med("hello")), len(times["hello"]))
	if *floor != "" {
		fmt.Printf("dependencies only (no own code)  median %8.2f ms  (%d runs, %.2fx hello-world)\n", ms(med("floor")), len(times["floor"]), float64(med("floor"))/float64(med("hello")))
	}
	fmt.Printf("streamgen version                median %8.2f ms  (%d runs)\n", ms(med("version")), len(times["version"]))
	fmt.Printf("streamgen new                    median %8.2f ms  (%d runs)\n", ms(med("streamgen")), len(times["streamgen"]))
	fmt.Printf("cdk init --generate-only         median %8.2f ms  (%d runs)\n", ms(med("cdkinit")), len(times["cdkinit"]))
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	newRatio := float64(med("cdkinit")) / float64(med("streamgen"))
	fmt.Printf("ratio (cdk init / streamgen new):      %6.1fx  (target >= 100x: %s)\n", newRatio, verdict(newRatio >= 100))
	versionRatio := float64(med("version")) / float64(med("hello"))
	fmt.Printf("ratio (streamgen version / hello):     %6.2fx  (target <= 2x: %s)\n", versionRatio, verdict(versionRatio <= 2))
}

// timeOnce runs argv in a new empty directory and returns its wall time.
func timeOnce(work, name string, argv []string) time.Duration {
	dir := filepath.Join(work, name)
	check(os.Mkdir(dir, 0o755))
	defer os.RemoveAll(dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CDK_DISABLE_VERSION_CHECK=1", "CDK_DISABLE_CLI_TELEMETRY=true")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v failed: %v\n%s", argv, err, out)
		os.Exit(1)
	}
	return d
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
