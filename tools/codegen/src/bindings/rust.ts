/**
 * Rust fixer for quicktype's serde output: structs keep quicktype's names, docs and field order
 * but get `deny_unknown_fields`, range-sized integers, `null`-rejecting optional fields that are
 * skipped when absent, and a generated `Validate` impl for the constraints serde cannot express.
 * The unions quicktype merges into all-optional structs become externally tagged enums
 * (`Destination::Cidr(String)` ⇔ `{"cidr": "..."}`, `Destination::Any` ⇔ `"any"`).
 */
import { keySig, pascal, patternForRe2, unionExpectation, type SchemaModel, type Ty, type UnionModel } from "./model.js";
import { scanBlocks, snake, type Item } from "./scan.js";

interface RsField {
  docs: string[];
  name: string;
  key: string;
}

function parseFields(body: string[]): RsField[] {
  const out: RsField[] = [];
  let docs: string[] = [];
  let rename: string | undefined;
  for (const l of body) {
    const t = l.trim();
    if (t.startsWith("///")) docs.push(t);
    else if (t.startsWith("#[serde(rename")) rename = /rename = "([^"]+)"/.exec(t)?.[1];
    else {
      const m = /^pub (r#)?(\w+):/.exec(t);
      if (m) {
        out.push({ docs, name: (m[1] ?? "") + m[2]!, key: rename ?? m[2]! });
        docs = [];
        rename = undefined;
      }
    }
  }
  return out;
}

function enumValues(item: Item): string[] {
  const all = item.lead.join("\n");
  const style = /rename_all = "([^"]+)"/.exec(all)?.[1];
  const vals: string[] = [];
  let rename: string | undefined;
  for (const l of item.body) {
    const t = l.trim();
    if (t.startsWith("#[serde(rename")) rename = /rename = "([^"]+)"/.exec(t)?.[1];
    else if (/^\w+,$/.test(t)) {
      const v = t.slice(0, -1);
      vals.push(rename ?? (style === "kebab-case" ? snake(v).replaceAll("_", "-") : snake(v)));
      rename = undefined;
    }
  }
  return vals;
}

/** The Rust integer type covering [minimum, maximum]. */
function intTy(t: Extract<Ty, { k: "integer" }>): string {
  const lo = t.minimum ?? -Infinity;
  const hi = t.maximum ?? Infinity;
  if (lo >= 0 && hi <= 65535) return "u16";
  if (lo >= 0 && hi <= 4294967295) return "u32";
  if (lo >= 0) return "u64";
  return "i64";
}

const opt = (n: number | undefined) => (n === undefined ? "None" : `Some(${n})`);

