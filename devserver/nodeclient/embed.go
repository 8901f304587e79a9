// Package nodeclient embeds the Node.js Lambda runtime client that
// `streamgen dev` runs a project's handler with.
//
// Source is a single dependency-free ES module (Node.js 20 or later). It
// behaves on the wire like the real client of the Lambda Node.js runtimes,
// npm aws-lambda-ric 4.x: the tests next to this file compare the bytes it
// sends with recordings of aws-lambda-ric 4.0.2.
//
// To run a handler, write Source to FileName in a temporary directory and
// start `node <dir>/streamgen-runtime.mjs` with the working directory set to
// the task root and this environment:
//
//	_HANDLER                          e.g. src/index.handler: module path relative to
//	                                  LAMBDA_TASK_ROOT, then the export (nested: a.b)
//	LAMBDA_TASK_ROOT                  the project directory
//	AWS_LAMBDA_RUNTIME_API            host:port of the Runtime API server
//	AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
//	AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME
//
// Optional: AWS_EXECUTION_ENV (AWS_Lambda_nodejs24.x refuses callback-style
// handlers at init, as Lambda does; nodejs22.x runs them),
// AWS_LAMBDA_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT (TEXT or JSON) and
// AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA (1 or true: no global awslambda).
//
// What the client does against the Runtime API (base /2018-06-01/runtime):
//
//   - It loops on GET /invocation/next over one keep-alive connection and
//     posts every response and error over a second one.
//   - A streaming handler's response is POST /invocation/{id}/response with
//     Transfer-Encoding: chunked, one chunk per write(). A handler error ends
//     the body with the trailers Lambda-Runtime-Function-Error-Type and
//     Lambda-Runtime-Function-Error-Body (base64 of the JSON
//     {errorType, errorMessage, trace}); the POST still goes to /response.
//     A streaming handler that returns without ending its stream leaves the
//     POST open, without a byte, as Lambda does until the function times out.
//   - A buffered handler's result is POST /invocation/{id}/response with a
//     JSON body; its error is POST /invocation/{id}/error.
//   - A load failure is POST /init/error with header
//     Lambda-Runtime-Function-Error-Type (Runtime.ImportModuleError,
//     Runtime.HandlerNotFound, Runtime.UserCodeSyntaxError, ...), then the
//     process exits with status 1.
//   - An uncaught exception or unhandled rejection is posted to
//     /invocation/{id}/error (or /init/error during init) on a fresh
//     connection, even while that invocation's response stream is still
//     open, and the process exits with status 129 or 128.
//
// Logs: console output becomes one record per line on stdout,
// "<RFC 3339 time>\t<request id or ->\t<LEVEL>\t<message>". As in Lambda, a
// record's own line breaks are written as "\r", so "\n" always ends a record;
// a log viewer should show each "\r" inside a record as a line break.
// Anything the handler writes to process.stdout or process.stderr directly
// passes through unchanged.
package nodeclient

import _ "embed"

// Source is the runtime client, an ES module.
//
//go:embed runtime.mjs
var Source []byte

// FileName is the name to write Source under. It ends in .mjs so Node.js
// loads it as an ES module whatever package.json is nearby.
const FileName = "streamgen-runtime.mjs"
