/**
 * The libkrun C functions this package calls (libkrun v1.19 `include/libkrun.h`), as koffi
 * prototypes, plus how a serialisable plan argument maps onto each parameter. Shared by the
 * planner (which only emits these functions) and the child process that executes the plan.
 */

/** How a plan argument is passed to C. */
export type ArgKind = "u32" | "u8" | "i32" | "str" | "strv" | "mac" | "bool";

/** One libkrun function: its koffi prototype, whether its first parameter is the context id, and the kinds of the remaining parameters. */
export interface KrunSignature {
  /** koffi prototype text. */
  proto: string;
  /** True when the first C parameter is `uint32_t ctx_id`, filled in by the executor. */
  ctx: boolean;
  /** Kinds of the parameters after `ctx_id` (or of all parameters when `ctx` is false). */
  args: ArgKind[];
}

/** Every libkrun function a plan may contain. */
export const KRUN_SIGNATURES = {
  krun_set_log_level: { proto: "int32_t krun_set_log_level(uint32_t level)", ctx: false, args: ["u32"] },
  krun_create_ctx: { proto: "int32_t krun_create_ctx()", ctx: false, args: [] },
  krun_free_ctx: { proto: "int32_t krun_free_ctx(uint32_t ctx_id)", ctx: true, args: [] },
  krun_set_vm_config: { proto: "int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib)", ctx: true, args: ["u8", "u32"] },
  krun_set_root: { proto: "int32_t krun_set_root(uint32_t ctx_id, const char *root_path)", ctx: true, args: ["str"] },
  krun_set_kernel: {
    proto: "int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path, uint32_t kernel_format, const char *initramfs, const char *cmdline)",
    ctx: true,
    args: ["str", "u32", "str", "str"],
  },
  krun_set_workdir: { proto: "int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path)", ctx: true, args: ["str"] },
  krun_set_exec: {
    proto: "int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path, const char **argv, const char **envp)",
    ctx: true,
    args: ["str", "strv", "strv"],
  },
  krun_add_net_unixstream: {
    proto: "int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd, uint8_t *c_mac, uint32_t features, uint32_t flags)",
    ctx: true,
    args: ["str", "i32", "mac", "u32", "u32"],
  },
  krun_add_net_unixgram: {
    proto: "int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path, int fd, uint8_t *c_mac, uint32_t features, uint32_t flags)",
    ctx: true,
    args: ["str", "i32", "mac", "u32", "u32"],
  },
  krun_set_port_map: { proto: "int32_t krun_set_port_map(uint32_t ctx_id, const char **port_map)", ctx: true, args: ["strv"] },
  krun_disable_implicit_vsock: { proto: "int32_t krun_disable_implicit_vsock(uint32_t ctx_id)", ctx: true, args: [] },
  krun_add_vsock: { proto: "int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features)", ctx: true, args: ["u32"] },
  krun_add_vsock_port2: {
    proto: "int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath, bool listen)",
    ctx: true,
    args: ["u32", "str", "bool"],
  },
  krun_set_console_output: { proto: "int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath)", ctx: true, args: ["str"] },
  krun_start_enter: { proto: "int32_t krun_start_enter(uint32_t ctx_id)", ctx: true, args: [] },
} as const satisfies Record<string, KrunSignature>;

/** Name of a libkrun function a plan may call. */
export type KrunFn = keyof typeof KRUN_SIGNATURES;

/** A JSON value for one plan argument (see {@link ArgKind}). */
export type PlanArg = number | string | boolean | null | string[] | number[];

/** One call of a plan: function name and its arguments after `ctx_id`. */
export interface PlanCall {
  fn: KrunFn;
  args: PlanArg[];
}
