package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/streamgen/streamgen/generator"
)

// registerCompletions teaches cobra's shell completion (streamgen
// completion bash|zsh|fish|powershell) the values of new's flags: template
// names with their descriptions, the enumerated options, parameter keys
// for --set, and files for --values.
func (a *app) registerCompletions(cmd *cobra.Command, nf *newFlags) {
	fixed := func(values []string, help map[string]string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, v := range values {
				out = append(out, cobra.CompletionWithDesc(v, help[v]))
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
	}
	must := func(err error) {
		if err != nil {
			panic(err) // a flag name typo: a programming error caught by tests
		}
	}
	must(cmd.RegisterFlagCompletionFunc("template", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		src, err := loadSource(nf.templateDir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []cobra.Completion
		for _, t := range src.Templates() {
			out = append(out, cobra.CompletionWithDesc(t.Name, t.Description))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}))
	must(cmd.RegisterFlagCompletionFunc("iac", fixed(generator.IaCChoices, choiceHelp["iac"])))
	must(cmd.RegisterFlagCompletionFunc("runtime", fixed(generator.RuntimeChoices, choiceHelp["runtime"])))
	must(cmd.RegisterFlagCompletionFunc("arch", fixed(generator.ArchChoices, choiceHelp["arch"])))
	must(cmd.RegisterFlagCompletionFunc("front", fixed(generator.FrontChoices, choiceHelp["front"])))
	must(cmd.RegisterFlagCompletionFunc("auth", func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return fixed(generator.AuthChoicesFor(orDefault(nf.opts.Front, generator.DefaultFront)), choiceHelp["auth"])(c, args, toComplete)
	}))
	must(cmd.RegisterFlagCompletionFunc("set", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		src, err := loadSource(nf.templateDir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		t, ok := src.Template(orDefault(nf.opts.Template, generator.DefaultTemplate))
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		key, _, hasValue := strings.Cut(toComplete, "=")
		var out []cobra.Completion
		for _, p := range t.Params {
			switch {
			case !hasValue:
				out = append(out, cobra.CompletionWithDesc(p.Name+"=", p.Help))
			case p.Name == key:
				for _, c := range p.Choices {
					out = append(out, key+"="+c)
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}))
	// The parameter flags exist once templateFlags has added them.
	addParamFlags := a.templateFlags
	a.templateFlags = func() {
		addParamFlags()
		_, params, _ := paramFlags()
		for flag, p := range params {
			if len(p.Choices) > 0 {
				must(cmd.RegisterFlagCompletionFunc(flag, fixed(p.Choices, nil)))
			}
		}
	}
	must(cmd.MarkFlagFilename("values", "json", "yaml", "yml"))
	must(cmd.MarkFlagFilename("house", "json", "yaml", "yml"))
	must(cmd.MarkFlagDirname("template-dir"))
	must(cmd.MarkFlagDirname("dir"))
}
