/**
 * The Go runtime helpers appended to every fixed Go binding file (object checks, string, integer
 * and length constraints, error excerpts), prefixed per schema so two files can share a package.
 */

/** The helper functions, their names prefixed with `p`. */
export function goHelpers(p: string): string {

  return `// ${p}CheckObject rejects non-objects, unknown keys, missing required keys and null values.
func ${p}CheckObject(data []byte, name string, known []string, required []string) error {
	var m map[string]json.RawMessage
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%s: got %s; expected an object", name, ${p}Excerpt(trimmed))
	}
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ok := false
		for _, kk := range known {
			ok = ok || k == kk
		}
		if !ok {
			return fmt.Errorf("%s: unknown key %q; accepted keys: %s", name, k, strings.Join(known, ", "))
		}
		if bytes.Equal(bytes.TrimSpace(m[k]), []byte("null")) {
			return fmt.Errorf("%s.%s: null is not accepted", name, k)
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			return fmt.Errorf("%s: missing required key %q", name, k)
		}
	}
	return nil
}

func ${p}Excerpt(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) == nil {
		b = buf.Bytes()
	}
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

func ${p}CheckStr(s string, path string, min int, max int, re *regexp.Regexp) error {
	n := len([]rune(s))
	if min >= 0 && n < min {
		return fmt.Errorf("%s: string of length %d is shorter than the minimum %d", path, n, min)
	}
	if max >= 0 && n > max {
		return fmt.Errorf("%s: string of length %d is longer than the maximum %d", path, n, max)
	}
	if re != nil && !re.MatchString(s) {
		return fmt.Errorf("%s: %q does not match the pattern %s", path, s, re.String())
	}
	return nil
}

func ${p}CheckInt(v int64, path string, min int64, max int64) error {
	if v < min || v > max {
		return fmt.Errorf("%s: %d is outside the accepted range %d..%d", path, v, min, max)
	}
	return nil
}

func ${p}CheckLen(n int, path string, min int, max int) error {
	if min >= 0 && n < min {
		return fmt.Errorf("%s: %d items; at least %d required", path, n, min)
	}
	if max >= 0 && n > max {
		return fmt.Errorf("%s: %d items; at most %d accepted", path, n, max)
	}
	return nil
}

var _ = math.MaxInt64
`;
}
