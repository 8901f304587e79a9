// Package devserver runs a streamgen project's Lambda function on this
// machine, behind a local stand-in for its Function URL. It is the engine of
// `streamgen dev` and `streamgen invoke`.
//
// Three parts work together:
//
//   - A Lambda Runtime API server (version 2018-06-01) on a random
//     127.0.0.1 port. The function process talks to it exactly as it talks to
//     Lambda: GET /runtime/invocation/next, then POST
//     /runtime/invocation/{id}/response (streamed with chunked encoding and
//     error trailers, or buffered JSON), /runtime/invocation/{id}/error or
//     /runtime/init/error.
//   - A Function URL front end (an http.Handler). Each HTTP request becomes a
//     Function URL event (payload format 2.0) and its response is built the
//     way the Function URL builds it: the status-and-headers prelude of
//     application/vnd.awslambda.http-integration-response, every chunk
//     flushed as it arrives, a cut connection when the function fails after
//     the first byte, 502 when it fails before, and Lambda's limits (6 MB
//     request, 6 MB buffered and 200 MB streamed response, the function
//     timeout).
//   - A supervisor for the function process: the embedded Node.js runtime
//     client (package nodeclient), the project's own aws-lambda-ric, or any
//     command. It runs in its own process group with the environment Lambda
//     sets, one invocation at a time, and is restarted after a crash, a
//     timeout or a change to the project's files.
//
// Each function process gets a Runtime API listener of its own, so a killed
// process can never take an invocation meant for its successor.
package devserver
