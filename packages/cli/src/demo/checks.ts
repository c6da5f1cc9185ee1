/**
 * What the demo's guest does, and what should happen: each check is a scenario command run in the
 * guest, the outcome the policy must produce, and (for denied targets) the test host that must not
 * have seen a single packet.
 */
import type { TestHostHit } from "@sandbox/netproxy";
import { SCENARIO_LIB } from "@sandbox/vmm-qemu";
import { WORLD, type World } from "./world.js";

/** One demo check. */
export interface DemoCheck {
  name: string;
  /** What a reader sees in the table. */
  title: string;
  command: string;
  expect: "ok" | "fail" | "nxdomain";
  /** Hits that must not have happened (the denied target stayed untouched). */
  untouched?: (w: World) => number;
}

const on = (addr: string) => (h: TestHostHit) => h.on.startsWith(addr);

/** The checks, in the order the guest runs them. */
export const CHECKS: DemoCheck[] = [
  { name: "dns_public", title: `DNS ${WORLD.publicName} (through interception)`, command: `check_dns dns_public ${WORLD.publicName}`, expect: "ok" },
  { name: "http_public", title: `HTTP to a public host (${WORLD.publicIp})`, command: `check_http http_public http://${WORLD.publicName}/`, expect: "ok" },
  {
    name: "http_private",
    title: `HTTP to a private host (${WORLD.privateIp})`,
    command: `check_http http_private http://${WORLD.privateIp}/`,
    expect: "fail",
    untouched: (w) => w.privateHost.count(on(WORLD.privateIp)),
  },
  {
    name: "http_metadata",
    title: `HTTP to cloud metadata (${WORLD.metadataIp})`,
    command: `check_http http_metadata http://${WORLD.metadataIp}/`,
    expect: "fail",
    untouched: (w) => w.privateHost.count(on(WORLD.metadataIp)),
  },
  {
    name: "http_host_loopback",
    title: `HTTP to the host's loopback (gateway:${WORLD.loopbackPort})`,
    command: `check_http http_host_loopback http://$router:${WORLD.loopbackPort}/`,
    expect: "fail",
    untouched: (w) => w.loopbackHost.count(() => true),
  },
  {
    name: "dns_blocked",
    title: `DNS ${WORLD.blockedName} (deny_domains)`,
    command: `check_dns dns_blocked ${WORLD.blockedName}`,
    expect: "nxdomain",
    untouched: (w) => w.publicHost.count((h) => h.hit === "dns" && h.name?.toLowerCase() === WORLD.blockedName),
  },
  { name: "dns_rebind", title: `DNS ${WORLD.rebindName} → 127.0.0.1 (rebind protection)`, command: `check_dns dns_rebind ${WORLD.rebindName}`, expect: "nxdomain" },
];

/** The scenario script: helpers, a web server on :80 for the published port, the checks, then wait. */
export function scenarioScript(): string {
  return [SCENARIO_LIB, "httpd -p 80 -h /www && result listening ok", ...CHECKS.map((c) => c.command), "result checks_done ok", "sleep 300"].join("\n");
}
