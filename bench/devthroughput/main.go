// Command devthroughput is the client of bench/dev-throughput.sh. It reads
// the same large streamed response from two URLs, a function behind
// `streamgen dev` and a plain Node.js HTTP server sending the same bytes,
// for a number of alternating rounds, and prints the medians side by side:
// time to first byte and throughput, with the overhead `streamgen dev` adds
// against the targets (added TTFB under 2 ms, throughput at least 70% of
// the plain server's).
//
// With -relay URL it also reads through a bare TCP relay in front of the
// plain server (this program's -serve-relay mode, run as its own process):
// one extra loopback hop that copies bytes in the kernel (splice) and
// nothing else. That is the least any extra process in the path can cost on
// this machine, so it shows how much of dev's overhead is the hop itself.
//
// Usage: go run ./bench/devthroughput -dev URL -plain URL [-relay URL] [-rounds 7] [-bytes N]
//
//	go run ./bench/devthroughput -serve-relay HOST:PORT   (prints "listening URL")
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"time"
)

// sample is one measured response.
type sample struct {
	ttfb  time.Duration // request sent to first body byte
	total time.Duration // request sent to the end of the body
	bytes int64
}

func (s sample) mibPerSecond() float64 { return float64(s.bytes) / (1 << 20) / s.total.Seconds() }

func main() {
	devURL := flag.String("dev", "", "the function's URL under streamgen dev")
	plainURL := flag.String("plain", "", "the plain Node.js server's URL")
	rounds := flag.Int("rounds", 7, "measured rounds per target (medians are reported)")
	size := flag.Int64("bytes", 256<<20, "the response size both send; a shorter read fails the run")
	relayURL := flag.String("relay", "", "a bare TCP relay in front of the plain server, for reference")
	serveRelay := flag.String("serve-relay", "", "run a bare TCP relay to HOST:PORT instead of measuring")
	flag.Parse()
	if *serveRelay != "" {
		relay(*serveRelay)
		return
	}
	if *devURL == "" || *plainURL == "" {
		flag.Usage()
		os.Exit(2)
	}
	// One connection per request, as a new caller would open; no
	// compression, so the bytes counted are the bytes sent.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, DisableKeepAlives: true}}
	targets := []struct{ name, url string }{{"plain", *plainURL}, {"dev", *devURL}}
	if *relayURL != "" {
		targets = append(targets, struct{ name, url string }{"relay", *relayURL})
	}

	// A warm-up read each: the function's first invocation pays for its
	// init, and both pay for the first page faults of the buffers.
	for _, tg := range targets {
		if _, err := measure(client, tg.url, *size); err != nil {
			fail("warm-up %s: %v", tg.name, err)
		}
	}
	results := map[string][]sample{}
	for r := range *rounds {
		// Rotate the order so none always runs first.
		var order []int
		for i := range targets {
			order = append(order, (i+r)%len(targets))
		}
		for _, i := range order {
			tg := targets[i]
			s, err := measure(client, tg.url, *size)
			if err != nil {
				fail("round %d, %s: %v", r+1, tg.name, err)
			}
			results[tg.name] = append(results[tg.name], s)
			fmt.Printf("round %d %-5s  TTFB %7.3f ms  %8.1f MiB/s\n", r+1, tg.name, ms(s.ttfb), s.mibPerSecond())
		}
	}

	ttfb := func(name string) float64 {
		return median(results[name], func(s sample) float64 { return ms(s.ttfb) })
	}
	tput := func(name string) float64 { return median(results[name], sample.mibPerSecond) }
	fmt.Printf("\n%d MiB per response, %d rounds, medians:\n\n", *size>>20, *rounds)
	fmt.Printf("%-28s %12s %12s\n", "", "TTFB ms", "MiB/s")
	fmt.Printf("%-28s %12.3f %12.1f\n", "plain Node.js http server", ttfb("plain"), tput("plain"))
	fmt.Printf("%-28s %12.3f %12.1f\n", "streamgen dev (embedded)", ttfb("dev"), tput("dev"))
	if *relayURL != "" {
		fmt.Printf("%-28s %12.3f %12.1f\n", "bare TCP relay + plain", ttfb("relay"), tput("relay"))
	}
	added, ratio := ttfb("dev")-ttfb("plain"), tput("dev")/tput("plain")
	fmt.Printf("\nadded TTFB (dev - plain):      %7.3f ms  (target < 2 ms)   %s\n", added, verdict(added < 2))
	fmt.Printf("throughput ratio (dev/plain):  %7.2f     (target >= 0.70)  %s\n", ratio, verdict(ratio >= 0.70))
	if *relayURL != "" {
		fmt.Printf("reference, bare relay/plain:   %7.2f     (one extra hop and nothing else)\n", tput("relay")/tput("plain"))
		fmt.Printf("dev/bare relay:                %7.2f\n", tput("dev")/tput("relay"))
	}
}

// relay accepts connections on a free loopback port and joins each to a new
// connection to target. io.Copy between two *net.TCPConn uses splice(2) on
// Linux, so the bytes never enter this process.
func relay(target string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("relay: %v", err)
	}
	fmt.Printf("listening http://%s/\n", l.Addr())
	for {
		in, err := l.Accept()
		if err != nil {
			fail("relay: %v", err)
		}
		go func() {
			defer in.Close()
			out, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer out.Close()
			go func() { _, _ = io.Copy(out, in) }()
			_, _ = io.Copy(in, out)
		}()
	}
}

// measure reads one whole response and times it.
func measure(client *http.Client, url string, want int64) (sample, error) {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return sample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return sample{}, fmt.Errorf("status %s", resp.Status)
	}
	buf := make([]byte, 256<<10)
	var s sample
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 && s.bytes == 0 {
			s.ttfb = time.Since(start)
		}
		s.bytes += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return sample{}, fmt.Errorf("after %d bytes: %v", s.bytes, err)
		}
	}
	s.total = time.Since(start)
	if s.bytes != want {
		return sample{}, fmt.Errorf("read %d bytes, want %d: the figures would be meaningless", s.bytes, want)
	}
	return s, nil
}

func median(samples []sample, f func(sample) float64) float64 {
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "devthroughput: "+format+"\n", args...)
	os.Exit(1)
}
