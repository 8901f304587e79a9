package generator

import (
	"maps"
	"slices"
	"strings"
)

// SchemaDraft is the JSON Schema dialect [Source.Schema] writes.
const SchemaDraft = "http://json-schema.org/draft-07/schema#"

// Schema returns a JSON Schema (draft-07, self-contained: no $ref) of a
// values file for template name, or for any of the source's templates when
// name is "": the options every template shares, the template's
// parameters (with title, description, enum, default and pattern, and
// when they apply), and the house policy. Form-driven portals take this
// shape for their parameters (a Backstage software template takes it as
// spec.parameters). A file the CLI refuses fails the schema wherever JSON
// Schema can say why (the bucket naming rules, parameters that apply only
// with others, the template's cross-parameter checks, the house policy's
// rules); what it cannot say is an origin listed twice in a list of CORS
// origins.
func (s *Source) Schema(name string) (map[string]any, error) {
	var ts []Template
	if name == "" {
		ts = s.Templates()
	} else {
		t, ok := s.Template(name)
		if !ok {
			return nil, invalid("TEMPLATE", name, "no such template", "choose one of "+strings.Join(s.Names(), ", ")+" (run `streamgen list`)")
		}
		ts = []Template{t}
	}
	names := make([]any, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	answers := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"name": map[string]any{
				"title":       "Project name",
				"description": "npm package name, folder name and CloudFormation stack name: lowercase letters, digits and hyphens, starting with a letter",
				"type":        "string",
				"pattern":     `^[a-z][a-z0-9-]*$`,
				"maxLength":   maxStackNameLen,
				"not":         map[string]any{"enum": anySlice(nodeBuiltins)},
			},
			"iac":     choiceSchema("Infrastructure as code", "sam (a template.yaml) or cdk (a TypeScript CDK app)", IaCChoices, DefaultIaC),
			"runtime": choiceSchema("Lambda runtime", "the Node.js runtime the function runs on", RuntimeChoices, DefaultRuntime),
			"arch":    choiceSchema("Architecture", "the Lambda architecture", ArchChoices, DefaultArch),
			"front":   choiceSchema("Front end", "url: a Lambda Function URL; rest-api: an API Gateway REST API", FrontChoices, DefaultFront),
			"auth":    choiceSchema("Auth", "iam: callers sign with SigV4; none: public, with reserved concurrency; a REST API also takes api-key (a usage plan) and cognito (a user pool authorizer)", AuthChoices, DefaultAuth),
			"stage": map[string]any{
				"title": "REST API stage", "description": "the stage a rest-api project deploys: letters, digits and underscores",
				"type": "string", "pattern": `^[A-Za-z0-9_]+$`, "minLength": 1, "maxLength": 128, "default": DefaultStage,
			},
			"userPoolArn": map[string]any{
				"title": "Cognito user pool ARN", "description": "the user pool whose tokens a rest-api project with auth cognito accepts",
				"type": "string", "pattern": userPoolARNRE.String(),
			},
			"memory":  intSchema("Memory (MB)", "the function's memory", MinMemory, MaxMemory),
			"timeout": intSchema("Timeout (seconds)", "the function's timeout; Lambda keeps running after a caller disconnects, so this bounds a stream's cost", MinTimeout, MaxTimeout),
			"set":     map[string]any{"type": "object"},
		},
	}
	answers["allOf"] = frontRules()
	root := map[string]any{
		"$schema":              SchemaDraft,
		"title":                "streamgen values",
		"description":          "The answers `streamgen new --values FILE` generates a project from, shaped like a project's .streamgen.json.",
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"template":         map[string]any{"title": "Template", "description": "the template to render (streamgen list shows them)", "type": "string", "enum": names, "default": ts[0].Name},
			"streamgenVersion": map[string]any{"description": "the streamgen that generated the project; read and ignored"},
			"answers":          answers,
			"format":           map[string]any{"type": "integer", "minimum": 1, "description": "the layout of .streamgen.json; read and ignored by new"},
			"templateDir":      map[string]any{"type": "boolean", "description": "the project came from a --template-dir; read and ignored by new"},
			"house":            houseSchemaJSON(),
			"files":            map[string]any{"type": "object", "description": "the SHA-256 of each file as generated; read and ignored by new", "additionalProperties": map[string]any{"type": "string"}},
			"conflicts":        map[string]any{"type": "array", "description": "files an upgrade left in conflict; read and ignored by new", "items": map[string]any{"type": "string"}},
		},
	}
	if name != "" {
		t := ts[0]
		root["title"] = "streamgen values for template " + t.Name
		root["properties"].(map[string]any)["template"] = map[string]any{"title": "Template", "description": t.Description, "const": t.Name, "default": t.Name}
		root["required"] = []any{"template"}
		props := answers["properties"].(map[string]any)
		props["set"] = paramsSchema(t)
		if needsSet(t) {
			answers["required"] = []any{"set"}
			root["required"] = []any{"template", "answers"}
		}
		props["memory"].(map[string]any)["default"] = cmpOr(t.Memory, DefaultMemory)
		props["timeout"].(map[string]any)["default"] = cmpOr(t.Timeout, DefaultTimeout)
		return root, nil
	}
	// Any template: each template's parameters apply when the file names
	// it, and the default template's when it names none.
	var branches []any
	for _, t := range ts {
		cond := map[string]any{"properties": map[string]any{"template": map[string]any{"const": t.Name}}, "required": []any{"template"}}
		if t.Name == DefaultTemplate {
			cond = map[string]any{"anyOf": []any{cond, map[string]any{"not": map[string]any{"required": []any{"template"}}}}}
		}
		then := map[string]any{"properties": map[string]any{"answers": map[string]any{"properties": map[string]any{"set": paramsSchema(t)}}}}
		if needsSet(t) {
			then["required"] = []any{"answers"}
			then["properties"].(map[string]any)["answers"].(map[string]any)["required"] = []any{"set"}
		}
		branches = append(branches, map[string]any{"if": cond, "then": then})
	}
	root["allOf"] = branches
	return root, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func choiceSchema(title, desc string, choices []string, def string) map[string]any {
	return map[string]any{"title": title, "description": desc, "type": "string", "enum": anySlice(choices), "default": def}
}

