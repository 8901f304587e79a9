// Command newbench times whole processes: `streamgen new` against
// `cdk init app --language typescript --generate-only`, each run in a new
// empty directory, interleaved so both see the same machine load. It prints
// medians and their ratio. bench/new-vs-cdk-init.sh builds the binaries and
// runs it.
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
	runs := flag.Int("runs", 30, "timed runs of streamgen new (cdk init gets a third, at least 5)")
	flag.Parse()
	if *streamgen == "" || *cdk == "" {
		fmt.Fprintln(os.Stderr, "usage: newbench -streamgen PATH -cdk PATH [-runs N]")
		os.Exit(2)
	}
	work, err := os.MkdirTemp("", "newbench-")
	check(err)
	defer os.RemoveAll(work)

	commands := map[string][]string{
		"streamgen": {*streamgen, "new", "bench-app", "--dir", "proj", "--no-input"},
		"cdkinit":   {*cdk, "init", "app", "--language", "typescript", "--generate-only"},
		"true":      {"true"}, // the cost of starting any process here
	}
	times := map[string][]time.Duration{}
	cdkEvery := max(1, *runs/max(5, *runs/3))
	for i := -1; i < *runs; i++ { // i == -1 is an untimed warm-up
		for _, name := range []string{"true", "streamgen", "cdkinit"} {
			if name == "cdkinit" && i%cdkEvery != 0 && i != -1 {
				continue
			}
			d := timeOnce(work, name+strconv.Itoa(i), commands[name])
			if i >= 0 {
				times[name] = append(times[name], d)
			}
		}
	}
	sg, ci, floor := median(times["streamgen"]), median(times["cdkinit"]), median(times["true"])
	fmt.Printf("process start floor (/bin/true)  median %8.2f ms  (%d runs)\n", ms(floor), len(times["true"]))
	fmt.Printf("streamgen new                    median %8.2f ms  (%d runs)\n", ms(sg), len(times["streamgen"]))
	fmt.Printf("cdk init --generate-only         median %8.2f ms  (%d runs)\n", ms(ci), len(times["cdkinit"]))
	ratio := float64(ci) / float64(sg)
	verdict := "met"
	if ratio < 30 {
		verdict = "NOT met"
	}
	fmt.Printf("ratio (cdk init / streamgen new): %.1fx  (target >= 30x: %s)\n", ratio, verdict)
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
