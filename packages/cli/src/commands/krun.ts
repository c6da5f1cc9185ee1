/**
 * `sandbox krun annotations` (krun network settings → nerdbox annotations, with netproxy's socket
 * for networks that have none) and `sandbox krun parse` (annotations → the parsed networks, the
 * libkrun calls nerdbox would make and the guest's `-network` view), both exact to nerdbox.
 */
import { CliError, type Command } from "../command.js";
import { Exit } from "../exit-codes.js";
import { readJson } from "../input.js";

/** `sandbox krun annotations`. */
export const krunAnnotationsCommand: Command = {
  name: "krun annotations",
  summary: "Emit nerdbox network annotations from krun network settings",
  usage: "sandbox krun annotations <krun-settings.json|-> [--socket PATH]... [--ctr]",
  description:
    "Reads krun network settings (schemas/krun.schema.json) and prints the io.containerd.nerdbox.network.<i> annotations, in order (D7). Networks with an empty socket get the --socket paths (one per such network, e.g. where `sandbox netproxy --listen dgram:unix:PATH` listens). With --ctr, prints `--annotation k=v` arguments for `ctr run`.",
  examples: ["sandbox krun annotations examples/krun-settings.json --socket /run/sandbox/np.sock", "sandbox krun annotations examples/krun-settings.json --socket /run/sandbox/np.sock --ctr"],
  options: { socket: { type: "string", multiple: true }, ctr: { type: "boolean" } },
  async run({ positionals, values, out, json }) {
    const file = positionals[0];
    if (!file) throw new CliError("missing the krun settings file (use - for stdin)", Exit.usage);
    let annotations: Record<string, string>;
    const { emitAnnotations, parseKrunSettings } = await import("@sandbox/vmm-krun");
    try {
      annotations = emitAnnotations(parseKrunSettings(readJson(file)), (values.socket as string[] | undefined) ?? []);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError((e as Error).message, Exit.invalid);
    }
    if (json) out.json(annotations);
    else if (values.ctr) out.line(Object.entries(annotations).map(([k, v]) => `--annotation ${k}=${v}`).join(" "));
    else for (const [k, v] of Object.entries(annotations)) out.line(`${k}=${v}`);
    return Exit.ok;
  },
};

/** `sandbox krun parse`. */
export const krunParseCommand: Command = {
  name: "krun parse",
  summary: "Parse nerdbox annotations exactly as nerdbox does: networks, libkrun calls, guest view",
  usage: "sandbox krun parse (<annotations.json|-> | --annotation KEY=VALUE ...)",
  description:
    "Parses io.containerd.nerdbox.network.* (and .ctr.network.*) annotations with nerdbox's exact rules and error texts, ordered by numeric suffix (D7), and prints the parsed networks, the krun_add_net_* calls and the guest's -network arguments. Exit 1 with nerdbox's error text when an annotation is invalid.",
  examples: [
    "sandbox krun parse --annotation io.containerd.nerdbox.network.0=socket=/tmp/np.sock,mode=unixgram,mac=fa:43:25:5d:6f:b4,addr=192.168.127.2/24",
    "sandbox krun parse examples/nerdbox-annotations.json",
  ],
  options: { annotation: { type: "string", multiple: true } },
  async run({ positionals, values, out }) {
    let annotations: Record<string, string> = {};
    const pairs = (values.annotation as string[] | undefined) ?? [];
    if (positionals[0]) annotations = readJson(positionals[0]) as Record<string, string>;
    for (const p of pairs) {
      const eq = p.indexOf("=");
      if (eq <= 0) throw new CliError(`--annotation: "${p}" is not KEY=VALUE`, Exit.usage);
      annotations[p.slice(0, eq)] = p.slice(eq + 1);
    }
    if (Object.keys(annotations).length === 0) throw new CliError("give an annotations file or --annotation KEY=VALUE", Exit.usage);
    const { runNerdboxProbe } = await import("@sandbox/vmm-krun");
    const r = runNerdboxProbe({ kind: "nerdbox_annotations", annotations });
    out.json(r);
    return "error" in r ? Exit.invalid : Exit.ok;
  },
};
