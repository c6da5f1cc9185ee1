/**
 * Loading a network config for the `sandbox` command in any dialect: the canonical wire JSON, the
 * Go SDK's struct JSON or FFI JSON, or the Python SDK's `Network._to_dict()` shape. Every dialect
 * ends in the same canonical config, or in a list of issues with JSON paths.
 */
import {
  canonicalizeNetworkConfig,
  DialectError,
  goDialect,
  pythonDialect,
  type CanonicalNetworkConfig,
  type ConfigIssue,
} from "@sandbox/core";
import { CliError } from "./command.js";
import { Exit } from "./exit-codes.js";
import { readJson } from "./input.js";

/** The dialects a config file may be written in. */
export const DIALECTS = {
  canonical: "the canonical wire JSON of schemas/network.schema.json (default)",
  go: "the Go SDK's NetworkConfig struct as JSON (Go field names: Policy, Rules, DenyDomains, ...)",
  "go-ffi": "the Go SDK's FFI wire JSON (custom_policy, deny_domains, ...)",
  python: "the Python SDK's Network._to_dict() shape (custom_policy, rules with destination_kind, ...)",
} as const;

/** A dialect name. */
export type DialectId = keyof typeof DIALECTS;

/** The outcome of loading: the canonical config, or every issue found. */
export type Loaded = { ok: true; config: CanonicalNetworkConfig } | { ok: false; issues: readonly ConfigIssue[] };

function dialectOf(value: unknown): DialectId {
  const d = String(value ?? "canonical");
  if (!(d in DIALECTS)) {
    throw new CliError(`unknown dialect "${d}"; accepted: ${Object.keys(DIALECTS).join(", ")}`, Exit.usage);
  }
  return d as DialectId;
}

/** Convert an already-parsed JSON value written in `dialect` to the canonical config. */
export function loadValue(value: unknown, dialectName: unknown): Loaded {
  const dialect = dialectOf(dialectName);
  if (dialect === "canonical") {
    const r = canonicalizeNetworkConfig(value);
    return r.ok ? { ok: true, config: r.value } : { ok: false, issues: r.errors };
  }
  try {
    const config =
      dialect === "go"
        ? goDialect.fromGoNetworkConfig(value as goDialect.GoNetworkConfig)
        : dialect === "go-ffi"
          ? goDialect.fromGoFfi(value)
          : pythonDialect.fromPythonDict(value);
    return { ok: true, config };
  } catch (e) {
    if (e instanceof DialectError) {
      return { ok: false, issues: e.issues.length ? e.issues : [{ path: "$", message: e.message }] };
    }
    throw e;
  }
}

/** Read a config file (or `-` for stdin) written in `dialect`. */
export function loadConfigFile(path: string, dialect: unknown): Loaded {
  return loadValue(readJson(path), dialect);
}

/** Load a config and fail with exit code 1 and every issue when it is invalid. */
export function loadConfigOrFail(path: string, dialect: unknown): CanonicalNetworkConfig {
  const r = loadConfigFile(path, dialect);
  if (!r.ok) throw new CliError(`${path} is invalid:\n${r.issues.map((i) => `  ${describeIssue(i)}`).join("\n")}`, Exit.invalid);
  return r.config;
}

/** One issue on one line: path, message, the bad value and what is accepted. */
export function describeIssue(i: ConfigIssue): string {
  const parts = [`${i.path}: ${i.message}`];
  if (i.value !== undefined) parts.push(`got ${JSON.stringify(i.value)}`);
  if (i.expected) parts.push(`expected ${i.expected}`);
  return parts.join("; ");
}
