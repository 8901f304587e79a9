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
	// "iac", "runtime", "arch", "auth", "memory", "timeout" and "set:KEY".
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
	"auth": {
		generator.AuthIAM:  "AWS_IAM: callers sign requests with SigV4 (recommended)",
		generator.AuthNone: "NONE: a public URL anyone can call, billed to you",
	},
}

// authNoneWarning is shown whenever auth none is chosen, by flag or answer.
const authNoneWarning = "--auth none makes the Function URL public: anyone with the URL can invoke the function, and every call is billed to you. The stack caps concurrency; use --auth iam unless the endpoint must be public."

func (w *wizard) run(ctx context.Context, o *generator.Options) error {
	if !w.given["name"] {
		name, err := w.p.Input(ctx, Question{Key: "name", Title: "Project name", Help: "lowercase letters, digits and hyphens, e.g. my-stream; also the folder and stack name", Validate: generator.ValidateName})
		if err != nil {
			return err
		}
		o.Name = name
	}
	if w.yes {
		return nil
	}
	if !w.given["template"] {
		var choices []Choice
		for _, t := range w.src.Templates() {
			choices = append(choices, Choice{Value: t.Name, Label: t.Name + ": " + t.Description})
		}
		v, err := w.p.Select(ctx, Question{Key: "template", Title: "Template", Help: "what the function does", Default: orDefault(o.Template, generator.DefaultTemplate)}, choices)
		if err != nil {
			return err
		}
		o.Template = v
	}
	t, ok := w.src.Template(orDefault(o.Template, generator.DefaultTemplate))
	if !ok {
		return nil // Validate reports the unknown template with its choices
	}
	for _, c := range []struct {
		key, title string
		dst        *string
		def        string
		choices    []string
	}{
		{"iac", "Infrastructure as code", &o.IaC, generator.DefaultIaC, generator.IaCChoices},
		{"runtime", "Lambda runtime", &o.Runtime, generator.DefaultRuntime, generator.RuntimeChoices},
		{"arch", "Architecture", &o.Arch, generator.DefaultArch, generator.ArchChoices},
		{"auth", "Function URL auth", &o.Auth, generator.DefaultAuth, generator.AuthChoices},
	} {
		if w.given[c.key] {
			continue
		}
		var choices []Choice
		for _, v := range c.choices {
			choices = append(choices, Choice{Value: v, Label: v + ": " + choiceHelp[c.key][v]})
		}
		v, err := w.p.Select(ctx, Question{Key: c.key, Title: c.title, Default: orDefault(*c.dst, c.def)}, choices)
		if err != nil {
			return err
		}
		*c.dst = v
		if c.key == "auth" && v == generator.AuthNone {
			w.p.Note("Warning", authNoneWarning)
		}
	}
	if err := w.askParams(ctx, t, o); err != nil {
		return err
	}
	w.p.Note("Summary", summary(*o))
	ok, err := w.p.Confirm(ctx, Question{Key: "confirm", Title: "Generate the project?", Default: "yes"})
	if err != nil {
		return err
	}
	if !ok {
		return errDeclined
	}
	return nil
}

// askParams asks the template's parameters that have Ask set, were not
// given and apply given the answers so far (baseUrl only for openai).
func (w *wizard) askParams(ctx context.Context, t generator.Template, o *generator.Options) error {
	for _, p := range t.Params {
		if !p.Ask || w.given["set:"+p.Name] || !p.Applies(t.ResolveParams(o.Set)) {
			continue
		}
		q := Question{Key: "param:" + p.Name, Title: p.Name, Help: p.Help, Default: p.Default}
		var (
			v   string
			err error
		)
		if len(p.Choices) > 0 {
			var choices []Choice
			for _, c := range p.Choices {
				choices = append(choices, Choice{Value: c, Label: c})
			}
			v, err = w.p.Select(ctx, q, choices)
		} else {
			name := p.Name
			required := p.Required
			q.Validate = func(s string) error {
				if s == "" {
					if required {
						return fmt.Errorf("%s is required: %s", name, p.Help)
					}
					return nil // empty takes the template's behaviour for "not set"
				}
				return t.CheckParam(name, s)
			}
			if !required && p.Default == "" {
				q.Help += " (leave empty to skip)"
			}
			v, err = w.p.Input(ctx, q)
		}
		if err != nil {
			return err
		}
		if v == "" || v == p.Default {
			continue // the default needs no --set, which keeps .streamgen.json minimal
		}
		if o.Set == nil {
			o.Set = map[string]string{}
		} else {
			o.Set = maps.Clone(o.Set)
		}
		o.Set[p.Name] = v
	}
	return nil
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
