/**
 * The VM network end-to-end suite, written once over a props object (as gvisor-tap-vsock's e2e
 * suites are) and run by each network mode: one guest boot per mode runs every check as a
 * scenario script, then the host checks the published port while the guest waits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GuestEvent, QemuVm } from "../../src/index.js";
import { requireE2E, SCENARIO_LIB } from "./harness.js";

/** What a guest check expects. */
export type Outcome = "ok" | "fail" | "nxdomain";

/** One check run inside the guest. */
export interface GuestCheck {
  /** Result name (letters, digits, underscore). */
  name: string;
  /** Shell command using the SCENARIO_LIB helpers, e.g. `check_http out http://10.0.2.2:8080/`. */
  command: string;
  /** Expected outcome. */
  expect: Outcome;
  /** Extra assertion on the result line's fields (e.g. the answer address). */
  fields?: Record<string, string>;
  /** Host-side observers that must have seen no traffic (denied targets), checked after the run. */
  untouched?: () => number;
}

/** A booted guest and the host side around it. */
export interface SuiteRun {
  vm: QemuVm;
  /** Fetch `/index.html` from the guest's port 80 (busybox httpd) through the mode's published port. */
  fetchPublished?: () => Promise<{ status: number; body: string }>;
  /** Tear down what `boot` started besides the VM. */
  close(): Promise<void>;
}

/** The per-mode props of the suite. */
export interface NetworkSuiteProps {
  /** Suite title. */
  name: string;
  /** Why this mode cannot run here (skip; fails under SANDBOX_REQUIRE_E2E=1 unless `softSkip`). */
  skipReason: () => string | undefined;
  /** True when a skip must not fail under SANDBOX_REQUIRE_E2E=1 (the feature itself is not there yet). */
  softSkip?: () => boolean;
  /** Whether the guest has a NIC. */
  nic: boolean;
  /** Expected lease fields (`none` = not offered; a RegExp to match; `=router` for the router's value), or undefined without a NIC. */
  lease?: { router: string | RegExp; dns: string | RegExp; mtu?: string };
  /** Checks run inside the guest (after the lease, before the host-side port check). */
  checks: () => GuestCheck[];
  /** Extra checks on the host side while the guest runs (after the published-port check). */
  hostChecks?: Array<{ name: string; run: (run: SuiteRun) => void | Promise<void> }>;
  /** Boot the guest with the given scenario script (and start whatever the mode needs). */
  boot: (scenario: string) => Promise<SuiteRun>;
}

/** Build the scenario script: library, httpd on :80, the checks, then wait to be stopped. */
function scenarioFor(checks: GuestCheck[], nic: boolean): string {
  const lines = [SCENARIO_LIB];
  if (nic) lines.push("httpd -p 80 -h /www && result listening ok");
  for (const c of checks) lines.push(c.command);
  lines.push("result checks_done ok", "sleep 120");
  return lines.join("\n");
}

/** Define the suite for one mode. */
export function networkSuite(props: NetworkSuiteProps): void {
  const reason = props.skipReason();
  if (reason !== undefined) {
    if (requireE2E && !(props.softSkip?.() ?? false)) {
      describe(props.name, () => {
        it("can run (SANDBOX_REQUIRE_E2E=1)", () => {
          throw new Error(`VM end-to-end suite "${props.name}" cannot run: ${reason}`);
        });
      });
    } else {
      describe.skip(`${props.name} — skipped: ${reason}`, () => {
        it("skipped", () => {});
      });
    }
    return;
  }

  describe(props.name, () => {
    let run: SuiteRun | undefined;
    let results = new Map<string, GuestEvent>();
    const checks = props.checks();
    beforeAll(async () => {
      run = await props.boot(scenarioFor(checks, props.nic));
      await run.vm.waitUntil(() => run?.vm.results().get("checks_done"), 90_000, "the guest's checks");
      results = run.vm.results();
    }, 120_000);
    afterAll(async () => {
      await run?.vm.stop();
      await run?.close();
    });

    it(props.nic ? "has a NIC" : "has no NIC", () => {
      const nic = run?.vm.events.find((e) => e.event === "nic");
      expect(nic?.fields.present).toBe(props.nic ? "1" : "0");
    });

    if (props.lease) {
      const want = props.lease;
      it("gets a DHCP lease", () => {
        const lease = run?.vm.events.find((e) => e.event === "lease");
        expect(lease?.fields.failed).toBeUndefined();
        const match = (v: string | undefined, w: string | RegExp): void => {
          if (w instanceof RegExp) expect(v).toMatch(w);
          else expect(v).toBe(w === "=router" ? lease?.fields.router : w);
        };
        match(lease?.fields.router, want.router);
        match(lease?.fields.dns, want.dns);
        if (want.mtu) expect(lease?.fields.mtu).toBe(want.mtu);
      });
    } else {
      it("gets no lease", () => {
        expect(run?.vm.events.find((e) => e.event === "lease")).toBeUndefined();
      });
    }

    for (const c of checks) {
      it(`${c.name}: ${c.expect}`, () => {
        const r = results.get(c.name);
        expect(r, `no result line for ${c.name}; console:\n${run?.vm.lines.slice(-20).join("\n")}`).toBeDefined();
        expect(r?.fields.status, r?.rest).toBe(c.expect);
        for (const [k, v] of Object.entries(c.fields ?? {})) expect(r?.fields[k], `${c.name}.${k} in "${r?.rest}"`).toBe(v);
        if (c.untouched) expect(c.untouched(), `${c.name}: the denied target saw traffic`).toBe(0);
      });
    }

    if (props.nic) {
      it("serves a published port to the host", async () => {
        expect(run?.fetchPublished).toBeDefined();
        expect(results.get("listening")?.fields.status).toBe("ok");
        const res = await run!.fetchPublished!();
        expect(res.status).toBe(200);
        expect(res.body).toBe("sandbox-guest\n");
      });
    }

    for (const hc of props.hostChecks ?? []) it(hc.name, () => hc.run(run!));
  });
}