/** Fix one quicktype Rust file against the schema model. */
export function fixRust(text: string, model: SchemaModel): string {
  const items = scanBlocks(text, (l) => l.startsWith("///") || l.startsWith("#[") || l.startsWith("//"));
  const structs = new Map<string, { item: Item; fields: RsField[] }>();
  const enums = new Map<string, { item: Item; values: string[] }>();
  for (const it of items) {
    const m = /^pub (struct|enum) (\w+) \{$/.exec(it.head);
    if (!m) continue;
    if (m[1] === "struct") structs.set(m[2]!, { item: it, fields: parseFields(it.body) });
    else enums.set(m[2]!, { item: it, values: enumValues(it) });
  }

  // Schema name → Rust type name.
  const objName = new Map<string, string>();
  for (const o of model.objects.values()) {
    const sig = keySig(o.props.map((p) => p.key));
    const cands = [...structs].filter(([, s]) => keySig(s.fields.map((f) => f.key)) === sig).map(([n]) => n);
    const pick = cands.find((c) => c === o.name) ?? cands[0];
    if (!pick) throw new Error(`rust bindings: no quicktype struct for ${o.name} (keys ${sig})`);
    objName.set(o.name, pick);
  }
  const enumName = (values: string[], name: string | undefined): string => {
    const sig = keySig(values);
    const cands = [...enums].filter(([, e]) => keySig(e.values) === sig).map(([n]) => n);
    const pick = cands.find((c) => c === name) ?? cands[0];
    if (!pick) throw new Error(`rust bindings: no quicktype enum for ${name ?? "inline enum"} (${sig})`);
    return pick;
  };

  const tyName = (t: Ty): string => {
    switch (t.k) {
      case "string": return "String";
      case "integer": return intTy(t);
      case "boolean": return "bool";
      case "array": return `Vec<${tyName(t.items)}>`;
      case "object": return objName.get(t.name)!;
      case "enum": return enumName(t.values, t.name);
      case "union": return t.name;
    }
  };

  let depth = 0;
  /** Checks for a value; `e` is an expression of type `&T`, `p` an expression of type `String`. */
  const checks = (t: Ty, e: string, p: string): string[] => {
    switch (t.k) {
      case "string":
        if (t.minLength === undefined && t.maxLength === undefined && t.pattern === undefined) return [];
        return [`check_str(${e}, &${p}, ${opt(t.minLength)}, ${opt(t.maxLength)}, ${t.pattern === undefined ? "None" : `Some(${JSON.stringify(patternForRe2(t.pattern))})`})?;`];
      case "integer":
        if (t.minimum === undefined && t.maximum === undefined) return [];
        return [`check_int(*${e} as i64, &${p}, ${opt(t.minimum)}, ${opt(t.maximum)})?;`];
      case "array": {
        const out: string[] = [];
        if (t.minItems !== undefined || t.maxItems !== undefined) out.push(`check_len((${e}).len(), &${p}, ${opt(t.minItems)}, ${opt(t.maxItems)})?;`);
        const d = ++depth;
        const inner = checks(t.items, `v${d}`, `format!("{}[{}]", ${p}, i${d})`);
        if (inner.length) out.push(`for (i${d}, v${d}) in (${e}).iter().enumerate() {`, ...inner.map((l) => `    ${l}`), "}");
        return out;
      }
      case "object":
      case "union":
        return [`(${e}).validate(&${p})?;`];
      default:
        return [];
    }
  };

  const out: string[] = [
    "use serde::de::Error as _;",
    "use serde::{Deserialize, Deserializer, Serialize};",
    "",
    "/// Constraint checks serde's derive cannot express (lengths, patterns, ranges, item counts).",
    "pub trait Validate {",
    "    /// Check this value; `path` is its JSON path, used in the error message.",
    "    fn validate(&self, path: &str) -> Result<(), String>;",
    "}",
    "",
  ];

  for (const it of items) {
    const m = /^pub (struct|enum) (\w+) \{$/.exec(it.head);
    if (!m) continue;
    const name = m[2]!;
    if (m[1] === "enum") {
      if (model.unions.has(name)) continue;
      const used = [...model.enums].some(([n, v]) => enumName(v, n) === name) || usesInlineEnum(model, name, enumName);
      if (!used) continue;
      out.push(...it.lead, it.head, ...it.body, "}", "");
      continue;
    }
    const obj = [...model.objects.values()].find((o) => objName.get(o.name) === name);
    if (!obj) continue; // a union alternative quicktype merged into a struct: replaced below
    out.push(...it.lead.filter((l) => l.startsWith("///")));
    out.push("#[derive(Debug, Clone, PartialEq, Serialize)]", it.head);
    const fields = structs.get(name)!.fields;
    const vchecks: string[] = [];
    const repr: string[] = [];
    fields.forEach((f, i) => {
      const prop = obj.props.find((p) => p.key === f.key)!;
      if (i > 0) out.push("");
      out.push(...f.docs.map((d) => `    ${d}`));
      const decl: string[] = [];
      if (f.name.replace(/^r#/, "") !== f.key) decl.push(`    #[serde(rename = ${JSON.stringify(f.key)})]`);
      const ty = tyName(prop.ty);
      if (prop.required) {
        decl.push(`    pub ${f.name}: ${ty},`);
        vchecks.push(...checks(prop.ty, `&self.${f.name}`, `format!("{}.${f.key}", path)`));
      } else {
        decl.push(`    #[serde(default, deserialize_with = "deserialize_some", skip_serializing_if = "Option::is_none")]`, `    pub ${f.name}: Option<${ty}>,`);
        const inner = checks(prop.ty, "v", `format!("{}.${f.key}", path)`);
        if (inner.length) vchecks.push(`if let Some(v) = &self.${f.name} {`, ...inner.map((l) => `    ${l}`), "}");
      }
      out.push(...decl);
      repr.push(...decl.map((l) => l.replace("skip_serializing_if = \"Option::is_none\"", "").replace(", )]", ")]")));
    });
    out.push("}", "");
    out.push(
      `/// serde's derive for ${name}, used after the input is known to be an object.`,
      "#[derive(Deserialize)]",
      `#[serde(deny_unknown_fields, remote = ${JSON.stringify(name)})]`,
      `struct ${name}Repr {`,
      ...repr,
      "}",
      "",
      `impl<'de> Deserialize<'de> for ${name} {`,
      "    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {",
      "        let v = serde_json::Value::deserialize(d)?;",
      "        if !v.is_object() {",
      `            return Err(D::Error::custom(format!("${name}: expected an object, got {v}")));`,
      "        }",
      `        ${name}Repr::deserialize(v).map_err(|e| D::Error::custom(format!("${name}: {e}")))`,
      "    }",
      "}",
      "",
    );
    out.push(`impl Validate for ${name} {`, "    fn validate(&self, path: &str) -> Result<(), String> {");
    out.push(...vchecks.map((l) => `        ${l}`), "        let _ = path;", "        Ok(())", "    }", "}", "");
  }

  for (const u of model.unions.values()) out.push(...emitUnion(u, tyName, checks));
  const root = objName.get(model.root)!;
  out.push(
    `/// Decode a ${root} from JSON text strictly and check its constraints.`,
    `pub fn from_str(json: &str) -> Result<${root}, String> {`,
    `    let v: ${root} = serde_json::from_str(json).map_err(|e| e.to_string())?;`,
    '    v.validate("$")?;',
    "    Ok(v)",
    "}",
    "",
    `/// Decode a ${root} from a parsed JSON value strictly and check its constraints.`,
    `pub fn from_value(json: serde_json::Value) -> Result<${root}, String> {`,
    `    let v: ${root} = serde_json::from_value(json).map_err(|e| e.to_string())?;`,
    '    v.validate("$")?;',
    "    Ok(v)",
    "}",
    "",
  );
  out.push(HELPERS);
  return out.join("\n");
}

function usesInlineEnum(model: SchemaModel, rsName: string, enumName: (v: string[], n: string | undefined) => string): boolean {
  const visit = (t: Ty): boolean =>
    (t.k === "enum" && enumName(t.values, t.name) === rsName) || (t.k === "array" && visit(t.items));
  for (const o of model.objects.values()) if (o.props.some((p) => visit(p.ty))) return true;
  for (const u of model.unions.values()) if (u.variants.some((v) => v.kind === "single" && visit(v.ty))) return true;
  return false;
}

function emitUnion(u: UnionModel, tyName: (t: Ty) => string, checks: (t: Ty, e: string, p: string) => string[]): string[] {
  const doc = (s: string | undefined, ind: string) => (s ? s.split("\n").map((l) => `${ind}/// ${l}`) : []);
  const expect = unionExpectation(u);
  const out = [...doc(u.description, ""), "#[derive(Debug, Clone, PartialEq, Serialize)]", `pub enum ${u.name} {`];
  const strArms: string[] = [];
  const keyArms: string[] = [];
  const valArms: string[] = [];
  for (const v of u.variants) {
    if (v.kind === "literal") {
      const vn = pascal(v.value);
      out.push(...doc(v.description, "    "), `    #[serde(rename = ${JSON.stringify(v.value)})]`, `    ${vn},`);
      strArms.push(`            ${JSON.stringify(v.value)} => Ok(${u.name}::${vn}),`);
    } else {
      const vn = pascal(v.key);
      out.push(...doc(v.description, "    "), `    #[serde(rename = ${JSON.stringify(v.key)})]`, `    ${vn}(${tyName(v.ty)}),`);
      keyArms.push(
        `            ${JSON.stringify(v.key)} => serde_json::from_value(inner).map(${u.name}::${vn}).map_err(|e| D::Error::custom(format!("${u.name}.${v.key}: {e}"))),`,
      );
      const c = checks(v.ty, "v", `format!("{}.${v.key}", path)`);
      if (c.length) valArms.push(`            ${u.name}::${vn}(v) => {`, ...c.map((l) => `                ${l}`), "            }");
    }
  }
  out.push("}", "");
  const esc = expect.replaceAll("{", "{{").replaceAll("}", "}}").replaceAll('"', '\\"');
  out.push(
    `impl<'de> Deserialize<'de> for ${u.name} {`,
    "    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {",
    "        match serde_json::Value::deserialize(d)? {",
    "            serde_json::Value::String(s) => match s.as_str() {",
    ...strArms.map((a) => `    ${a}`),
    `                other => Err(D::Error::custom(format!("${u.name}: unknown variant {other:?}; expected ${esc}"))),`,
    "            },",
    "            serde_json::Value::Object(m) if m.len() == 1 => {",
    "                let (k, inner) = m.into_iter().next().expect(\"one entry\");",
    "                match k.as_str() {",
    ...keyArms.map((a) => `        ${a}`),
    `                    other => { let _ = inner; Err(D::Error::custom(format!("${u.name}: unknown key {other:?}; expected ${esc}"))) }`,
    "                }",
    "            }",
    `            other => Err(D::Error::custom(format!("${u.name}: got {other}; expected ${esc}"))),`,
    "        }",
    "    }",
    "}",
    "",
    `impl Validate for ${u.name} {`,
    "    fn validate(&self, path: &str) -> Result<(), String> {",
    "        match self {",
    ...valArms,
    "            _ => {}",
    "        }",
    "        let _ = path;",
    "        Ok(())",
    "    }",
    "}",
    "",
  );
  return out;
}

const HELPERS = `/// Deserialize a present optional field: \`null\` is rejected instead of read as absent.
fn deserialize_some<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[allow(dead_code)]
fn check_str(s: &str, path: &str, min: Option<usize>, max: Option<usize>, pattern: Option<&str>) -> Result<(), String> {
    let n = s.chars().count();
    if let Some(min) = min {
        if n < min {
            return Err(format!("{path}: string of length {n} is shorter than the minimum {min}"));
        }
    }
    if let Some(max) = max {
        if n > max {
            return Err(format!("{path}: string of length {n} is longer than the maximum {max}"));
        }
    }
    if let Some(p) = pattern {
        let re = regex_lite::Regex::new(p).map_err(|e| format!("{path}: bad pattern {p}: {e}"))?;
        if !re.is_match(s) {
            return Err(format!("{path}: {s:?} does not match the pattern {p}"));
        }
    }
    Ok(())
}

#[allow(dead_code)]
fn check_int(v: i64, path: &str, min: Option<i64>, max: Option<i64>) -> Result<(), String> {
    if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
        return Err(format!("{path}: {v} is outside the accepted range {}..={}", min.map_or("".into(), |m| m.to_string()), max.map_or("".into(), |m| m.to_string())));
    }
    Ok(())
}

#[allow(dead_code)]
fn check_len(n: usize, path: &str, min: Option<usize>, max: Option<usize>) -> Result<(), String> {
    if let Some(min) = min {
        if n < min {
            return Err(format!("{path}: {n} items; at least {min} required"));
        }
    }
    if let Some(max) = max {
        if n > max {
            return Err(format!("{path}: {n} items; at most {max} accepted"));
        }
    }
    Ok(())
}
`;
