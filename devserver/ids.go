package devserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// newUUID returns a random (version 4) UUID, the form of Lambda's request
// ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newTraceID returns an X-Ray trace header in the form Lambda passes in
// Lambda-Runtime-Trace-Id: Root=1-<epoch seconds, hex>-<96 random
// bits>;Parent=<64 random bits>;Sampled=0.
func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}

// traceRoot returns the Root=... part of a trace header, which is what a
// Function URL puts in the request's x-amzn-trace-id.
func traceRoot(trace string) string {
	root, _, _ := strings.Cut(trace, ";")
	return root
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
