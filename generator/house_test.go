package generator

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// housed applies h to a template and returns the resources as parsed.
func housed(t *testing.T, tmpl string, h House) map[string]map[string]any {
	t.Helper()
	out, err := applyHouseSAM([]byte(tmpl), h)
	if err != nil {
		t.Fatalf("applyHouseSAM: %v\n%s", err, tmpl)
	}
	if err := checkYAMLKeys(out); err != nil {
		t.Fatalf("result: %v\n%s", err, out)
	}
	var doc struct {
		Resources map[string]map[string]any `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("result does not parse: %v\n%s", err, out)
	}
	return doc.Resources
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

const boundary = "arn:aws:iam::123456789012:policy/boundary"

func TestHouseBoundaryOnEveryRole(t *testing.T) {
	tmpl := `Resources:
  Own:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: !Ref AWS::NoValue
      AssumeRolePolicyDocument: {}
  Multi:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      PermissionsBoundary:
        Fn::Sub: "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/other"
  Bare:
    Type: AWS::IAM::Role
    Properties:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
  WithRole:
    Type: AWS::Serverless::Function
    Properties:
      Role: arn:aws:iam::123456789012:role/x
  Machine:
    Type: AWS::Serverless::StateMachine
    Metadata:
      Note: |
        a block scalar
        on two lines
  Person:
    Type: AWS::IAM::User
`
	res := housed(t, tmpl, House{PermissionsBoundary: boundary})
	for _, name := range []string{"Own", "Multi", "Bare", "Worker", "Machine", "Person"} {
		if got := props(res[name])["PermissionsBoundary"]; got != boundary {
			t.Errorf("%s: PermissionsBoundary %v, want the house boundary", name, got)
		}
	}
	if _, ok := props(res["WithRole"])["PermissionsBoundary"]; ok {
		t.Error("a function with its own Role got a boundary: its role is another resource")
	}
	if props(res["Multi"])["AssumeRolePolicyDocument"] == nil || res["Machine"]["Metadata"] == nil {
		t.Errorf("other properties were lost: %v %v", res["Multi"], res["Machine"])
	}
}

func TestHouseTagsInEveryForm(t *testing.T) {
	tmpl := `Resources:
  EmptyList:
    Type: AWS::SNS::Topic
    Properties:
      Tags: []
  NullTags:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: x
      Tags:
  EmptyProps:
    Type: AWS::SNS::Topic
    Properties: {}
  OwnTags:
    Type: AWS::SNS::Topic
    Properties:
      Tags:
        - Key: team
          Value: mine
        - Key: app
          Value: a
  MapTags:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: v
      Tags: {}
`
	res := housed(t, tmpl, House{Tags: map[string]string{"team": "payments", "cost-center": "4711"}})
	tags := func(name string) map[string]string {
		out := map[string]string{}
		switch v := props(res[name])["Tags"].(type) {
		case []any:
			for _, item := range v {
				m := item.(map[string]any)
				out[m["Key"].(string)] = m["Value"].(string)
			}
		case map[string]any:
			for k, x := range v {
				out[k] = x.(string)
			}
		}
		return out
	}
	for _, name := range []string{"EmptyList", "NullTags", "EmptyProps", "MapTags"} {
		if got := tags(name); got["team"] != "payments" || got["cost-center"] != "4711" {
			t.Errorf("%s: tags %v", name, got)
		}
	}
	if got := tags("OwnTags"); got["team"] != "mine" || got["cost-center"] != "4711" || got["app"] != "a" {
		t.Errorf("OwnTags: %v, want its own team tag kept and the house's added", got)
	}
	if props(res["NullTags"])["TopicName"] != "x" {
		t.Errorf("NullTags lost TopicName: %v", res["NullTags"])
	}
}

func TestHouseRefusesFlowStyle(t *testing.T) {
	for _, tmpl := range []string{
		"Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags: [{Key: a, Value: b}]\n",
		"Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: x}\n",
		"Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags: !If [C, [], []]\n",
	} {
		_, err := applyHouseSAM([]byte(tmpl), House{Tags: map[string]string{"team": "x"}})
		if err == nil || !strings.Contains(err.Error(), "line ") || !strings.Contains(err.Error(), "resource T") {
			t.Errorf("want a refusal naming the line and resource, got %v for\n%s", err, tmpl)
		}
	}
}

func TestYAMLDuplicateKeysRefused(t *testing.T) {
	if err := checkYAMLKeys([]byte("a: 1\nb:\n  c: 1\n  c: 2\n")); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("got %v, want the duplicate at line 4", err)
	}
}

// taggable_gen.go is what gen_taggable.py writes from the installed
// cfn-lint's resource schemas, so house tags reach every taggable type it
// knows.
func TestTaggableIsCurrent(t *testing.T) {
	out, err := exec.Command("python3", "gen_taggable.py").Output()
	if err != nil {
		t.Fatalf("python3 gen_taggable.py (it needs cfn-lint): %v", err)
	}
	want, err := format.Source(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("taggable_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("taggable_gen.go is not what gen_taggable.py writes with the installed cfn-lint; run go generate ./generator")
	}
}
