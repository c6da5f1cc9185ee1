/** The executor of every probe kind in the shared vectors. */
import type { Probe } from "../protocol.js";
import { runDnsMessage, runNerdbox, runQemuNetdev, runSecretSubstitution } from "./external.js";
import {
  runDns,
  runDomainName,
  runEgress,
  runGroup,
  runHostPattern,
  runIngress,
  runPolicyJson,
  runPresetPolicy,
  runTlsPattern,
  runValidate,
} from "./policy.js";
import { runSdkTranslation } from "./sdk.js";

/** An executor: vector config and probe in, `actual` out (throws to answer with an error). */
export type Executor = (config: Record<string, unknown>, probe: Probe) => unknown;

/** Executors by probe kind. */
export const EXECUTORS: Readonly<Record<string, Executor>> = {
  group: runGroup,
  egress: runEgress,
  ingress: runIngress,
  dns: runDns,
  domain_name: runDomainName,
  policy_json: runPolicyJson,
  host_pattern: runHostPattern,
  tls_pattern: runTlsPattern,
  preset_policy: runPresetPolicy,
  validate: runValidate,
  sdk_translation: runSdkTranslation,
  secret_substitution: runSecretSubstitution,
  dns_message: runDnsMessage,
  qemu_netdev: runQemuNetdev,
  nerdbox_annotations: runNerdbox,
  nerdbox_guest_arg: runNerdbox,
};

export { ProbeError } from "./policy.js";
