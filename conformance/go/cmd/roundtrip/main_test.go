package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sandbox.dev/conformance/go/gen"
)

func fixtures(t *testing.T, kind string) map[string][]byte {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "fixtures", "wire", kind)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = b
		}
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	return out
}

func TestValidFixturesRoundTrip(t *testing.T) {
	for name, raw := range fixtures(t, "valid") {
		cfg, err := decode(raw)
		if err != nil {
			t.Errorf("%s: rejected: %v", name, err)
			continue
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(generic(out), generic(raw)) {
			t.Errorf("%s: round trip differs:\n want %s\n got  %s", name, raw, out)
		}
	}
}

func TestInvalidFixturesAreRejected(t *testing.T) {
	for name, raw := range fixtures(t, "invalid") {
		if _, err := decode(raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDestinationMarshalNeedsExactlyOneAlternative(t *testing.T) {
	cidr, domain := "10.0.0.0/8", "x.example"
	if _, err := json.Marshal(gen.Destination{Cidr: &cidr, Domain: &domain}); err == nil {
		t.Fatal("two alternatives set: marshal succeeded")
	}
	b, err := json.Marshal(gen.Destination{Cidr: &cidr})
	if err != nil || string(b) != `{"cidr":"10.0.0.0/8"}` {
		t.Fatalf("got %s, %v", b, err)
	}
	anyLit := "any"
	b, err = json.Marshal(gen.Destination{Literal: &anyLit})
	if err != nil || string(b) != `"any"` {
		t.Fatalf("got %s, %v", b, err)
	}
}

func TestExplicitEmptyListsSurvive(t *testing.T) {
	raw := []byte(`{"policy":{"rules":[]},"deny_domains":[]}`)
	cfg, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(cfg)
	if !reflect.DeepEqual(generic(out), generic(raw)) {
		t.Fatalf("got %s", out)
	}
}
