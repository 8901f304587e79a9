package golden

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// putSSMSecureString stores a SecureString parameter in moto through the
// SSM JSON protocol, as `aws ssm put-parameter` would.
func putSSMSecureString(t *testing.T, motoURL, name, value string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Name": name, "Value": value, "Type": "SecureString"})
	req, _ := http.NewRequest("POST", motoURL+"/", bytes.NewReader(body))
	req.Header.Set("content-type", "application/x-amz-json-1.1")
	req.Header.Set("x-amz-target", "AmazonSSM.PutParameter")
	req.Header.Set("authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PutParameter: %s %s", resp.Status, b)
	}
}
