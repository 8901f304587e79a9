package devserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkStreamThroughput streams 64 MiB in 64 KiB chunks from a raw
// Runtime API client through the front end to an HTTP client: the dev
// server's own cost per byte.
func BenchmarkStreamThroughput(b *testing.B) {
	const chunkSize, chunks = 64 << 10, 1024
	ts := newTestServer(b, 300)
	frame := []byte(fmt.Sprintf("%x\r\n%s\r\n", chunkSize, strings.Repeat("x", chunkSize)))
	b.SetBytes(chunkSize * chunks)
	b.ResetTimer()
	for range b.N {
		done := make(chan int64)
		go func() {
			resp, err := http.Get(ts.url)
			if err != nil {
				done <- -1
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			done <- n
		}()
		e := ts.env(nil)
		inv := next(b, e)
		st := openStream(b, e, inv.id, "application/octet-stream")
		for range chunks {
			st.conn.Write(frame)
		}
		st.end("", "")
		st.answer()
		if n := <-done; n != chunkSize*chunks {
			b.Fatalf("got %d bytes", n)
		}
	}
}

// BenchmarkFirstByte measures a whole invocation with a tiny response,
// function played in-process: the dev server's own time to first byte.
func BenchmarkFirstByte(b *testing.B) {
	ts := newTestServer(b, 300)
	client := &http.Client{}
	go func() {
		for {
			ts.s.mu.Lock()
			e := ts.s.env
			ts.s.mu.Unlock()
			if e == nil {
				time.Sleep(time.Millisecond)
				continue
			}
			resp, err := http.Get("http://" + e.addr + "/2018-06-01/runtime/invocation/next")
			if err != nil {
				return
			}
			id := resp.Header.Get(headerRequestID)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			req, _ := http.NewRequest("POST", "http://"+e.addr+"/2018-06-01/runtime/invocation/"+id+"/response", io.MultiReader(strings.NewReader("x")))
			req.ContentLength = -1
			req.Header.Set(headerResponseMode, "streaming")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	b.ResetTimer()
	for range b.N {
		resp, err := client.Get(ts.url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
