package nodeclient

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// field is one header or trailer line, as sent.
type field struct{ Name, Value string }

// wireRequest is one HTTP/1.1 request as it arrived: every header in order,
// and for a chunked body every chunk with its arrival time.
type wireRequest struct {
	Conn     int
	Start    time.Time
	Method   string
	Target   string
	Proto    string
	Headers  []field
	Chunked  bool
	Chunks   [][]byte
	ChunkAt  []time.Time
	Trailers []field
	Body     []byte // the Content-Length body, or the chunks joined
	// BodyBytes counts body bytes, also when they were not kept.
	BodyBytes int64
	Complete  bool
}

// header returns the value of the first header with that name (any case).
func (r *wireRequest) header(name string) string {
	for _, f := range r.Headers {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

func (r *wireRequest) trailer(name string) string {
	for _, f := range r.Trailers {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// requestHooks lets the live server watch a request while it arrives.
type requestHooks struct {
	head    func(*wireRequest)         // after the header block
	chunk   func(*wireRequest, []byte) // after each chunk (nil data when discarded)
	discard bool                       // count body bytes but do not keep them
	// beforeBody runs after the header block, before the body is read.
	beforeBody func(*wireRequest)
	// shortBodyOK accepts a Content-Length body cut short by the end of the
	// input. The recordings need it: paths in them were rewritten after
	// recording (see testdata/wire), which shortened some bodies but not
	// their Content-Length.
	shortBodyOK bool
}

var errBadRequest = errors.New("malformed HTTP/1.1 request")

// readRequest reads one request from br, strictly: every line must end in
// CRLF. It returns io.EOF when the connection ends between requests.
func readRequest(br *bufio.Reader, req *wireRequest, hooks requestHooks) error {
	line, err := readCRLFLine(br)
	if err != nil {
		return err
	}
	req.Start = time.Now()
	parts := strings.SplitN(line, " ", 3)
	if len(parts) != 3 {
		return fmt.Errorf("%w: request line %q", errBadRequest, line)
	}
	req.Method, req.Target, req.Proto = parts[0], parts[1], parts[2]
	if req.Headers, err = readFields(br); err != nil {
		return err
	}
	if hooks.head != nil {
		hooks.head(req)
	}
	if hooks.beforeBody != nil {
		hooks.beforeBody(req)
	}

	if strings.EqualFold(req.header("Transfer-Encoding"), "chunked") {
		req.Chunked = true
		for {
			sizeLine, err := readCRLFLine(br)
			if err != nil {
				return err
			}
			sizeText, _, _ := strings.Cut(sizeLine, ";")
			size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
			if err != nil {
				return fmt.Errorf("%w: chunk size %q", errBadRequest, sizeLine)
			}
			if size == 0 {
				break
			}
			var data []byte
			if hooks.discard {
				if _, err := io.CopyN(io.Discard, br, size); err != nil {
					return err
				}
			} else {
				data = make([]byte, size)
				if _, err := io.ReadFull(br, data); err != nil {
					return err
				}
			}
			if end, err := readCRLFLine(br); err != nil || end != "" {
				return fmt.Errorf("%w: chunk not followed by CRLF", errBadRequest)
			}
			req.BodyBytes += size
			if hooks.chunk != nil {
				hooks.chunk(req, data)
			} else if !hooks.discard {
				req.Chunks = append(req.Chunks, data)
				req.ChunkAt = append(req.ChunkAt, time.Now())
			}
		}
		if req.Trailers, err = readFields(br); err != nil {
			return err
		}
		if !hooks.discard {
			req.Body = bytes.Join(req.Chunks, nil)
		}
		return nil
	}

	if text := req.header("Content-Length"); text != "" {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: Content-Length %q", errBadRequest, text)
		}
		req.Body = make([]byte, n)
		got, err := io.ReadFull(br, req.Body)
		if err == io.ErrUnexpectedEOF && hooks.shortBodyOK {
			req.Body, err = req.Body[:got], nil
		}
		if err != nil {
			return err
		}
		req.BodyBytes = int64(len(req.Body))
	}
	return nil
}

func readFields(br *bufio.Reader) ([]field, error) {
	var fields []field
	for {
		line, err := readCRLFLine(br)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return fields, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%w: header line %q", errBadRequest, line)
		}
		fields = append(fields, field{name, strings.Trim(value, " \t")})
	}
}

func readCRLFLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		if err == io.EOF && line != "" {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("%w: line %q does not end in CRLF", errBadRequest, line)
	}
	return strings.TrimSuffix(line, "\r\n"), nil
}

// capture is one reference recording from testdata/wire: what aws-lambda-ric
// sent, rebuilt into requests, and which scenario mode each request id served.
type capture struct {
	Requests []*wireRequest
	Modes    map[string]string // request id -> event "mode"
	Accepted []int             // connection numbers, in accept order
	RawConns map[int]bool      // connections that sent at least one byte
}

var (
	captureRaw    = regexp.MustCompile(`^\s*([\d.]+)ms RAW conn#(\d+) read \d+ bytes: (".*")$`)
	captureAccept = regexp.MustCompile(`^\s*[\d.]+ms accept conn#(\d+) from `)
	captureNext   = regexp.MustCompile(`NEXT -> (\S+) event=(\{.*\})$`)
	captureMode   = regexp.MustCompile(`"mode":"([^"]*)"`)
)

// readCapture parses a log written by the recording server. Its RAW lines
// quote bytes the way Go's %q does, so strconv.Unquote restores them.
func readCapture(t *testing.T, name string) *capture {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "wire", name))
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{Modes: map[string]string{}, RawConns: map[int]bool{}}
	bytesOf := map[int]*bytes.Buffer{}
	var order []int
	for _, line := range strings.Split(string(text), "\n") {
		if m := captureNext.FindStringSubmatch(line); m != nil {
			mode := captureMode.FindStringSubmatch(m[2])
			if mode == nil {
				t.Fatalf("%s: no mode in %q", name, line)
			}
			c.Modes[m[1]] = mode[1]
		}
		if m := captureAccept.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			c.Accepted = append(c.Accepted, n)
		}
		if m := captureRaw.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			raw, err := strconv.Unquote(m[3])
			if err != nil {
				t.Fatalf("%s: cannot unquote %s: %v", name, m[3], err)
			}
			if bytesOf[n] == nil {
				bytesOf[n] = &bytes.Buffer{}
				order = append(order, n)
			}
			bytesOf[n].WriteString(raw)
			c.RawConns[n] = true
		}
	}
	for _, n := range order {
		br := bufio.NewReader(bytes.NewReader(bytesOf[n].Bytes()))
		for {
			req := &wireRequest{Conn: n}
			err := readRequest(br, req, requestHooks{shortBodyOK: true})
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: conn#%d: %v", name, n, err)
			}
			req.Complete = true
			c.Requests = append(c.Requests, req)
		}
	}
	return c
}

