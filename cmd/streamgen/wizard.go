package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamgen/streamgen/generator"
)

// errDeclined is returned when the person answers "no" to the summary.
var errDeclined = errors.New("cancelled at the summary; nothing was written")

// wizard asks, through a Prompter, for every answer the flags and values
// file left out. It never asks for what was given, so the same command
// line works with and without a terminal.
type wizard struct {
	p   Prompter
	src *generator.Source
	// given records what flags or the values file set: "name", "template",
	// "iac", "runtime", "arch", "front", "auth", "stage", "user-pool-arn",
	// "memory", "timeout" and "set:KEY".
	given map[string]bool
	// yes accepts the default of everything not given: only the name,
	// which has none, is asked, and there is no summary to confirm.
	yes bool
}

// choiceHelp describes the choices of the core options in the wizard.
var choiceHelp = map[string]map[string]string{
	"iac": {
		generator.IaCSAM: "AWS SAM template (template.yaml); deploy with sam deploy",
		generator.IaCCDK: "AWS CDK app in TypeScript; deploy with cdk deploy",
	},
	"runtime": {
		"nodejs24.x": "Node.js 24 (recommended)",
		"nodejs22.x": "Node.js 22",
	},
	"arch": {
		"arm64":  "Graviton: about 20% cheaper per GB-second",
		"x86_64": "Intel/AMD, for native modules built only for x86",
	},
	"front": {
		generator.FrontURL:     "a Lambda Function URL: the simplest, no cost beyond Lambda",
		generator.FrontRestAPI: "an API Gateway REST API: API keys, usage plans, Cognito, stages, WAF",
	},
	"auth": {
		generator.AuthIAM:     "AWS_IAM: callers sign requests with SigV4 (recommended)",
		generator.AuthNone:    "NONE: a public endpoint anyone can call, billed to you",
		generator.AuthAPIKey:  "an API key with a usage plan (throttle and quota)",
		generator.AuthCognito: "a Cognito user pool authorizer",
	},
}

// authNoneWarning is shown whenever auth none is chosen, by flag or answer.
const authNoneWarning = "--auth none makes the endpoint public: anyone with its URL can invoke the function, and every call is billed to you. The stack caps concurrency; use --auth iam unless the endpoint must be public."

