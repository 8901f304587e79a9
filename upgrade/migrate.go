package upgrade

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/streamgen/streamgen/generator"
)

// A migration carries an answer recorded by an older streamgen to what the
// current templates mean by it, and says what it did ("" when nothing).
type migration struct {
	// to is the manifest format (generator.ManifestFormat) that changed
	// the meaning: records of an older format get the migration.
	to    int
	apply func(o *generator.Options) string
}

// migrations run in order on the recorded answers before a project is
// rendered again, and before any answer given on the command line, which
// already means what the current templates mean.
var migrations = []migration{
	{to: 2, apply: openAIBaseURLv1},
}

// migrate brings answers recorded in the given format up to date and says
// what changed.
func migrate(o *generator.Options, format int) []string {
	var done []string
	for _, m := range migrations {
		if format >= m.to {
			continue
		}
		if msg := m.apply(o); msg != "" {
			done = append(done, msg)
		}
	}
	return done
}

// openAIBaseURLv1: llm-stream's openai provider used to take the API's
// host (https://api.openai.com) and append /v1/chat/completions itself;
// it now takes the base URL as OpenAI's SDKs do (https://api.openai.com/v1)
// and appends /chat/completions. A recorded base URL without a path gains
// /v1, so the function calls the same endpoint as before.
func openAIBaseURLv1(o *generator.Options) string {
	if o.Template != "llm-stream" || o.Set["provider"] != "openai" {
		return ""
	}
	raw := o.Set["baseUrl"]
	u, err := url.Parse(raw)
	if raw == "" || err != nil || strings.Trim(u.Path, "/") != "" {
		return ""
	}
	next := strings.TrimSuffix(raw, "/") + "/v1"
	o.Set["baseUrl"] = next
	return "baseUrl " + generator.Quote(raw) + " is now " + generator.Quote(next) + ": the openai provider takes the base URL as OpenAI's SDKs do, and appends /chat/completions"
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
