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
	raw := c.readLimited(rel, maxTemplateBytes)
	if raw == nil {
		return nil
	}
	if !isText(raw) {
		c.add(Finding{Rule: "SG000", File: rel, Message: rel + " is not text"})
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		line := 1
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		c.add(Finding{Rule: "SG000", File: rel, Line: line, Message: fmt.Sprintf("%s does not parse: %v", rel, err)})
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	provider := get(root, "provider")
	functions := get(root, "functions")
	if functions == nil || functions.Kind != yaml.MappingNode {
		return nil
	}
	retention := get(provider, "logRetentionInDays") != nil
	var fns []*function
	for i := 0; i+1 < len(functions.Content); i += 2 {
		name, def := functions.Content[i], functions.Content[i+1]
		fn := &function{id: name.Value, file: rel, line: name.Line, codeDir: path.Dir(rel), logRetention: retention || get(def, "logRetentionInDays") != nil}
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
				// The Framework takes the mode in either case.
				fu.invokeMode = strings.ToUpper(scalar(get(u, "invokeMode")))
				fu.authNone = !strings.EqualFold(scalar(get(u, "authorizer")), "aws_iam")
				fu.cors = get(u, "cors") != nil && scalar(get(u, "cors")) != "false"
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
