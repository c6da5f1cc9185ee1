/**
 * Line scanners for quicktype's Rust, Go and Python output: split a file into top-level items
 * (leading comments kept with the item) so the fixers can keep, drop or re-emit each one.
 */

/** One top-level item: its leading comment/attribute lines, declaration line and body. */
export interface Item {
  lead: string[];
  head: string;
  body: string[];
  close: string | undefined;
}

/**
 * Split brace/paren-delimited top-level items (Rust, Go). A declaration ending in `{` or `(`
 * extends to the next line that is exactly `}` or `)`.
 */
export function scanBlocks(text: string, isLead: (line: string) => boolean): Item[] {
  const lines = text.split("\n");
  const items: Item[] = [];
  let lead: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") {
      lead = [];
      continue;
    }
    if (isLead(line)) {
      lead.push(line);
      continue;
    }
    const opener = line.endsWith("{") ? "}" : line.endsWith("(") ? ")" : undefined;
    const body: string[] = [];
    let close: string | undefined;
    if (opener) {
      for (i++; i < lines.length && lines[i] !== opener; i++) body.push(lines[i]!);
      close = opener;
    }
    items.push({ lead, head: line, body, close });
    lead = [];
  }
  return items;
}

/** Split Python top-level items: decorators + `class`/`def` line + its indented block. */
export function scanPython(text: string): Item[] {
  const lines = text.split("\n");
  const items: Item[] = [];
  let lead: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    if (line.startsWith("@") || line.startsWith("#")) {
      lead.push(line);
      continue;
    }
    const body: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === "" || /^\s/.test(lines[i + 1]!))) body.push(lines[++i]!);
    while (body.length && body[body.length - 1]!.trim() === "") body.pop();
    items.push({ lead, head: line, body, close: undefined });
    lead = [];
  }
  return items;
}

/** snake_case of a PascalCase identifier (`LinkLocal` → `link_local`). */
export function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
