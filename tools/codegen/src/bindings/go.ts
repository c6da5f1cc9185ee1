/**
 * Go fixer for quicktype's encoding/json output: structs keep quicktype's names, docs and field
 * order but get range-sized integers, pointer/`omitempty` optional scalars, `omitzero` optional
 * slices (an explicit `[]` survives the round trip), an UnmarshalJSON that rejects unknown keys,
 * missing required keys and `null`, and a Validate method for lengths, patterns, ranges and item
 * counts. String enums reject unknown values; unions get a tagged struct with custom
 * MarshalJSON/UnmarshalJSON (`"any"` ⇔ Literal, `{"cidr": ...}` ⇔ Cidr).
 */
import { keySig, pascal, patternForRe2, unionExpectation, type SchemaModel, type Ty, type UnionModel } from "./model.js";
import { goHelpers } from "./go-runtime.js";
import { scanBlocks, type Item } from "./scan.js";

interface GoField {
  docs: string[];
  name: string;
  key: string;
}

function parseFields(body: string[]): GoField[] {
  const out: GoField[] = [];
  let docs: string[] = [];
  for (const l of body) {
    const t = l.trim();
    if (t.startsWith("//")) docs.push(t);
    else {
      const m = /^(\w+)\s+\S+\s+`json:"([^",]+)/.exec(t);
      if (m) {
        out.push({ docs, name: m[1]!, key: m[2]! });
        docs = [];
      }
    }
  }
  return out;
}

/** A struct field line; alignFields pads the columns afterwards. */
function field(name: string, ty: string, tag: string): string {
  return `\t${name}\u0000${ty}\u0000\`json:${tag}\``;
}

/** Align runs of consecutive field lines into columns, as gofmt does (comment lines end a run). */
function alignFields(lines: string[]): void {
  for (let i = 0; i < lines.length; ) {
    if (!lines[i]!.includes("\u0000")) {
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.includes("\u0000")) j++;
    const cells = lines.slice(i, j).map((l) => l.split("\u0000"));
    const w0 = Math.max(...cells.map((c) => c[0]!.length));
    const w1 = Math.max(...cells.map((c) => c[1]!.length));
    cells.forEach((c, k) => (lines[i + k] = `${c[0]!.padEnd(w0)} ${c[1]!.padEnd(w1)} ${c[2]}`));
    i = j;
  }
}

function intTy(t: Extract<Ty, { k: "integer" }>): string {
  const lo = t.minimum ?? -Infinity;
  const hi = t.maximum ?? Infinity;
  if (lo >= 0 && hi <= 65535) return "uint16";
  if (lo >= 0 && hi <= 4294967295) return "uint32";
  if (lo >= 0) return "uint64";
  return "int64";
}

const q = (s: string) => JSON.stringify(s);

/** Fix one quicktype Go file against the schema model. */
export function fixGo(text: string, model: SchemaModel): string {
  const items = scanBlocks(text, (l) => l.startsWith("//"));
  const pfx = model.root[0]!.toLowerCase() + model.root.slice(1);
  const structs = new Map<string, { item: Item; fields: GoField[] }>();
  const enums = new Map<string, { item: Item; values: string[]; consts?: Item }>();
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    let m = /^type (\w+) struct \{$/.exec(it.head);
    if (m) structs.set(m[1]!, { item: it, fields: parseFields(it.body) });
    m = /^type (\w+) string$/.exec(it.head);
    if (m) {
      const consts = items[i + 1]?.head === "const (" ? items[i + 1] : undefined;
      const values = (consts?.body ?? []).map((l) => /"([^"]*)"\s*$/.exec(l)?.[1]).filter((v): v is string => v !== undefined);
      enums.set(m[1]!, { item: it, values, consts });
    }
  }

  const objName = new Map<string, string>();
  for (const o of model.objects.values()) {
    const sig = keySig(o.props.map((p) => p.key));
    const cands = [...structs].filter(([, s]) => keySig(s.fields.map((f) => f.key)) === sig).map(([n]) => n);
    const pick = cands.find((c) => c.toLowerCase() === o.name.toLowerCase()) ?? cands[0];
    if (!pick) throw new Error(`go bindings: no quicktype struct for ${o.name} (keys ${sig})`);
    objName.set(o.name, pick);
  }
  const enumName = (values: string[], name: string | undefined): string => {
    const sig = keySig(values);
    const cands = [...enums].filter(([, e]) => keySig(e.values) === sig).map(([n]) => n);
    const pick = cands.find((c) => c === name) ?? cands[0];
    if (!pick) throw new Error(`go bindings: no quicktype enum for ${name ?? "inline enum"} (${sig})`);
    return pick;
  };
  const usedEnums = new Set<string>();
  const tyName = (t: Ty): string => {
    switch (t.k) {
      case "string": return "string";
      case "integer": return intTy(t);
      case "boolean": return "bool";
      case "array": return `[]${tyName(t.items)}`;
      case "object": return objName.get(t.name)!;
      case "enum": {
        const n = enumName(t.values, t.name);
        usedEnums.add(n);
        return n;
      }
      case "union": return t.name;
    }
  };

  const regexps: string[] = [];
  let depth = 0;
  /** Checks for an addressable value expression `e` of the Go type; `p` is a string expression. */
  const checks = (t: Ty, e: string, p: string): string[] => {
    const wrap = (call: string) => [`if err := ${call}; err != nil {`, "\treturn err", "}"];
    switch (t.k) {
      case "string": {
        if (t.minLength === undefined && t.maxLength === undefined && t.pattern === undefined) return [];
        let re = "nil";
        if (t.pattern !== undefined) {
          const src = patternForRe2(t.pattern);
          let idx = regexps.indexOf(src);
          if (idx < 0) idx = regexps.push(src) - 1;
          re = `${pfx}Re${idx}`;
        }
        return wrap(`${pfx}CheckStr(${e}, ${p}, ${t.minLength ?? -1}, ${t.maxLength ?? -1}, ${re})`);
      }
      case "integer":
        if (t.minimum === undefined && t.maximum === undefined) return [];
        return wrap(`${pfx}CheckInt(int64(${e}), ${p}, ${t.minimum ?? "math.MinInt64"}, ${t.maximum ?? "math.MaxInt64"})`);
      case "array": {
        const out: string[] = [];
        if (t.minItems !== undefined || t.maxItems !== undefined) out.push(...wrap(`${pfx}CheckLen(len(${e}), ${p}, ${t.minItems ?? -1}, ${t.maxItems ?? -1})`));
        const d = ++depth;
        const inner = checks(t.items, `(${e})[i${d}]`, `fmt.Sprintf("%s[%d]", ${p}, i${d})`);
        if (inner.length) out.push(`for i${d} := range ${e} {`, ...inner.map((l) => `\t${l}`), "}");
        return out;
      }
      case "object":
      case "union":
        // gofmt spaces a lone binary argument (`f(a + b)`) but not one among several (`f(a+b, c)`).
        return wrap(`(${e}).Validate(${p.replace(/^path\+"/, 'path + "')})`);
      default:
        return [];
    }
  };

  const body: string[] = [];
  for (const it of items) {
    const m = /^type (\w+) struct \{$/.exec(it.head);
    if (!m) continue;
    const name = m[1]!;
    const obj = [...model.objects.values()].find((o) => objName.get(o.name) === name);
    if (!obj) continue;
    const fields = structs.get(name)!.fields;
    body.push(...it.lead, it.head);
    const vchecks: string[] = [];
    for (const f of fields) {
      const prop = obj.props.find((p) => p.key === f.key)!;
      body.push(...f.docs.map((d) => `\t${d}`));
      const ty = tyName(prop.ty);
      if (prop.required) {
        body.push(field(f.name, ty, q(f.key)));
        vchecks.push(...checks(prop.ty, `x.${f.name}`, `path+${q("." + f.key)}`));
      } else if (prop.ty.k === "array") {
        body.push(field(f.name, ty, q(f.key + ",omitzero")));
        vchecks.push(...checks(prop.ty, `x.${f.name}`, `path+${q("." + f.key)}`));
      } else {
        body.push(field(f.name, `*${ty}`, q(f.key + ",omitempty")));
        const inner = checks(prop.ty, `*x.${f.name}`, `path+${q("." + f.key)}`);
        if (inner.length) vchecks.push(`if x.${f.name} != nil {`, ...inner.map((l) => `\t${l}`), "}");
      }
    }
    body.push("}", "");
    alignFields(body);
    const keys = obj.props.map((p) => q(p.key)).join(", ");
    const req = obj.props.filter((p) => p.required).map((p) => q(p.key)).join(", ");
    body.push(
      `// UnmarshalJSON decodes a ${name} strictly: an object with no unknown keys, every required key and no null values.`,
      `func (x *${name}) UnmarshalJSON(data []byte) error {`,
      `\tif err := ${pfx}CheckObject(data, ${q(name)}, []string{${keys}}, []string{${req}}); err != nil {`,
      "\t\treturn err",
      "\t}",
      `\ttype plain ${name}`,
      "\tvar p plain",
      "\tif err := json.Unmarshal(data, &p); err != nil {",
      `\t\treturn fmt.Errorf("${name}: %w", err)`,
      "\t}",
      `\t*x = ${name}(p)`,
      "\treturn nil",
      "}",
      "",
      `// Validate checks the constraints encoding/json cannot express; path is the JSON path of x.`,
      `func (x *${name}) Validate(path string) error {`,
      ...vchecks.map((l) => `\t${l}`),
      "\treturn nil",
      "}",
      "",
    );
  }
  const unions = [...model.unions.values()].flatMap((u) => emitUnion(u, pfx, tyName, checks));

  const enumOut: string[] = [];
  for (const [name, e] of enums) {
    if (!usedEnums.has(name)) continue;
    enumOut.push(...e.item.lead, e.item.head, "", "const (", ...e.consts!.body, ")", "");
    enumOut.push(
      `// UnmarshalJSON accepts only the listed ${name} values.`,
      `func (x *${name}) UnmarshalJSON(data []byte) error {`,
      "\tvar s string",
      "\tif err := json.Unmarshal(data, &s); err != nil {",
      `\t\treturn fmt.Errorf("${name}: %w", err)`,
      "\t}",
      "\tswitch s {",
      `\tcase ${e.values.map(q).join(", ")}:`,
      `\t\t*x = ${name}(s)`,
      "\t\treturn nil",
      "\t}",
      `\treturn fmt.Errorf("${name}: unknown value %q; expected one of ${e.values.join(", ").replaceAll('"', '\\"')}", s)`,
      "}",
      "",
    );
  }

  const root = objName.get(model.root)!;
  const out: string[] = [];
  out.push(items.find((it) => it.head.startsWith("package "))!.head, "");
  out.push("import (", '\t"bytes"', '\t"encoding/json"', '\t"fmt"', '\t"math"', '\t"regexp"', '\t"sort"', '\t"strings"', ")", "");
  out.push(
    `// Unmarshal${root} decodes a ${root} strictly (see UnmarshalJSON) and checks its constraints (Validate).`,
    `func Unmarshal${root}(data []byte) (${root}, error) {`,
    `\tvar r ${root}`,
    "\tif err := json.Unmarshal(data, &r); err != nil {",
    "\t\treturn r, err",
    "\t}",
    '\treturn r, r.Validate("$")',
    "}",
    "",
    `// Marshal encodes the ${root} in its wire form.`,
    `func (r *${root}) Marshal() ([]byte, error) {`,
    "\treturn json.Marshal(r)",
    "}",
    "",
  );
  out.push(...body, ...enumOut, ...unions);
  out.push(...regexps.map((src, i) => `var ${pfx}Re${i} = regexp.MustCompile(${q(src)})`), "");
  out.push(goHelpers(pfx));
  return out.join("\n");
}

function emitUnion(u: UnionModel, pfx: string, tyName: (t: Ty) => string, checks: (t: Ty, e: string, p: string) => string[]): string[] {
  const lits = u.variants.filter((v) => v.kind === "literal").map((v) => (v as { value: string }).value);
  const singles = u.variants.filter((v): v is Extract<typeof v, { kind: "single" }> => v.kind === "single");
  const expect = unionExpectation(u).replaceAll('"', '\\"');
  const out: string[] = [];
  if (u.description) out.push(...u.description.split("\n").map((l) => `// ${l}`), "//");
  out.push(`// Exactly one field is set: Literal for the string alternatives, or the field of the single key.`, `type ${u.name} struct {`);
  if (lits.length) out.push(`\t// One of ${lits.map(q).join(", ")}.`, "\tLiteral *string");
  for (const v of singles) {
    if (v.description) out.push(...v.description.split("\n").map((l) => `\t// ${l}`));
    out.push(`\t${pascal(v.key)} *${tyName(v.ty)}`);
  }
  out.push("}", "");
  const setCount = [...(lits.length ? ["x.Literal"] : []), ...singles.map((v) => `x.${pascal(v.key)}`)];
  out.push(
    `// MarshalJSON writes the externally tagged form.`,
    `func (x ${u.name}) MarshalJSON() ([]byte, error) {`,
    "\tset := 0",
    ...setCount.map((f) => `\tif ${f} != nil {\n\t\tset++\n\t}`),
    "\tif set != 1 {",
    `\t\treturn nil, fmt.Errorf("${u.name}: %d alternatives set; exactly one is required", set)`,
    "\t}",
  );
  if (lits.length) out.push("\tif x.Literal != nil {", "\t\treturn json.Marshal(*x.Literal)", "\t}");
  for (const v of singles) out.push(`\tif x.${pascal(v.key)} != nil {`, `\t\treturn json.Marshal(map[string]interface{}{${q(v.key)}: *x.${pascal(v.key)}})`, "\t}");
  out.push("\treturn nil, nil", "}", "");
  out.push(
    `// UnmarshalJSON accepts ${expect}.`,
    `func (x *${u.name}) UnmarshalJSON(data []byte) error {`,
    `\t*x = ${u.name}{}`,
    "\ttrimmed := bytes.TrimSpace(data)",
    "\tif len(trimmed) > 0 && trimmed[0] == '\"' {",
    "\t\tvar s string",
    "\t\tif err := json.Unmarshal(trimmed, &s); err != nil {",
    `\t\t\treturn fmt.Errorf("${u.name}: %w", err)`,
    "\t\t}",
    "\t\tswitch s {",
  );
  if (lits.length) out.push(`\t\tcase ${lits.map(q).join(", ")}:`, "\t\t\tx.Literal = &s", "\t\t\treturn nil");
  out.push("\t\t}", `\t\treturn fmt.Errorf("${u.name}: unknown variant %q; expected ${expect}", s)`, "\t}");
  out.push(
    "\tif len(trimmed) > 0 && trimmed[0] == '{' {",
    "\t\tvar m map[string]json.RawMessage",
    "\t\tif err := json.Unmarshal(trimmed, &m); err != nil {",
    `\t\t\treturn fmt.Errorf("${u.name}: %w", err)`,
    "\t\t}",
    "\t\tif len(m) == 1 {",
    "\t\t\tfor k, raw := range m {",
    `\t\t\t\tif bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {`,
    `\t\t\t\t\treturn fmt.Errorf("${u.name}.%s: null is not accepted", k)`,
    "\t\t\t\t}",
    "\t\t\t\tswitch k {",
  );
  for (const v of singles) {
    const f = pascal(v.key);
    out.push(
      `\t\t\t\tcase ${q(v.key)}:`,
      `\t\t\t\t\tvar v ${tyName(v.ty)}`,
      "\t\t\t\t\tif err := json.Unmarshal(raw, &v); err != nil {",
      `\t\t\t\t\t\treturn fmt.Errorf("${u.name}.${v.key}: %w", err)`,
      "\t\t\t\t\t}",
      `\t\t\t\t\tx.${f} = &v`,
      "\t\t\t\t\treturn nil",
    );
  }
  out.push(
    "\t\t\t\t}",
    `\t\t\t\treturn fmt.Errorf("${u.name}: unknown key %q; expected ${expect}", k)`,
    "\t\t\t}",
    "\t\t}",
    "\t}",
    `\treturn fmt.Errorf("${u.name}: got %s; expected ${expect}", ${pfx}Excerpt(trimmed))`,
    "}",
    "",
    "// Validate checks the constraints of the set alternative; path is the JSON path of x.",
    `func (x *${u.name}) Validate(path string) error {`,
  );
  for (const v of singles) {
    const c = checks(v.ty, `*x.${pascal(v.key)}`, `path+${q("." + v.key)}`);
    if (c.length) out.push(`\tif x.${pascal(v.key)} != nil {`, ...c.map((l) => `\t\t${l}`), "\t}");
  }
  out.push("\treturn nil", "}", "");
  return out;
}
