// Package generator renders streamgen projects in memory and writes them to
// disk safely. It is the library behind the streamgen CLI, and platform
// tooling can import it directly; the exported API is stable within a
// major version.
//
// The flow has three steps, each usable on its own:
//
//	opts := generator.Options{Name: "demo"}          // zero fields take defaults
//	files, err := generator.Render(opts)             // validate + render, no disk access
//	_, err = generator.Write(files, "demo", generator.CreateOnly)
//
// # Options and parameters
//
// [Options] holds every answer. Each template declares its own parameters
// once, as [Param] values in its [Template]: name, help, default, choices,
// validation, whether the wizard asks for it, and when it applies. The CLI
// derives from them its --set keys and dedicated flags, the wizard's
// questions, `streamgen list --json` and the answers recorded in
// .streamgen.json. [ReadValues] parses a values file (YAML or JSON shaped
// like .streamgen.json) into Options.
//
// # Rendering
//
// Render never touches the disk: it validates the options (every problem
// at once, each an *[InvalidError]), executes the templates, checks that
// every JSON and YAML file it produced parses, and returns the whole tree
// as [Files]. Nothing is written unless every file rendered.
//
// # Template sources
//
// Templates come from a [Source]: [Builtin] is the set embedded in
// streamgen. [LoadSource] adds templates from any fs.FS, or patches files
// of the built-in ones, and checks everything on load, reporting each
// problem as a *[FileError] with file and line. Set [Options.Source] to
// render from it.
//
// # Writing
//
// Write places a tree on disk. It refuses a non-empty target unless the policy
// is [OverwriteGenerated], builds the tree in a staging directory first and
// renames it into place, so an error or an interrupt leaves nothing partial
// behind. Every path is checked to stay inside the target, and symbolic links
// found in the target are never followed. [WriteContext] stops when its
// context is cancelled; [CheckTarget] answers whether a write would succeed
// without writing.
//
// # Encoding
//
// Values from users reach generated files only through the encoders in the
// template FuncMap (see funcs.go): each encodes for the place it lands (YAML,
// JSON, JavaScript or TypeScript string, shell word, Markdown), so no accepted
// value can change the structure of a generated file. Custom templates use
// the same functions: {{yaml .Name}}, {{js (index .Params "greeting")}}.
package generator
