/**
 * The test host as a process (spawned inside a namespace by {@link spawnTestHost}): options on the
 * command line, JSON lines on stdout. See `test-host.ts`.
 */
import { parseTestHostArgs, startTestHost } from "./test-host.js";

const spec = parseTestHostArgs(process.argv.slice(2));
await startTestHost(spec, (hit) => process.stdout.write(JSON.stringify(hit) + "\n"));
process.stdout.write(JSON.stringify({ ready: true }) + "\n");