func (w *wizard) run(ctx context.Context, o *generator.Options) error {
	answers := map[string]*string{}
	answer := func(key, def string) *string {
		v := def
		answers[key] = &v
		return &v
	}
	var qs []*Question
	if !w.given["name"] {
		qs = append(qs, &Question{Key: "name", Kind: KindInput, Title: "Project name",
			Help:     "lowercase letters, digits and hyphens, e.g. my-stream; also the folder and stack name",
			Value:    answer("name", o.Name),
			Validate: generator.ValidateName})
	}
	if w.yes {
		if err := w.p.Ask(ctx, qs); err != nil {
			return err
		}
		if v, ok := answers["name"]; ok {
			o.Name = *v
		}
		return nil
	}

	// current returns the options as answered so far, for the questions
	// that depend on earlier answers and for the summary.
	current := func() generator.Options {
		c := *o
		for key, dst := range map[string]*string{"name": &c.Name, "template": &c.Template, "iac": &c.IaC, "runtime": &c.Runtime, "arch": &c.Arch, "front": &c.Front} {
			if v, ok := answers[key]; ok {
				*dst = *v
			}
		}
		// Auth has one question per front end, as their choices differ;
		// the stage and the user pool apply to a REST API only.
		restAPI := orDefault(c.Front, generator.DefaultFront) == generator.FrontRestAPI
		authKey := "auth"
		if restAPI {
			authKey = "auth:rest-api"
		}
		if v, ok := answers[authKey]; ok {
			c.Auth = *v
		}
		if v, ok := answers["stage"]; ok && restAPI {
			c.Stage = *v
		}
		if v, ok := answers["user-pool-arn"]; ok && restAPI && c.Auth == generator.AuthCognito {
			c.UserPoolARN = *v
		}
		// The chosen template's answered parameters, in declaration order,
		// each only if it applies given those before it: an answer to a
		// question that no longer applies (after going back and changing
		// the provider, say) is dropped.
		c.Set = maps.Clone(o.Set)
		if t, ok := w.src.Template(orDefault(c.Template, generator.DefaultTemplate)); ok {
			for _, p := range t.Params {
				v, ok := answers["param:"+t.Name+":"+p.Name]
				if !ok || *v == "" || !p.Applies(t.ResolveParams(c.Set)) {
					continue
				}
				if c.Set == nil {
					c.Set = map[string]string{}
				}
				c.Set[p.Name] = *v
			}
		}
		return c
	}

	if !w.given["template"] {
		var choices []Choice
		for _, t := range w.src.Templates() {
			choices = append(choices, Choice{Value: t.Name, Label: t.Name + ": " + t.Description})
		}
		qs = append(qs, &Question{Key: "template", Kind: KindSelect, Title: "Template", Help: "what the function does",
			Choices: choices, Value: answer("template", orDefault(o.Template, generator.DefaultTemplate))})
	}
	isRest := func() bool { return orDefault(current().Front, generator.DefaultFront) == generator.FrontRestAPI }
	for _, c := range []struct {
		key, title string
		value      string
		choices    []string
		skip       func() bool
	}{
		{"iac", "Infrastructure as code", orDefault(o.IaC, generator.DefaultIaC), generator.IaCChoices, nil},
		{"runtime", "Lambda runtime", orDefault(o.Runtime, generator.DefaultRuntime), generator.RuntimeChoices, nil},
		{"arch", "Architecture", orDefault(o.Arch, generator.DefaultArch), generator.ArchChoices, nil},
		{"front", "Front end", orDefault(o.Front, generator.DefaultFront), generator.FrontChoices, nil},
		{"auth", "Function URL auth", orDefault(o.Auth, generator.DefaultAuth), generator.AuthChoicesFor(generator.FrontURL), isRest},
		{"auth:rest-api", "REST API auth", orDefault(o.Auth, generator.DefaultAuth), generator.AuthChoicesFor(generator.FrontRestAPI), func() bool { return !isRest() }},
	} {
		if w.given[strings.TrimSuffix(c.key, ":rest-api")] {
			continue
		}
		var choices []Choice
		for _, v := range c.choices {
			choices = append(choices, Choice{Value: v, Label: v + ": " + choiceHelp[strings.TrimSuffix(c.key, ":rest-api")][v]})
		}
		q := &Question{Key: c.key, Kind: KindSelect, Title: c.title, Choices: choices, Value: answer(c.key, c.value), Skip: c.skip}
		if strings.HasPrefix(c.key, "auth") {
			q.NoticeLines = 2
			q.Notice = func() string {
				if *q.Value == generator.AuthNone {
					return "Warning: " + authNoneWarning
				}
				return ""
			}
		}
		qs = append(qs, q)
	}
	if !w.given["stage"] {
		qs = append(qs, &Question{Key: "stage", Kind: KindInput, Title: "REST API stage",
			Help: "letters, digits and underscores; the stage's URL ends in /STAGE/", Value: answer("stage", orDefault(o.Stage, generator.DefaultStage)),
			Skip: func() bool { return !isRest() },
			Validate: func(v string) error {
				c := current()
				c.Stage = v
				return fieldError(c.Validate(), "--stage")
			}})
	}
	if !w.given["user-pool-arn"] {
		qs = append(qs, &Question{Key: "user-pool-arn", Kind: KindInput, Title: "Cognito user pool ARN",
			Help: "the pool whose tokens the API accepts, e.g. arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123", Value: answer("user-pool-arn", o.UserPoolARN),
			Skip: func() bool { c := current(); return !isRest() || c.Auth != generator.AuthCognito },
			Validate: func(v string) error {
				c := current()
				c.UserPoolARN = v
				return fieldError(c.Validate(), "--user-pool-arn")
			}})
	}
	qs = append(qs, w.paramQuestions(answer, current)...)

	confirm := &Question{Key: "confirm", Kind: KindConfirm, Title: "Generate the project?", Value: answer("confirm", "yes"),
		Notice: func() string { return "Summary:\n" + summary(current()) }, NoticeLines: 8 + maxParams(w.src)}
	qs = append(qs, confirm)
	if err := w.p.Ask(ctx, qs); err != nil {
		return err
	}
	if *confirm.Value != "yes" {
		return errDeclined
	}
	*o = current()
	return nil
}

