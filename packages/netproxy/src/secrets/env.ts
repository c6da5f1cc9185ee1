/**
 * What the guest sees of its secrets (semantics §6.1): each secret's environment variable set to
 * its placeholder - never the value.
 */
import type { SecretEntry } from "@sandbox/core";
import { placeholderOf } from "./classify.js";

/** `env_var -> placeholder` for the guest environment (later entries win on a repeated name). */
export function guestSecretEnv(secrets: readonly Pick<SecretEntry, "env_var" | "placeholder">[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of secrets) env[s.env_var] = placeholderOf(s);
  return env;
}
