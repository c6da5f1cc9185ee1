/** The exit codes of the `sandbox` command; each means one thing, so scripts can branch on them. */
export const Exit = {
  /** Success; for `explain`, the flow or query is allowed. */
  ok: 0,
  /** The input (config, annotation, flow) is invalid; the errors say where. */
  invalid: 1,
  /** The command line is wrong (unknown command or option, missing argument). */
  usage: 2,
  /** `explain`: the policy denies the flow or query. */
  denied: 3,
  /** Something the command needs is missing on this machine (QEMU, a kernel, root, KVM). */
  environment: 4,
  /** The command failed while running (a VM or the proxy died, a test scenario failed). */
  failed: 5,
} as const;
