package generator

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Sample is the request of a project's sample event (events/sample.json),
// which its tests, README and `streamgen invoke --event` use. A template
// declares it in front-neutral terms under sample:; the front-end layer
// writes it as the event its front end sends (a Function URL's payload
// 2.0, a REST API's payload 1.0).
type Sample struct {
	Method   string
	Path     string // percent-encoded, starting with "/"
	RawQuery string // percent-encoded, without "?"; "" for none
	// Query holds the decoded query parameters in the order they first
	// appear, each with all its values.
	Query   []QueryParam
	Headers map[string]string // lower-case names; templates range over them sorted
	Cookies []string          // "name=value", in order
	Body    string
}

// QueryParam is one query parameter of a [Sample] and all its values.
type QueryParam struct {
	Name   string
	Values []string
}

// ContentLength is the body's length in bytes, for the content-length
// header of a sample with a body.
func (s Sample) ContentLength() int { return len(s.Body) }

// Joined is the parameter's values joined with ",", as a Function URL's
// queryStringParameters has them.
func (q QueryParam) Joined() string { return strings.Join(q.Values, ",") }

// Last is the parameter's last value, as a REST API's
// queryStringParameters has it.
func (q QueryParam) Last() string { return q.Values[len(q.Values)-1] }

// defaultSample is the sample of a template that declares none.
var defaultSample = Sample{Method: http.MethodGet, Path: "/", Headers: map[string]string{"accept": "*/*"}}

type sampleSchema struct {
	Method  string            `yaml:"method"`
	Path    string            `yaml:"path"`
	Query   string            `yaml:"query"`
	Headers map[string]string `yaml:"headers"`
	Cookies []string          `yaml:"cookies"`
	Body    string            `yaml:"body"`
}

var sampleMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// headerNameRE is an HTTP field name (a token), in lower case as both
// front ends pass them.
var headerNameRE = lazyRE("^[a-z0-9!#$%&'*+.^_`|~-]+$")

// sample reads a manifest's sample: mapping; nil when there is none.
func (mp *manifestParser) sample(n *yaml.Node) *Sample {
	if n == nil || n.Kind == 0 {
		return nil
	}
	var ss sampleSchema
	if !mp.decode(n, &ss) {
		return nil
	}
	s := &Sample{Method: strings.ToUpper(ss.Method), Path: ss.Path, RawQuery: ss.Query, Headers: map[string]string{}, Cookies: ss.Cookies, Body: ss.Body}
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	if !slices.Contains(sampleMethods, s.Method) {
		mp.at(valueNode(n, "method"), "sample method %s is not one of %s", Quote(ss.Method), strings.Join(sampleMethods, ", "))
	}
	switch u, err := url.Parse(s.Path); {
	case s.Path == "":
		s.Path = "/"
	case !strings.HasPrefix(s.Path, "/") || err != nil || u.RawQuery != "" || u.Fragment != "" || u.Host != "" || u.EscapedPath() != s.Path:
		mp.at(valueNode(n, "path"), "sample path %s must be a percent-encoded URL path starting with \"/\", without query (that goes under query:)", Quote(ss.Path))
	}
	if q, err := url.ParseQuery(s.RawQuery); err != nil || strings.ContainsAny(s.RawQuery, "?# ") {
		mp.at(valueNode(n, "query"), "sample query %s is not a percent-encoded query string such as a=1&b=2", Quote(ss.Query))
	} else {
		for _, pair := range strings.Split(s.RawQuery, "&") {
			k, _, _ := strings.Cut(pair, "=")
			name, _ := url.QueryUnescape(k)
			if pair == "" || slices.ContainsFunc(s.Query, func(p QueryParam) bool { return p.Name == name }) {
				continue
			}
			s.Query = append(s.Query, QueryParam{Name: name, Values: q[name]})
		}
	}
	for name, value := range ss.Headers {
		lower := strings.ToLower(name)
		switch {
		case !headerNameRE.MatchString(lower):
			mp.at(valueNode(valueNode(n, "headers"), name), "sample header name %s is not an HTTP field name", Quote(name))
		case lower == "cookie" || lower == "content-length" || lower == "host":
			mp.at(valueNode(valueNode(n, "headers"), name), "sample header %s is written by the front end; give cookies under cookies:, and leave content-length and host out", Quote(name))
		}
		if err := checkText("sample header "+name, value); err != nil {
			mp.at(valueNode(valueNode(n, "headers"), name), "%v", err)
		}
		s.Headers[lower] = value
	}
	for _, c := range s.Cookies {
		if name, _, ok := strings.Cut(c, "="); !ok || !headerNameRE.MatchString(strings.ToLower(name)) || strings.ContainsAny(c, "; ") {
			mp.at(valueNode(n, "cookies"), "sample cookie %s must be one name=value", Quote(c))
		}
	}
	for _, line := range strings.Split(s.Body, "\n") {
		if err := checkText("sample body", line); err != nil {
			mp.at(valueNode(n, "body"), "%v", err)
			break
		}
	}
	return s
}
