package generator_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/streamgen/streamgen/generator"
)

// Render a project in memory: nothing touches the disk, so tooling can
// inspect, diff or archive the files before deciding to write them.
func ExampleRender() {
	files, err := generator.Render(generator.Options{
		Name:     "assets",
		Template: "s3-proxy",
		IaC:      generator.IaCCDK,
		Set:      map[string]string{"bucket": "my-assets", "prefix": "public/"},
		Version:  "1.0.0",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		if f.Path == "package.json" || f.Path == "src/index.mjs" || f.Path == ".streamgen.json" {
			fmt.Println(f.Path, f.Mode)
		}
	}
	// Output:
	// .streamgen.json -rw-r--r--
	// package.json -rw-r--r--
	// src/index.mjs -rw-r--r--
}

// Validation errors come back together, each an *InvalidError naming the
// option, the value and what to do.
func ExampleRender_invalid() {
	_, err := generator.Render(generator.Options{Name: "My App", Memory: 64})
	fmt.Println(err)
	// Output:
	// invalid NAME "My App": npm package names must be lowercase; use lowercase letters, digits and hyphens, starting with a letter, e.g. "my-app"
	// invalid --memory "64": Lambda memory must be between 128 and 10240 MB; pass a value in that range, e.g. --memory 256
}

// Write a rendered project to a new directory. CreateOnly refuses a
// non-empty target; OverwriteGenerated replaces only generated files.
func ExampleWrite() {
	parent, err := os.MkdirTemp("", "streamgen-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(parent)

	files, err := generator.Render(generator.Options{Name: "demo"})
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(parent, "demo")
	res, err := generator.Write(files, dir, generator.CreateOnly)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res.Created) == len(files), len(res.Overwritten))

	// A second write into the now non-empty directory is refused.
	_, err = generator.Write(files, dir, generator.CreateOnly)
	fmt.Println(err != nil)
	// Output:
	// true 0
	// true
}

// Regenerate a project from its .streamgen.json, which is a values file.
func ExampleReadValues() {
	manifest := []byte(`{"template": "echo", "answers": {"name": "demo", "iac": "cdk", "memory": 512}}`)
	opts, err := generator.ReadValues(manifest, ".streamgen.json")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s %s %d\n", opts.Name, opts.Template, opts.IaC, opts.Memory)
	// Output:
	// demo echo cdk 512
}

// Add a house template (any fs.FS works: os.DirFS, embed.FS, an archive)
// and render it. Files ending in .tmpl are Go templates; parameters are
// declared in streamgen.yaml and read through .Params with an encoder.
func ExampleLoadSource() {
	house := fstest.MapFS{
		"greeter/streamgen.yaml": {Data: []byte(`description: Streams a greeting
params:
  - name: greeting
    help: the word to greet with
    default: hello
`)},
		"greeter/src/index.mjs.tmpl": {Data: []byte(`import { streamifyResponse } from "./streamify.mjs";

const GREETING = {{js (index .Params "greeting")}};

export const handler = streamifyResponse(async (event, responseStream) => {
  responseStream.end(GREETING);
});
`)},
	}
	src, err := generator.LoadSource(house, "house-templates")
	if err != nil {
		log.Fatal(err)
	}
	files, err := generator.Render(generator.Options{
		Name: "hi", Template: "greeter", Source: src,
		Set: map[string]string{"greeting": "ahoy"},
	})
	if err != nil {
		log.Fatal(err)
	}
	index, _ := files.Get("src/index.mjs")
	fmt.Println(strings.Split(string(index.Content), "\n")[2])
	// Output:
	// const GREETING = "ahoy";
}
