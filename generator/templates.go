package generator

// Template describes one project template.
type Template struct {
	// Name is what --template takes, e.g. "echo".
	Name string
	// Description is the one line `streamgen list` prints.
	Description string
	// Summary is a short phrase for generated descriptions (the Lambda
	// function's Description field, the README's first line).
	Summary string
}

// builtinTemplates lists the templates embedded in streamgen, in the order
// `streamgen list` shows them. Each has a folder of the same name in the
// templates package.
var builtinTemplates = []Template{
	{
		Name:        "echo",
		Description: "Streams the request (method, path, query, headers, body) back in chunks; the smallest complete streaming function",
		Summary:     "Streams each request back to the caller",
	},
}

// Templates returns the built-in templates.
func Templates() []Template {
	return append([]Template(nil), builtinTemplates...)
}

// TemplateNames returns the names of the built-in templates.
func TemplateNames() []string {
	names := make([]string, len(builtinTemplates))
	for i, t := range builtinTemplates {
		names[i] = t.Name
	}
	return names
}

func lookupTemplate(name string) (Template, bool) {
	for _, t := range builtinTemplates {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}