func intSchema(title, desc string, min, max int) map[string]any {
	return map[string]any{"title": title, "description": desc, "type": "integer", "minimum": min, "maximum": max}
}

// needsSet reports whether a values file for t must have answers.set: t
// has a parameter that is required whatever the others are.
func needsSet(t Template) bool {
	for _, p := range t.Params {
		if p.Required && len(p.When) == 0 {
			return true
		}
	}
	return false
}

// paramsSchema is the schema of answers.set for t: each parameter, where
// it applies, what it requires, and the template's checks.
func paramsSchema(t Template) map[string]any {
	props := map[string]any{}
	var all []any
	var required []any
	for _, p := range t.Params {
		ps := map[string]any{"title": p.Name, "description": p.Help, "type": "string"}
		if p.Default != "" {
			ps["default"] = p.Default
		}
		if len(p.Choices) > 0 {
			ps["enum"] = anySlice(p.Choices)
		}
		var parts []any
		if p.Pattern != "" {
			parts = append(parts, map[string]any{"pattern": `^(?:` + p.Pattern + `)$`})
		}
		if v, ok := validators()[p.Validator]; ok {
			parts = append(parts, maps.Clone(v.Schema))
		}
		switch len(parts) {
		case 1:
			maps.Copy(ps, parts[0].(map[string]any))
		case 2:
			ps["allOf"] = parts
		}
		// No control characters, as checkText says.
		// What checkText refuses: control characters (C0, DEL, C1), bidi
		// controls, and the line and paragraph separators.
		// The characters above U+00FF are written as themselves: JSON
		// Schema's regexes (ECMA 262) and Go's spell their escapes
		// differently.
		ps["not"] = mergeNot(ps["not"], map[string]any{"pattern": `[\x00-\x1f\x7f-\x9f` + "\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\u2028\u2029" + `]`})
		props[p.Name] = ps
		if len(p.When) > 0 {
			// Where it does not apply, it must not be given.
			all = append(all, map[string]any{"if": map[string]any{"not": conditionSchema(t, p.When)}, "then": map[string]any{"not": map[string]any{"required": []any{p.Name}}}})
		}
		if p.Required {
			if len(p.When) == 0 {
				required = append(required, p.Name)
			} else {
				all = append(all, map[string]any{"if": conditionSchema(t, p.When), "then": map[string]any{"required": []any{p.Name}}})
			}
		}
	}
	for _, c := range t.pack.checks {
		v := c.schema
		if v == nil {
			continue
		}
		all = append(all, map[string]any{"if": conditionSchema(t, c.when), "then": map[string]any{"properties": map[string]any{c.param: v}}})
	}
	out := map[string]any{
		"title":                "Parameters of " + t.Name,
		"type":                 "object",
		"additionalProperties": false,
		"properties":           props,
	}
	if len(required) > 0 {
		out["required"] = required
	}
	if len(all) > 0 {
		out["allOf"] = all
	}
	return out
}

