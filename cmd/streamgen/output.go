package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/streamgen/streamgen/generator"
)

// The JSON documents --json prints. Field names are part of streamgen's
// interface for tooling: add fields, never rename or remove them.

// newJSON is what `streamgen new --json` prints on success.
type newJSON struct {
	Dir      string            `json:"dir"`
	DryRun   bool              `json:"dryRun"`
	Template string            `json:"template"`
	Answers  generator.Answers `json:"answers"`
	Files    []fileJSON        `json:"files"`
	Warnings []string          `json:"warnings"`
}

type fileJSON struct {
	Path string `json:"path"`
	Mode string `json:"mode"` // octal, e.g. "0644"
	Size int    `json:"size"`
	// Action is "created" or "overwritten"; in a dry run, "write".
	Action string `json:"action"`
}

func newResult(dir string, dryRun bool, files generator.Files, res *generator.Result, warnings []string) newJSON {
	out := newJSON{Dir: dir, DryRun: dryRun, Warnings: warnings, Files: []fileJSON{}}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if f, ok := files.Get(generator.ManifestPath); ok {
		var m generator.Manifest
		if json.Unmarshal(f.Content, &m) == nil {
			out.Template, out.Answers = m.Template, m.Answers
		}
	}
	for _, f := range files {
		action := "write"
		if res != nil {
			action = "created"
			if slices.Contains(res.Overwritten, f.Path) {
				action = "overwritten"
			}
		}
		out.Files = append(out.Files, fileJSON{Path: f.Path, Mode: fmt.Sprintf("%04o", f.Mode.Perm()), Size: len(f.Content), Action: action})
	}
	return out
}

// listJSON is what `streamgen list --json` prints.
type listJSON struct {
	Templates []templateJSON `json:"templates"`
	// Options describes the options every template shares: their flag,
	// default and choices.
	Options []optionJSON `json:"options"`
}

type templateJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Source is "builtin", or the --template-dir a custom template (or a
	// patched built-in one) comes from.
	Source  string      `json:"source"`
	Memory  int         `json:"memory"`
	Timeout int         `json:"timeout"`
	Params  []paramJSON `json:"params"`
}

type paramJSON struct {
	Name    string   `json:"name"`
	Flag    string   `json:"flag,omitempty"` // dedicated flag, e.g. "--bucket"
	Set     string   `json:"set"`            // e.g. "--set bucket=VALUE"
	Type    string   `json:"type"`           // "string" or "choice"
	Help    string   `json:"help"`
	Default string   `json:"default"`
	Choices []string `json:"choices,omitempty"`
	Pattern string   `json:"pattern,omitempty"`
	// Validator names the named validator that checks a value.
	Validator string              `json:"validator,omitempty"`
	Required  bool                `json:"required"`
	Ask       bool                `json:"ask"` // the wizard asks for it
	When      generator.Condition `json:"when,omitempty"`
}

type optionJSON struct {
	Name    string   `json:"name"`
	Flag    string   `json:"flag"`
	Default any      `json:"default"`
	Choices []string `json:"choices,omitempty"`
	Min     int      `json:"min,omitempty"`
	Max     int      `json:"max,omitempty"`
}

func listResult(src *generator.Source) listJSON {
	out := listJSON{Templates: []templateJSON{}}
	for _, t := range src.Templates() {
		tj := templateJSON{Name: t.Name, Description: t.Description, Source: "builtin",
			Memory: t.Memory, Timeout: t.Timeout, Params: []paramJSON{}}
		if tj.Memory == 0 {
			tj.Memory = generator.DefaultMemory
		}
		if tj.Timeout == 0 {
			tj.Timeout = generator.DefaultTimeout
		}
		tj.Source = src.Origin(t.Name)
		for _, p := range t.Params {
			pj := paramJSON{Name: p.Name, Set: "--set " + p.Name + "=VALUE", Type: p.Type(), Help: p.Help, Default: p.Default,
				Choices: p.Choices, Pattern: p.Pattern, Validator: p.Validator, Required: p.Required, Ask: p.Ask, When: p.When}
			if isParamFlag(p) {
				pj.Flag = "--" + p.Flag()
			}
			tj.Params = append(tj.Params, pj)
		}
		out.Templates = append(out.Templates, tj)
	}
	out.Options = []optionJSON{
		{Name: "template", Flag: "--template", Default: generator.DefaultTemplate, Choices: src.Names()},
		{Name: "iac", Flag: "--iac", Default: generator.DefaultIaC, Choices: generator.IaCChoices},
		{Name: "runtime", Flag: "--runtime", Default: generator.DefaultRuntime, Choices: generator.RuntimeChoices},
		{Name: "arch", Flag: "--arch", Default: generator.DefaultArch, Choices: generator.ArchChoices},
		{Name: "front", Flag: "--front", Default: generator.DefaultFront, Choices: generator.FrontChoices},
		{Name: "auth", Flag: "--auth", Default: generator.DefaultAuth, Choices: generator.AuthChoices},
		{Name: "stage", Flag: "--stage", Default: generator.DefaultStage},
		{Name: "userPoolArn", Flag: "--user-pool-arn"},
		{Name: "memory", Flag: "--memory", Default: generator.DefaultMemory, Min: generator.MinMemory, Max: generator.MaxMemory},
		{Name: "timeout", Flag: "--timeout", Default: generator.DefaultTimeout, Min: generator.MinTimeout, Max: generator.MaxTimeout},
	}
	return out
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// errorJSON is what --json prints on stdout when a command fails; the same
// errors also go to stderr as text.
type errorJSON struct {
	ExitCode int             `json:"exitCode"`
	Errors   []errorItemJSON `json:"errors"`
}

type errorItemJSON struct {
	Message string `json:"message"`
	// Field and Value are set for invalid options: the flag ("--memory",
	// "NAME") and the value given.
	Field string `json:"field,omitempty"`
	Value string `json:"value,omitempty"`
	// File and Line are set for errors in a values file or template.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

func (a *app) printJSONError(err error, code int) {
	if !a.jsonErrors || a.jsonDone {
		return
	}
	out := errorJSON{ExitCode: code}
	for _, e := range unwrapAll(err) {
		item := errorItemJSON{Message: strings.TrimSpace(foldSuggestions(e.Error()))}
		var ie *generator.InvalidError
		var fe *generator.FileError
		if errors.As(e, &ie) {
			item.Field, item.Value = ie.Field, ie.Value
		}
		if errors.As(e, &fe) {
			item.File, item.Line = fe.File, fe.Line
		}
		out.Errors = append(out.Errors, item)
	}
	_ = a.printJSON(out)
}
