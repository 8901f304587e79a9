package main

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// The signal context watches only once asked, and then turns SIGINT into
// a cancellation instead of the end of the process.
func TestSignalContext(t *testing.T) {
	ctx := &signalContext{Context: context.Background()}
	if code := Run(ctx, []string{"list"}, nil, io.Discard, io.Discard); code != exitOK {
		t.Fatalf("list: exit %d", code)
	}
	if ctx.ctx != nil {
		t.Fatal("list started watching for signals; it never waits")
	}
	if err := ctx.Err(); err != nil {
		t.Fatalf("a fresh context is cancelled: %v", err)
	}
	defer ctx.stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("Err after SIGINT: %v", ctx.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
}
