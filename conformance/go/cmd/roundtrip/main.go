// Command roundtrip decodes every wire config of a cases file with the generated bindings
// (conformance/go/gen), re-encodes it and compares it with the canonical JSON; invalid configs
// must be rejected.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"

	"sandbox.dev/conformance/go/gen"
)

type wireCase struct {
	ID        string          `json:"id"`
	Input     json.RawMessage `json:"input"`
	Canonical json.RawMessage `json:"canonical"`
}

type casesFile struct {
	Valid   []wireCase `json:"valid"`
	Invalid []wireCase `json:"invalid"`
}

func decode(raw []byte) (*gen.NetworkConfig, error) {
	cfg, err := gen.UnmarshalNetworkConfig(raw)
	if err != nil {
		return nil, err
	}
	return &cfg, nil
}

func generic(raw []byte) interface{} {
	var v interface{}
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(err)
	}
	return v
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: roundtrip <cases.json>")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var cases casesFile
	if err := json.Unmarshal(text, &cases); err != nil {
		panic(err)
	}
	pass, fail := 0, 0
	for _, c := range cases.Valid {
		want := c.Input
		if len(c.Canonical) > 0 {
			want = c.Canonical
		}
		cfg, err := decode(c.Input)
		if err != nil {
			fail++
			fmt.Printf("FAIL valid %s: rejected: %v\n", c.ID, err)
			continue
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			fail++
			fmt.Printf("FAIL valid %s: encode: %v\n", c.ID, err)
			continue
		}
		if !reflect.DeepEqual(generic(out), generic(want)) {
			fail++
			fmt.Printf("FAIL valid %s: round trip differs\n  want %s\n  got  %s\n", c.ID, want, out)
			continue
		}
		pass++
	}
	for _, c := range cases.Invalid {
		cfg, err := decode(c.Input)
		if err == nil {
			out, _ := json.Marshal(cfg)
			fail++
			fmt.Printf("FAIL invalid %s: accepted as %s\n", c.ID, out)
			continue
		}
		if os.Getenv("POLYGLOT_VERBOSE") == "1" {
			fmt.Printf("ok invalid %s: %v\n", c.ID, err)
		}
		pass++
	}
	fmt.Printf("go: %d passed, %d failed\n", pass, fail)
	if fail > 0 {
		os.Exit(1)
	}
}