// mergeNot adds a refused schema to what a "not" already refuses.
func mergeNot(existing any, add map[string]any) any {
	if existing == nil {
		return add
	}
	return map[string]any{"anyOf": []any{existing, add}}
}

// conditionSchema holds, on the answers.set object, where c holds: each
// parameter given and matching, or not given and its default matching.
func conditionSchema(t Template, c Condition) map[string]any {
	var all []any
	for _, k := range slices.Sorted(maps.Keys(c)) {
		m := c[k]
		given := map[string]any{"required": []any{k}, "properties": map[string]any{k: matchSchema(m)}}
		p, _ := t.param(k)
		if m.holds(p.Default) {
			all = append(all, map[string]any{"anyOf": []any{given, map[string]any{"not": map[string]any{"required": []any{k}}}}})
		} else {
			all = append(all, given)
		}
	}
	if len(all) == 1 {
		return all[0].(map[string]any)
	}
	return map[string]any{"allOf": all}
}

func matchSchema(m Match) map[string]any {
	switch {
	case m.Equals != nil:
		return map[string]any{"const": *m.Equals}
	case m.Not != nil:
		return map[string]any{"not": map[string]any{"const": *m.Not}}
	case m.Matches != "":
		return map[string]any{"pattern": `^(?:` + m.Matches + `)$`}
	default:
		return map[string]any{"not": map[string]any{"pattern": `^(?:` + m.NotMatches + `)$`}}
	}
}

func houseSchemaJSON() map[string]any {
	var days []any
	for _, d := range slices.Sorted(maps.Keys(cdkRetention())) {
		days = append(days, d)
	}
	tagText := `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`
	return map[string]any{
		"title":                "House policy",
		"description":          "the organisation's policy every project follows: tags on the stack and every resource that takes them, a permissions boundary on every role, the log retention",
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"tags": map[string]any{
				"type":          "object",
				"maxProperties": maxTags,
				"propertyNames": map[string]any{"minLength": 1, "maxLength": 128, "pattern": tagText, "not": map[string]any{"pattern": `^[aA][wW][sS]:`}},
				"additionalProperties": map[string]any{
					"type": "string", "maxLength": 256, "pattern": tagText,
				},
			},
			"permissionsBoundary": map[string]any{"type": "string", "pattern": "^$|" + boundaryARNRE.String()},
			"logRetentionDays":    map[string]any{"type": "integer", "enum": days, "default": defaultLogRetentionDays},
		},
	}
}

// frontRules are the rules between front, auth, stage and userPoolArn:
// a Function URL takes iam or none and has no stage; auth cognito needs a
// user pool, which only it takes.
func frontRules() []any {
	isRest := map[string]any{"properties": map[string]any{"front": map[string]any{"const": FrontRestAPI}}, "required": []any{"front"}}
	return []any{
		map[string]any{
			"if": map[string]any{"not": isRest},
			"then": map[string]any{
				"properties": map[string]any{"auth": map[string]any{"enum": anySlice(AuthChoicesFor(FrontURL))}},
				"not":        map[string]any{"anyOf": []any{map[string]any{"required": []any{"stage"}}, map[string]any{"required": []any{"userPoolArn"}}}},
			},
		},
		map[string]any{
			"if":   map[string]any{"properties": map[string]any{"auth": map[string]any{"const": AuthCognito}}, "required": []any{"auth"}},
			"then": map[string]any{"required": []any{"userPoolArn"}},
			"else": map[string]any{"not": map[string]any{"required": []any{"userPoolArn"}}},
		},
	}
}
