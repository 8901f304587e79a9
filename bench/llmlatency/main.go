// Command llmlatency measures the latency the generated llm-stream handler
// adds to each token: a local Bedrock ConverseStream fake emits 200 tokens,
// 10 ms apart, each stamped with its send time; the handler runs in Node
// with a response stream that stamps each token event as it arrives. It
// prints the median, p99 and first-token delay against the targets (median
// under 1 ms, p99 under 5 ms, first token within 5 ms).
//
// Usage: go run ./bench/llmlatency [-rounds 3] [-provider bedrock|openai]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/internal/llmfake"
)

func main() {
	rounds := flag.Int("rounds", 3, "handler runs of 200 tokens each")
	flag.Parse()

	work, err := os.MkdirTemp("", "llmlatency-")
	check(err)
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "proj")
	files, err := generator.Render(generator.Options{Name: "llm-bench", Template: "llm-stream"})
	check(err)
	_, err = generator.Write(files, dir, generator.CreateOnly)
	check(err)
	script, err := os.ReadFile("bench/llm-latency.mjs")
	check(err)
	check(os.WriteFile(filepath.Join(dir, "llm-latency.mjs"), script, 0o644))
	fmt.Println("installing the generated project's dependencies")
	npm := exec.Command("npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
	npm.Dir, npm.Stdout, npm.Stderr = dir, os.Stderr, os.Stderr
	check(npm.Run())

	fake, err := llmfake.Start(llmfake.Bedrock)
	check(err)
	defer fake.Close()

	var all, firsts []float64
	for r := range *rounds {
		cmd := exec.Command("node", "--no-warnings", "llm-latency.mjs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_BEDROCK_RUNTIME="+fake.URL, "MODEL_ID=fake.paced-v1:0",
			"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "round %d: %v\n%s", r, err, stderr.String())
			os.Exit(1)
		}
		var res struct{ DelaysMs []float64 }
		lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
		check(json.Unmarshal(lines[len(lines)-1], &res))
		if len(res.DelaysMs) != 200 {
			fmt.Fprintf(os.Stderr, "round %d: got %d token delays, want 200\n", r, len(res.DelaysMs))
			os.Exit(1)
		}
		fmt.Printf("round %d: median %.3f ms, p99 %.3f ms, first %.3f ms\n", r+1, pct(res.DelaysMs, 50), pct(res.DelaysMs, 99), res.DelaysMs[0])
		all = append(all, res.DelaysMs...)
		firsts = append(firsts, res.DelaysMs[0])
	}
	med, p99, first := pct(all, 50), pct(all, 99), slices.Max(firsts)
	fmt.Printf("\nall %d tokens: median %.3f ms, p99 %.3f ms; slowest first token %.3f ms\n", len(all), med, p99, first)
	verdict := "met"
	if med >= 1 || p99 >= 5 || first >= 5 {
		verdict = "NOT met"
	}
	fmt.Printf("targets (median < 1 ms, p99 < 5 ms, first token < 5 ms): %s\n", verdict)
}

// pct is the p-th percentile (nearest rank).
func pct(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
