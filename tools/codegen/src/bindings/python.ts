/**
 * Python fixer for quicktype's dataclass output: classes keep quicktype's names, docstrings and
 * field names but get explicit `from_dict`/`to_dict` that reject unknown keys, missing required
 * keys, `null`, wrong types, unknown enum values and constraint violations (raising
 * `ValidationError` with the JSON path) instead of quicktype's `assert`s, and that write back
 * exactly the keys that were read. Unions become tagged classes (`Destination("cidr", "10.0.0.0/8")`
 * ⇔ `{"cidr": "10.0.0.0/8"}`, `Destination("any")` ⇔ `"any"`).
 */
import { keySig, unionExpectation, type SchemaModel, type Ty, type UnionModel } from "./model.js";
import { scanPython, type Item } from "./scan.js";

interface PyField {
  name: string;
  key: string;
  docs: string[];
}

interface PyClass {
  item: Item;
  doc: string[];
  fields: PyField[];
}

function parseClass(item: Item): PyClass {
  const body = item.body;
  let i = 0;
  const doc: string[] = [];
  if (body[0]?.trim().startsWith('"""')) {
    doc.push(body[0]!);
    const first = body[0]!.trim();
    if (!(first.length > 3 && first.endsWith('"""'))) {
      for (i = 1; i < body.length; i++) {
        doc.push(body[i]!);
        if (body[i]!.trim().endsWith('"""')) break;
      }
    }
    i++;
  }
  const keyOf = new Map<string, string>();
  for (const l of body) {
    const m = /^ {8}(\w+) = .*obj\.get\("([^"]+)"\)/.exec(l);
    if (m) keyOf.set(m[1]!, m[2]!);
  }
  const fields: PyField[] = [];
  for (; i < body.length; i++) {
    const l = body[i]!;
    if (l.trim().startsWith("@staticmethod") || l.trim().startsWith("def ")) break;
    const m = /^ {4}(\w+): /.exec(l);
    if (m) {
      fields.push({ name: m[1]!, key: keyOf.get(m[1]!) ?? m[1]!, docs: [] });
    } else if (fields.length && l.trim() !== "") {
      fields[fields.length - 1]!.docs.push(l);
    }
  }
  return { item, doc, fields };
}

/** Python `re` reads `$` as "end or before a final newline"; JSON Schema means end of input. */
function pyPattern(p: string): string {
  return p.replace(/(?<!\\)\$$/, "\\Z");
}

const lit = (s: string) => JSON.stringify(s);
const num = (n: number | undefined) => (n === undefined ? "None" : String(n));

