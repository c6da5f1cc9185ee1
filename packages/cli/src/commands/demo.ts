/**
 * `sandbox demo`: the whole product in one command. Builds (or reuses) the test guest, builds an
 * isolated world of network namespaces with a public and a private test host, starts netproxy with
 * the default public-only policy in its own namespace, boots the VM behind it, runs a scenario in
 * the guest (DHCP, DNS, an allowed request, denied private/metadata/loopback, a blocked name,
 * rebinding, a published port) and shows every decision live, then a summary.
 */
import type { Command } from "../command.js";

/** The `demo` command. */
export const demoCommand: Command = {
  name: "demo",
  summary: "Boot a VM behind netproxy in an isolated world and watch the policy enforced",
  usage: "sudo sandbox demo [--verbose]",
  description:
    "Everything is created for the run and removed after it: network namespaces (netproxy's, a public test host on 203.0.113.0/24 with a DNS server, a private one on 10.77.0.0/24 plus 169.254.169.254), the test guest (Debian cloud kernel + busybox, cached after the first build) under QEMU (KVM when usable, else TCG), and netproxy with the default public-only policy, a blocked name and a published port. No packet leaves the namespaces. --verbose also prints the guest console.",
  examples: ["sudo sandbox demo", "sudo sandbox demo --verbose"],
  options: { verbose: { type: "boolean", short: "v" } },
  async run(inv) {
    // The demo's machinery (QEMU, netns world, netproxy types) loads only when it runs.
    return (await import("../demo/session.js")).runDemo(inv);
  },
};
