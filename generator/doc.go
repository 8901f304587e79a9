// Package generator renders streamgen projects in memory and writes them to
// disk safely. It is the library behind the streamgen CLI, and platform
// tooling can import it directly.
//
// The flow has three steps, each usable on its own:
//
//	opts := generator.Options{Name: "demo"}          // zero fields take defaults
//	files, err := generator.Render(opts)             // validate + render, no disk access
//	_, err = generator.Write(files, "demo", generator.CreateOnly)
//
// Render never touches the disk: it validates the options, executes the
// embedded templates, checks that every JSON and YAML file it produced parses,
// and returns the whole tree as [Files]. Nothing is written unless every file
// rendered.
//
// Write places a tree on disk. It refuses a non-empty target unless the policy
// is [OverwriteGenerated], builds the tree in a staging directory first and
// renames it into place, so an error or an interrupt leaves nothing partial
// behind. Every path is checked to stay inside the target, and symbolic links
// found in the target are never followed.
//
// Values from users reach generated files only through the encoders in the
// template FuncMap (see funcs.go): each encodes for the place it lands (YAML,
// JSON, JavaScript or TypeScript string, shell word, Markdown), so no accepted
// value can change the structure of a generated file.
package generator