/** Fix one quicktype Python file against the schema model. */
export function fixPython(text: string, model: SchemaModel): string {
  const items = scanPython(text);
  const classes = new Map<string, PyClass>();
  const enums = new Map<string, { item: Item; values: string[] }>();
  for (const it of items) {
    let m = /^class (\w+)\(Enum\):$/.exec(it.head);
    if (m) {
      const values = it.body.map((l) => /^ {4}\w+ = "([^"]*)"$/.exec(l)?.[1]).filter((v): v is string => v !== undefined);
      enums.set(m[1]!, { item: it, values });
      continue;
    }
    m = /^class (\w+):$/.exec(it.head);
    if (m) classes.set(m[1]!, parseClass(it));
  }

  const objName = new Map<string, string>();
  for (const o of model.objects.values()) {
    const sig = keySig(o.props.map((p) => p.key));
    const cands = [...classes].filter(([, c]) => keySig(c.fields.map((f) => f.key)) === sig).map(([n]) => n);
    const pick = cands.find((c) => c.toLowerCase() === o.name.toLowerCase()) ?? cands[0];
    if (!pick) throw new Error(`python bindings: no quicktype class for ${o.name} (keys ${sig})`);
    objName.set(o.name, pick);
  }
  const usedEnums = new Set<string>();
  const enumName = (values: string[], name: string | undefined): string => {
    const sig = keySig(values);
    const cands = [...enums].filter(([, e]) => keySig(e.values) === sig).map(([n]) => n);
    const pick = cands.find((c) => c === name) ?? cands[0];
    if (!pick) throw new Error(`python bindings: no quicktype enum for ${name ?? "inline enum"} (${sig})`);
    usedEnums.add(pick);
    return pick;
  };

  const pyTy = (t: Ty): string => {
    switch (t.k) {
      case "string": return "str";
      case "integer": return "int";
      case "boolean": return "bool";
      case "array": return `List[${pyTy(t.items)}]`;
      case "object": return objName.get(t.name)!;
      case "enum": return enumName(t.values, t.name);
      case "union": return t.name;
    }
  };
  /** A decoder: a lambda-free expression over the value `v` and the path `p`. */
  const dec = (t: Ty, v: string, p: string): string => {
    switch (t.k) {
      case "string":
        return `_str(${v}, ${p}, ${num(t.minLength)}, ${num(t.maxLength)}, ${t.pattern === undefined ? "None" : lit(pyPattern(t.pattern))})`;
      case "integer": return `_int(${v}, ${p}, ${num(t.minimum)}, ${num(t.maximum)})`;
      case "boolean": return `_bool(${v}, ${p})`;
      case "enum": return `_enum(${enumName(t.values, t.name)}, ${v}, ${p})`;
      case "object": return `${objName.get(t.name)!}.from_dict(${v}, ${p})`;
      case "union": return `${t.name}.from_dict(${v}, ${p})`;
      case "array": return `_list(${v}, ${p}, lambda x, q: ${dec(t.items, "x", "q")}, ${num(t.minItems)}, ${num(t.maxItems)})`;
    }
  };
  const enc = (t: Ty, v: string): string => {
    switch (t.k) {
      case "enum": return `${v}.value`;
      case "object":
      case "union": return `${v}.to_dict()`;
      case "array": return `[${enc(t.items, "x")} for x in ${v}]`;
      default: return v;
    }
  };

  const out: string[] = [PRELUDE];
  const classOut: string[] = [];
  for (const it of items) {
    const m = /^class (\w+):$/.exec(it.head);
    if (!m) continue;
    const name = m[1]!;
    const obj = [...model.objects.values()].find((o) => objName.get(o.name) === name);
    if (!obj) continue;
    const c = classes.get(name)!;
    const ordered = [...c.fields.filter((f) => obj.props.find((p) => p.key === f.key)!.required), ...c.fields.filter((f) => !obj.props.find((p) => p.key === f.key)!.required)];
    classOut.push("", "", "@dataclass", `class ${name}:`, ...c.doc);
    for (const f of ordered) {
      const prop = obj.props.find((p) => p.key === f.key)!;
      classOut.push(prop.required ? `    ${f.name}: ${pyTy(prop.ty)}` : `    ${f.name}: Optional[${pyTy(prop.ty)}] = None`, ...f.docs, "");
    }
    const keys = obj.props.map((p) => lit(p.key)).join(", ");
    const req = obj.props.filter((p) => p.required).map((p) => lit(p.key)).join(", ");
    classOut.push(
      "    @staticmethod",
      `    def from_dict(obj: Any, path: str = "$") -> "${name}":`,
      `        """Decode a ${name} strictly; raises ValidationError naming the JSON path."""`,
      `        _check_object(obj, path, ${lit(name)}, (${keys}${obj.props.length === 1 ? "," : ""}), (${req}${obj.props.filter((p) => p.required).length === 1 ? "," : ""}))`,
      `        return ${name}(`,
    );
    for (const f of ordered) {
      const prop = obj.props.find((p) => p.key === f.key)!;
      const p = `path + ${lit("." + f.key)}`;
      classOut.push(
        prop.required
          ? `            ${f.name}=${dec(prop.ty, `obj[${lit(f.key)}]`, p)},`
          : `            ${f.name}=_opt(obj, ${lit(f.key)}, path, lambda x, q: ${dec(prop.ty, "x", "q")}),`,
      );
    }
    classOut.push("        )", "", "    def to_dict(self) -> dict:", '        """Encode back to the wire form: exactly the keys that are set."""', "        result: dict = {}");
    for (const f of c.fields) {
      const prop = obj.props.find((p) => p.key === f.key)!;
      if (prop.required) classOut.push(`        result[${lit(f.key)}] = ${enc(prop.ty, `self.${f.name}`)}`);
      else classOut.push(`        if self.${f.name} is not None:`, `            result[${lit(f.key)}] = ${enc(prop.ty, `self.${f.name}`)}`);
    }
    classOut.push("        return result");
  }
  const unionOut = [...model.unions.values()].flatMap((u) => emitUnion(u, dec, enc));
  for (const [name, e] of enums) {
    if (!usedEnums.has(name)) continue;
    out.push("", "", ...e.item.lead, e.item.head, ...e.item.body);
  }
  out.push(...unionOut, ...classOut);
  const root = objName.get(model.root)!;
  out.push(
    "",
    "",
    `def from_dict(s: Any) -> ${root}:`,
    `    """Decode a ${model.root} from parsed JSON; raises ValidationError."""`,
    `    return ${root}.from_dict(s)`,
    "",
    "",
    `def to_dict(x: ${root}) -> Any:`,
    `    """Encode a ${model.root} to JSON-ready data."""`,
    "    return x.to_dict()",
    "",
  );
  return out.join("\n");
}

