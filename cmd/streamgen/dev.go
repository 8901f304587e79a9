package main

import "github.com/spf13/cobra"

// devCommands returns the commands that run a project locally: dev and
// invoke.
func (a *app) devCommands() []*cobra.Command { return nil }