// postFor returns the captured POST to the given path suffix (response,
// error) for the request id that served that mode.
func (c *capture) postFor(t *testing.T, mode, what string) *wireRequest {
	t.Helper()
	for id, m := range c.Modes {
		if m != mode {
			continue
		}
		target := "/2018-06-01/runtime/invocation/" + id + "/" + what
		for _, req := range c.Requests {
			if req.Method == "POST" && req.Target == target {
				return req
			}
		}
	}
	t.Fatalf("capture has no POST .../%s for mode %q", what, mode)
	return nil
}

func (c *capture) gets() []*wireRequest {
	var out []*wireRequest
	for _, req := range c.Requests {
		if req.Method == "GET" {
			out = append(out, req)
		}
	}
	return out
}

// readEvents reads a scenario-events*.jsonl file: one JSON event per line.
func readEvents(t *testing.T, name string) []string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "wire", name))
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, line := range strings.Split(string(text), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			events = append(events, line)
		}
	}
	return events
}

// hostPort matches the Host header's port, the one value that differs
// between the recording and a test run.
var hostPort = regexp.MustCompile(`^(127\.0\.0\.1):\d+$`)

func normalizedHeaders(fields []field) []field {
	out := slices.Clone(fields)
	for i, f := range out {
		if strings.EqualFold(f.Name, "Host") {
			out[i].Value = hostPort.ReplaceAllString(f.Value, "$1:PORT")
		}
	}
	return out
}
