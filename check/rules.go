package check

import (
	"slices"
	"strings"
)

// Severity is how much a finding matters: an error breaks streaming or
// security in production, a warning is a risk or a cost, a note is
// information (no finding of it fails the command).
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Note    Severity = "note"
)

// Rule is one check: a stable id, a severity, a one-line title and the
// explanation `streamgen check --explain ID` prints.
type Rule struct {
	ID       string
	Name     string
	Severity Severity
	Title    string
	Explain  string
}

// Rules lists every rule, by id.
var Rules = []Rule{
	{"SG000", "unreadable-input", Error, "a file check must read cannot be read or parsed",
		"A template, serverless.yml or handler source that cannot be read (too large, not text, a link loop) or parsed is reported instead of being skipped silently: what check cannot read, it cannot vouch for. Fix the file, or pass --skip SG000 to accept the gap."},
	{"SG001", "url-buffers-streamified-handler", Error, "a streamified handler behind a Function URL that buffers",
		"A handler wrapped in awslambda.streamifyResponse writes a stream, but a Function URL without InvokeMode: RESPONSE_STREAM (BUFFERED, or no InvokeMode at all) waits for the whole response and caps it at 6 MB; the client sees nothing until the end. Set InvokeMode: RESPONSE_STREAM (SAM: FunctionUrlConfig.InvokeMode; CDK: invokeMode: lambda.InvokeMode.RESPONSE_STREAM; Serverless: url.invoke: response_stream, not invokeMode, which the Framework does not read)."},
	{"SG002", "streaming-url-plain-handler", Error, "a RESPONSE_STREAM Function URL whose handler is not streamified",
		"With InvokeMode: RESPONSE_STREAM, Lambda streams what the handler writes to its response stream. A plain async handler that returns a value has no stream to write: wrap it in awslambda.streamifyResponse((event, responseStream, context) => ...) and write to responseStream, or set InvokeMode: BUFFERED."},
	{"SG003", "sam-api-event-streaming-key", Error, "a SAM Api event with InvokeMode, or a ResponseTransferMode the SAM transform does not stream",
		"InvokeMode belongs to Function URLs; on a SAM Api event it is refused or ignored (aws-sam-cli issue 8606). The key there is ResponseTransferMode, and the SAM transform (aws-sam-translator 1.110) streams only with ResponseTransferMode: RESPONSE_STREAM, which gives the integration the response-streaming-invocations URI and responseTransferMode STREAM; with any other value the API buffers."},
	{"SG004", "rest-integration-buffers", Error, "a REST API integration to a streamified handler without ResponseTransferMode: STREAM",
		"An AWS::ApiGateway::Method whose AWS_PROXY integration targets a streamified function buffers the whole response unless Integration.ResponseTransferMode is STREAM (CDK: LambdaIntegration({ responseTransferMode: apigateway.ResponseTransferMode.STREAM })). Set it, with the response-streaming-invocations URI."},
	{"SG005", "rest-stream-plain-invoke-uri", Error, "a STREAM REST integration on the plain /invocations URI",
		"API Gateway streams a Lambda response through InvokeWithResponseStream, whose integration URI is arn:PARTITION:apigateway:REGION:lambda:path/2021-11-15/functions/FUNCTION_ARN/response-streaming-invocations. The usual .../2015-03-31/functions/FUNCTION_ARN/invocations is refused with ResponseTransferMode: STREAM. Use the response-streaming URI."},
	{"SG006", "buffering-front-end", Error, "an HTTP API or an Application Load Balancer in front of a streamified handler",
		"HTTP APIs (API Gateway v2) and Application Load Balancers invoke Lambda synchronously and buffer the whole response: a streamified handler behind them never streams, and its response is capped. Use a Function URL with InvokeMode: RESPONSE_STREAM, or a REST API with ResponseTransferMode: STREAM."},
	{"SG007", "public-url-permissions", Error, "a public Function URL without both permissions",
		"Since October 2025 a Function URL with AuthType NONE needs two resource-policy statements: lambda:InvokeFunctionUrl (Principal *, FunctionUrlAuthType NONE) and lambda:InvokeFunction (Principal *, InvokedViaFunctionUrl true). Without the second, every request gets 403. SAM's FunctionUrlConfig and CDK's addFunctionUrl add both; a plain CloudFormation template must declare them."},
	{"SG008", "default-timeout", Warning, "a streaming function at the 3-second default timeout",
		"Lambda stops a function at its timeout, and a stream ends with it: at the 3-second default, any real stream is cut. Set Timeout to the longest stream you serve (at most 900 seconds)."},
	{"SG009", "deprecated-runtime", Error, "a deprecated Node.js runtime",
		"nodejs20.x and older are deprecated: new functions cannot be created on them, existing ones stop getting updates, and the streaming fixes of newer runtime clients do not reach them. Use nodejs24.x (or nodejs22.x)."},
	{"SG010", "callback-handler-node24", Error, "a callback-style handler on nodejs24.x",
		"The nodejs24.x runtime no longer takes callback handlers: a handler with three or more parameters (event, context, callback) that is neither async nor streamified fails at init. Make it async and return the result, or streamify it."},
	{"SG011", "no-log-retention", Warning, "no log retention for the function's logs",
		"Without an explicit log group with RetentionInDays, Lambda creates /aws/lambda/NAME with no retention, and streams' logs are kept (and billed) forever. Declare a log group with RetentionInDays and point LoggingConfig.LogGroup at it."},
	{"SG012", "streamified-not-async", Error, "a streamified handler that is not async, or returns a value",
		"The runtime awaits the promise the streamified handler returns and then ends the stream; a handler that is not async returns before its writes are done, and a value it returns is ignored (nothing reaches the caller). Make it async, write to the stream, and return nothing."},
	{"SG013", "from-then-end-without-write", Error, "HttpResponseStream.from followed by end() with no write",
		"HttpResponseStream.from only queues the status and headers; they go out with the first write. end() with no write before it, or end(chunk), which sends the chunk without them, drops them, and the caller gets a 200 with the runtime's defaults, or a 502 (aws-lambda-nodejs-runtime-interface-client issues 95 and 97). Write something, even \"\", before end()."},
	{"SG014", "late-prelude", Error, "setContentType or HttpResponseStream.from after the first write",
		"The status, headers and content type go out with the first body byte; set after a write, they are ignored or corrupt the body. Call HttpResponseStream.from (or setContentType) before anything is written."},
	{"SG015", "wrapped-streamified-handler", Error, "a wrapper around the streamified handler",
		"awslambda.streamifyResponse tags the function it returns, and the runtime streams only a handler that carries the tag. A wrapper applied around it (a tracing or middleware wrapper such as Sentry's wrapHandler or middy) returns a new, untagged function, and the response is buffered. Apply the wrapper inside: streamifyResponse(wrap(handler)), with a wrapper that supports streaming."},
	{"SG016", "write-loop-ignores-backpressure", Warning, "writes in a loop that ignore backpressure",
		"stream.write() returns false when the caller is slower than the loop; writing on regardless buffers the whole response in the function's memory. Use pipeline(Readable.from(chunks), stream), or await once(stream, 'drain') when write returns false."},
	{"SG017", "set-cookie-in-headers", Error, "several set-cookie values in headers",
		"The prelude's headers take one value per name; several cookies in headers.set-cookie are joined into one header, which browsers read as one cookie. Put each cookie in the prelude's cookies array."},
	{"SG018", "hop-by-hop-header", Error, "content-length, transfer-encoding or connection in the prelude",
		"The front end frames a streamed response itself (chunked). A content-length, transfer-encoding or connection header from the handler disagrees with that framing: clients hang or cut the body. Leave them out."},
	{"SG019", "doubled-cors-header", Error, "CORS on the Function URL and in the handler",
		"A Function URL with Cors adds access-control-allow-origin to every response; a handler that sets it too sends the header twice, and browsers refuse a response with two. Set CORS in one place."},
	{"SG020", "suppression-without-reason", Error, "a suppression without a reason",
		"A streamgen-check-ignore comment or resource Metadata entry must say why the finding does not apply: `// streamgen-check-ignore SG008 the stream is capped at 2 s by the client`. One without a reason still suppresses its finding, but is itself an error, so the run still fails until a reason is given."},
}

// rule returns the rule with id.
func rule(id string) Rule {
	i := slices.IndexFunc(Rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		panic("check: no rule " + id)
	}
	return Rules[i]
}

// LookupRule finds a rule by id or name, ignoring case.
func LookupRule(s string) (Rule, bool) {
	for _, r := range Rules {
		if strings.EqualFold(r.ID, s) || strings.EqualFold(r.Name, s) {
			return r, true
		}
	}
	return Rule{}, false
}