function emitUnion(u: UnionModel, dec: (t: Ty, v: string, p: string) => string, enc: (t: Ty, v: string) => string): string[] {
  const lits = u.variants.filter((v) => v.kind === "literal").map((v) => (v as { value: string }).value);
  const singles = u.variants.filter((v): v is Extract<typeof v, { kind: "single" }> => v.kind === "single");
  const expect = lit(unionExpectation(u));
  const tuple = (xs: string[]) => `(${xs.map(lit).join(", ")}${xs.length === 1 ? "," : ""})`;
  const out = ["", "", "@dataclass(frozen=True)", `class ${u.name}:`, '    """' + (u.description ?? u.name)];
  out.push("", "    `key` is the string alternative itself, or the key of the object alternative whose decoded", "    payload is `value`.", '    """', "    key: str", "    value: Any = None", "");
  out.push(
    "    @staticmethod",
    `    def from_dict(obj: Any, path: str = "$") -> "${u.name}":`,
    `        """Decode the externally tagged form strictly; raises ValidationError."""`,
    "        if isinstance(obj, str):",
  );
  if (lits.length) out.push(`            if obj in ${tuple(lits)}:`, `                return ${u.name}(obj)`);
  out.push(`            raise ValidationError(path + ": unknown ${u.name} variant " + repr(obj) + "; expected " + ${expect})`);
  out.push(
    "        if isinstance(obj, dict) and len(obj) == 1:",
    "            ((k, v),) = obj.items()",
    "            if v is None:",
    '                raise ValidationError(path + "." + k + ": null is not accepted")',
  );
  for (const v of singles) out.push(`            if k == ${lit(v.key)}:`, `                return ${u.name}(k, ${dec(v.ty, "v", `path + ${lit("." + v.key)}`)})`);
  out.push(`            raise ValidationError(path + ": unknown ${u.name} key " + repr(k) + "; expected " + ${expect})`);
  out.push(`        raise ValidationError(path + ": got " + repr(obj) + "; expected " + ${expect})`, "");
  out.push("    def to_dict(self) -> Any:", '        """Encode to the externally tagged wire form."""');
  if (lits.length) out.push(`        if self.key in ${tuple(lits)} and self.value is None:`, "            return self.key");
  for (const v of singles) out.push(`        if self.key == ${lit(v.key)}:`, `            return {${lit(v.key)}: ${enc(v.ty, "self.value")}}`);
  out.push(`        raise ValueError("${u.name}: no alternative " + repr(self.key))`);
  return out;
}

const PRELUDE = `from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, List, Optional, Tuple


class ValidationError(ValueError):
    """A wire config the schema does not accept; the message starts with the JSON path."""


def _check_object(obj: Any, path: str, name: str, keys: Tuple[str, ...], required: Tuple[str, ...]) -> None:
    if not isinstance(obj, dict):
        raise ValidationError(f"{path}: expected a {name} object, got {type(obj).__name__}")
    for k in obj:
        if k not in keys:
            raise ValidationError(f"{path}: unknown key {k!r} in {name}; accepted keys: {', '.join(keys)}")
        if obj[k] is None:
            raise ValidationError(f"{path}.{k}: null is not accepted")
    for k in required:
        if k not in obj:
            raise ValidationError(f"{path}: missing required key {k!r} in {name}")


def _opt(obj: dict, key: str, path: str, dec: Callable[[Any, str], Any]) -> Any:
    return dec(obj[key], path + "." + key) if key in obj else None


def _str(x: Any, path: str, min_len: Optional[int], max_len: Optional[int], pattern: Optional[str]) -> str:
    if not isinstance(x, str):
        raise ValidationError(f"{path}: expected a string, got {type(x).__name__}")
    if min_len is not None and len(x) < min_len:
        raise ValidationError(f"{path}: string of length {len(x)} is shorter than the minimum {min_len}")
    if max_len is not None and len(x) > max_len:
        raise ValidationError(f"{path}: string of length {len(x)} is longer than the maximum {max_len}")
    if pattern is not None and re.search(pattern, x) is None:
        raise ValidationError(f"{path}: {x!r} does not match the pattern {pattern}")
    return x


def _int(x: Any, path: str, lo: Optional[int], hi: Optional[int]) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise ValidationError(f"{path}: expected an integer, got {x!r}")
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise ValidationError(f"{path}: {x} is outside the accepted range {'' if lo is None else lo}..{'' if hi is None else hi}")
    return x


def _bool(x: Any, path: str) -> bool:
    if not isinstance(x, bool):
        raise ValidationError(f"{path}: expected a boolean, got {x!r}")
    return x


def _enum(cls: Any, x: Any, path: str) -> Any:
    try:
        return cls(x)
    except (ValueError, TypeError):
        accepted = ", ".join(m.value for m in cls)
        raise ValidationError(f"{path}: unknown {cls.__name__} {x!r}; expected one of {accepted}") from None


def _list(x: Any, path: str, item: Callable[[Any, str], Any], min_items: Optional[int], max_items: Optional[int]) -> list:
    if not isinstance(x, list):
        raise ValidationError(f"{path}: expected an array, got {type(x).__name__}")
    if min_items is not None and len(x) < min_items:
        raise ValidationError(f"{path}: {len(x)} items; at least {min_items} required")
    if max_items is not None and len(x) > max_items:
        raise ValidationError(f"{path}: {len(x)} items; at most {max_items} accepted")
    return [item(v, f"{path}[{i}]") for i, v in enumerate(x)]`;
