package check

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readServerless reads a Serverless Framework serverless.yml: each
// function's handler, runtime, timeout, Function URL (functions.*.url)
// and events.
func (c *checker) readServerless(rel string) []*function {
	root := c.readYAML(rel)
	if root == nil {
		return nil
	}
	provider := get(root, "provider")
	functions := get(root, "functions")
	if functions == nil || functions.Kind != yaml.MappingNode {
		return nil
	}
	retention := get(provider, "logRetentionInDays") != nil
	var fns []*function
	for i := 0; i+1 < len(functions.Content); i += 2 {
		name, def := functions.Content[i], functions.Content[i+1]
		fn := &function{id: name.Value, file: rel, line: name.Line, flavour: "serverless", codeDir: path.Dir(rel), logRetention: retention || get(def, "logRetentionInDays") != nil}
		fn.handler = scalar(get(def, "handler"))
		fn.runtime = scalar(get(def, "runtime"))
		if fn.runtime == "" {
			fn.runtime = scalar(get(provider, "runtime"))
		}
		t := scalar(get(def, "timeout"))
		if t == "" {
			t = scalar(get(provider, "timeout"))
		}
		fn.timeout, _ = strconv.Atoi(t)
		if fn.timeout == 0 {
			fn.timeout = 6 // the Framework's default
		}
		if u := get(def, "url"); u != nil && (scalar(u) == "true" || u.Kind == yaml.MappingNode) {
			fu := frontURL{place: place{rel, "the url of function " + name.Value, keyLine(def, "url")}, authNone: true, id: name.Value}
			if u.Kind == yaml.MappingNode {
				// The Framework's key is invoke, with a lower-case value
				// (response_stream); invokeMode is not read at all.
				fu.invokeMode = strings.ToUpper(scalar(get(u, "invoke")))
				if get(u, "invokeMode") != nil && get(u, "invoke") == nil {
					fu.wrongKey = "invokeMode"
				}
				fu.authNone = !strings.EqualFold(scalar(get(u, "authorizer")), "aws_iam")
				fu.cors = get(u, "cors") != nil && scalar(get(u, "cors")) != "false"
			}
			// The Framework adds lambda:InvokeFunctionUrl for a public
			// URL, but not the lambda:InvokeFunction a new URL needs too.
			if fu.authNone && !serverlessInvokePermission(root, name.Value, serverlessFunctionName(root, name.Value, def)) {
				c.add(Finding{Rule: "SG007", File: rel, Line: fu.line, Message: fmt.Sprintf("the public url of function %s gets only the lambda:InvokeFunctionUrl permission from the Framework; a new URL needs lambda:InvokeFunction with InvokedViaFunctionUrl true too: add an AWS::Lambda::Permission for %s under resources.Resources, or every request gets 403", name.Value, serverlessLogicalID(name.Value))})
			}
			fn.urls = append(fn.urls, fu)
		}
		if events := get(def, "events"); events != nil && events.Kind == yaml.SequenceNode {
			for _, ev := range events.Content {
				if ev.Kind != yaml.MappingNode || len(ev.Content) < 2 {
					continue
				}
				kind := ev.Content[0].Value
				p := place{rel, kind + " event of function " + name.Value, ev.Line}
				switch kind {
				case "httpApi", "alb":
					fn.buffering = append(fn.buffering, p)
				case "http":
					// The Framework writes the integration URI itself.
					fn.rest = append(fn.rest, restMethod{place: p, transferMode: scalar(get(get(ev.Content[1], "response"), "transferMode")), uri: "response-streaming-invocations"})
				}
			}
		}
		fns = append(fns, fn)
	}
	return fns
}

// serverlessInvokePermission reports whether serverless.yml's own
// resources grant Principal * lambda:InvokeFunction, with
// InvokedViaFunctionUrl, on the function called name.
func serverlessInvokePermission(root *yaml.Node, key, deployed string) bool {
	resources := get(get(root, "resources"), "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return false
	}
	fn := &function{id: serverlessLogicalID(key), name: deployed}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		r := resources.Content[i+1]
		props := get(r, "Properties")
		if scalar(get(r, "Type")) != "AWS::Lambda::Permission" || scalar(get(props, "Action")) != "lambda:InvokeFunction" ||
			scalar(get(props, "Principal")) != "*" || !strings.EqualFold(scalar(get(props, "InvokedViaFunctionUrl")), "true") {
			continue
		}
		target := get(props, "FunctionName")
		// A name written with variables (${self:service}-${sls:stage}-x),
		// or a function whose own name is, cannot be compared here: such a
		// permission is taken to be the one, unless it refers to another
		// resource.
		unknownName := strings.Contains(scalar(target), "${") || deployed == "" && scalar(target) != ""
		if namesFunction(target, fn) || unknownName && len(refs(target)) == 0 {
			return true
		}
	}
	return false
}

// serverlessFunctionName is the name the Framework deploys the function
// under: its own name:, else SERVICE-STAGE-KEY (stage dev unless the
// provider says); "" when a ${...} variable makes it unknown here.
func serverlessFunctionName(root *yaml.Node, key string, def *yaml.Node) string {
	name := scalar(get(def, "name"))
	if name == "" {
		service := scalar(get(root, "service"))
		if service == "" {
			service = scalar(get(get(root, "service"), "name"))
		}
		stage := scalar(get(get(root, "provider"), "stage"))
		if stage == "" {
			stage = "dev"
		}
		name = service + "-" + stage + "-" + key
	}
	if strings.Contains(name, "${") {
		return ""
	}
	return name
}

// serverlessLogicalID is the logical id the Framework gives a function's
// AWS::Lambda::Function: its name with a capital first letter, - and _
// spelled out, then LambdaFunction.
func serverlessLogicalID(name string) string {
	name = strings.NewReplacer("-", "Dash", "_", "Underscore").Replace(name)
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return name + "LambdaFunction"
}
