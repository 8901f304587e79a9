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
	"syscall"
)

func main() {
	// SIGINT, SIGTERM and SIGHUP (the terminal closed) cancel the context
	// instead of killing the process, so a write in progress can remove its
	// staging directory first and `streamgen dev` can stop the function.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