// paramQuestions asks every template's parameters that have Ask set and
// were not given. Each is skipped unless its template is the one chosen
// and it applies given the answers so far (baseUrl only for openai), so a
// person who goes back and changes the template gets the right questions.
func (w *wizard) paramQuestions(answer func(key, def string) *string, current func() generator.Options) []*Question {
	var qs []*Question
	for _, t := range w.src.Templates() {
		for _, p := range t.Params {
			// Required parameters are always asked: there is no default.
			if !(p.Ask || p.Required) || w.given["set:"+p.Name] {
				continue
			}
			key := "param:" + t.Name + ":" + p.Name
			q := &Question{Key: key, Title: p.Name, Help: p.Help, Value: answer(key, p.Default)}
			q.Skip = func() bool {
				c := current()
				return orDefault(c.Template, generator.DefaultTemplate) != t.Name || !p.Applies(t.ResolveParams(c.Set))
			}
			if len(p.Choices) > 0 {
				q.Kind = KindSelect
				for _, c := range p.Choices {
					q.Choices = append(q.Choices, Choice{Value: c, Label: c})
				}
			} else {
				q.Kind = KindInput
				if !p.Required && p.Default == "" {
					q.Help += " (leave empty to skip)"
				}
				q.Validate = func(v string) error {
					if v == "" {
						if p.Required {
							return fmt.Errorf("%s is required: %s", p.Name, p.Help)
						}
						return nil // empty takes the template's behaviour for "not set"
					}
					if err := t.CheckParam(p.Name, v); err != nil {
						return err
					}
					// Checks across parameters (a Bedrock model id for
					// provider bedrock) run as the answer is given too.
					c := current()
					c.Set = maps.Clone(c.Set)
					if c.Set == nil {
						c.Set = map[string]string{}
					}
					c.Set[p.Name] = v
					var ie *generator.InvalidError
					for _, err := range unwrapAll(c.Validate()) {
						if errors.As(err, &ie) && ie.Field == "--set "+p.Name {
							return err
						}
					}
					return nil
				}
			}
			qs = append(qs, q)
		}
	}
	return qs
}

// maxParams is the most parameters any template has: the summary's
// longest.
func maxParams(src *generator.Source) int {
	n := 0
	for _, t := range src.Templates() {
		n = max(n, len(t.Params))
	}
	return n
}

// unwrapAll lists the errors errors.Join combined, recursively, so each
// is printed on its own line.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}

// summary lists the answers with their defaults filled in, as the project
// will be generated.
func summary(o generator.Options) string {
	d := o.WithDefaults()
	rows := [][2]string{
		{"name", d.Name},
		{"template", d.Template},
		{"iac", d.IaC},
		{"runtime", d.Runtime + " on " + d.Arch},
		{"memory", fmt.Sprintf("%d MB, timeout %d s", d.Memory, d.Timeout)},
		{"front", frontLabel(d)},
		{"auth", d.Auth},
	}
	for _, k := range slices.Sorted(maps.Keys(d.Set)) {
		rows = append(rows, [2]string{k, d.Set[k]})
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-16s %s\n", generator.SanitizeMessage(r[0]), generator.SanitizeMessage(r[1]))
	}
	return b.String()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// fieldError is the error among err's that concerns field, or nil.
func fieldError(err error, field string) error {
	var ie *generator.InvalidError
	for _, e := range unwrapAll(err) {
		if errors.As(e, &ie) && ie.Field == field {
			return e
		}
	}
	return nil
}
