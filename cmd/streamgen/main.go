// Command streamgen scaffolds AWS Lambda response streaming projects: a
// Node.js handler wrapped in a small streamify shim, tests that run locally
// with `npm test`, and a SAM template or CDK app that sets the Function URL's
// InvokeMode to RESPONSE_STREAM.
//
// Usage:
//
//	streamgen new NAME [flags]   generate a project into ./NAME
//	streamgen list               list the templates
//	streamgen version            print the version
//
// Exit codes: 0 success, 1 generation or writing failed, 2 usage or
// validation error, 130 interrupted. See `streamgen new --help` for every
// flag.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	ctx := &signalContext{Context: context.Background()}
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if ctx.stop != nil {
		ctx.stop()
	}
	os.Exit(code)
}

// signalContext is cancelled by SIGINT, SIGTERM or SIGHUP (the terminal
// closed) instead of the process being killed, so that a write in progress
// can remove its staging directory first and `streamgen dev` can stop the
// function. Watching for the signals starts a goroutine and a thread, so it
// begins only when a command asks for it (see [app.run]) or first consults
// Done or Err: a command that never waits (version, list) exits without
// paying for it.
type signalContext struct {
	context.Context // context.Background: no deadline, no values
	once            sync.Once
	ctx             context.Context
	stop            context.CancelFunc
}

// watch starts taking the signals as cancellation.
func (s *signalContext) watch() {
	s.once.Do(func() {
		s.ctx, s.stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	})
}

func (s *signalContext) Done() <-chan struct{} { s.watch(); return s.ctx.Done() }
func (s *signalContext) Err() error            { s.watch(); return s.ctx.Err() }
