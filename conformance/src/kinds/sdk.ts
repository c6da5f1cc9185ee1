/**
 * `sdk_translation` probes: `probe.sdk` selects the dialect (go, python, rust, typescript,
 * runtime, quicksand); `probe.input` is either JSON in that SDK's shape (a whole network config, a rule
 * list, or a rule fragment such as `{destination: ...}`) or code in that SDK's syntax, run by the
 * expression interpreter against the dialect's API. The result is a bag of views that the runner
 * projects onto the vector's expected keys.
 */
import {
  canonicalPolicy,
  formatNameserver,
  formatIp,
  goDialect,
  ipFromBytes,
  parseNameserver,
  pythonDialect,
  rustDialect,
  tsSdkDialect,
} from "@sandbox/core";
import { evaluateExpr } from "../interp/index.js";
import type { Probe } from "../protocol.js";
import { planAddresses, runQemuNetdev } from "./external.js";
import { ProbeError } from "./policy.js";
import { configBag, fragmentBag, policyBag } from "./sdk-bags.js";
import { goBag, goEnv, quicksandEnv, pythonBag, pythonEnv, rustBag, rustEnv, typescriptBag, typescriptEnv } from "./sdk-envs.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const GO_FRAGMENT = new Set(["destination", "port", "ports", "protocol", "protocols", "direction", "action"]);
const PY_FRAGMENT = new Set(["destination", "destination_kind", "port", "protocol", "direction", "action"]);

function goTranslate(input: unknown): Record<string, unknown> {
  if (typeof input === "string") return goBag(evaluateExpr(input, goEnv()));
  if (!isRecord(input)) throw new ProbeError("go input must be code or a JSON object");
  if ("network" in input) return configBag(goDialect.fromGoFfi(input.network));
  if ("rules" in input) return policyBag(goDialect.fromGoFfi({ custom_policy: { rules: input.rules } }).policy);
  if (Object.keys(input).every((k) => GO_FRAGMENT.has(k))) {
    const out: Record<string, unknown> = {};
    if ("destination" in input) out.destination = goDialect.parseGoDestination(input.destination);
    if ("port" in input || "ports" in input) out.ports = goDialect.parseGoPorts(input.port, input.ports);
    if ("protocol" in input || "protocols" in input) out.protocols = goDialect.parseGoProtocols(input.protocol, input.protocols);
    if ("direction" in input) out.direction = goDialect.parseGoDirection(input.direction);
    if ("action" in input) out.action = goDialect.parseGoAction(input.action);
    return fragmentBag(out);
  }
  return configBag(goDialect.fromGoFfi(input));
}

function pythonTranslate(input: unknown): Record<string, unknown> {
  if (typeof input === "string") return pythonBag(evaluateExpr(input, pythonEnv()));
  if (!isRecord(input)) throw new ProbeError("python input must be code or a JSON object");
  if ("rules" in input) return policyBag(pythonDialect.fromPythonDict({ custom_policy: { rules: input.rules } }).policy);
  if (Object.keys(input).every((k) => PY_FRAGMENT.has(k))) {
    const out: Record<string, unknown> = {};
    if ("destination" in input || "destination_kind" in input) out.destination = pythonDialect.parsePyDestination(input.destination_kind, input.destination);
    if ("port" in input) out.ports = pythonDialect.parsePyPort(input.port);
    if ("protocol" in input) out.protocols = pythonDialect.parsePyProtocol(input.protocol);
    if ("direction" in input) out.direction = pythonDialect.parsePyDirection(input.direction);
    if ("action" in input) out.action = pythonDialect.parsePyAction(input.action);
    return fragmentBag(out);
  }
  return configBag(pythonDialect.fromPythonDict(input));
}

function typescriptTranslate(input: unknown): Record<string, unknown> {
  if (typeof input === "string") return typescriptBag(evaluateExpr(input, typescriptEnv()));
  if (!isRecord(input)) throw new ProbeError("typescript input must be code or a JSON object");
  if ("destination" in input && Object.keys(input).length === 1) return fragmentBag({ wire: tsSdkDialect.tsDestinationToWire(input.destination) });
  return fragmentBag({ wire: canonicalPolicy(tsSdkDialect.tsPolicyToWire(input)) });
}

function rustTranslate(input: unknown): Record<string, unknown> {
  if (typeof input !== "string") throw new ProbeError("rust input must be code");
  return rustBag(evaluateExpr(input, rustEnv()));
}

function mac(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

async function runtimeTranslate(input: unknown): Promise<Record<string, unknown>> {
  if (!isRecord(input)) throw new ProbeError("runtime input must be a JSON object");
  if ("slot" in input) {
    const plan = (await planAddresses({
      slot: Number(input.slot),
      ...(typeof input.ipv4_pool === "string" ? { ipv4Pool: input.ipv4_pool } : {}),
      ...(typeof input.ipv6_pool === "string" ? { ipv6Pool: input.ipv6_pool } : {}),
    })) as { guestMac: Uint8Array; gatewayMac: Uint8Array; v4: { guest: Uint8Array; gateway: Uint8Array } | null; v6: { guest: Uint8Array; gateway: Uint8Array } | null };
    return {
      guest_ipv4: plan.v4 === null ? null : formatIp(ipFromBytes(plan.v4.guest)),
      gateway_ipv4: plan.v4 === null ? null : formatIp(ipFromBytes(plan.v4.gateway)),
      guest_ipv6: plan.v6 === null ? null : formatIp(ipFromBytes(plan.v6.guest)),
      gateway_ipv6: plan.v6 === null ? null : formatIp(ipFromBytes(plan.v6.gateway)),
      guest_mac: mac(plan.guestMac),
      gateway_mac: mac(plan.gatewayMac),
    };
  }
  if (Object.keys(input).length === 1 && Array.isArray(input.nameservers)) {
    return {
      resolved_specs: input.nameservers.map((n) => {
        const r = parseNameserver(String(n));
        if ("error" in r) throw new ProbeError(r.error);
        return formatNameserver(r);
      }),
    };
  }
  const r = rustDialect.fromRuntimeConfig(input);
  return configBag(r.config, { platform_policy: r.platformPolicy });
}

async function quicksandTranslate(input: unknown): Promise<Record<string, unknown>> {
  if (typeof input !== "string") throw new ProbeError("quicksand input must be code such as Sandbox(network_mode=NetworkMode.FULL)");
  const v = evaluateExpr(input, quicksandEnv()) as { sandbox?: Record<string, unknown> };
  if (v.sandbox === undefined) throw new Error("quicksand expression must be a Sandbox(...) call");
  const r = (await runQemuNetdev({}, { kind: "qemu_netdev", ...v.sandbox })) as { argv: string[] };
  return { ...v.sandbox, argv: r.argv, accepted: true };
}

/** Runs one `sdk_translation` probe. */
export async function runSdkTranslation(_c: Record<string, unknown>, p: Probe): Promise<unknown> {
  switch (p.sdk) {
    case "go":
      return goTranslate(p.input);
    case "python":
      return pythonTranslate(p.input);
    case "typescript":
      return typescriptTranslate(p.input);
    case "rust":
      return rustTranslate(p.input);
    case "runtime":
      return runtimeTranslate(p.input);
    case "quicksand":
      return quicksandTranslate(p.input);
    default:
      throw new Error(`probe.sdk: ${JSON.stringify(p.sdk)}; expected go, python, rust, typescript, runtime or quicksand`);
  }
}
