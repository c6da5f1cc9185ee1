/**
 * `build-guest`: builds the test guest into the cache and prints its paths as JSON
 * (`pnpm --filter @sandbox/vmm-qemu build-guest [--refresh] [--cache-dir DIR]`).
 */
import { buildGuest } from "./build.js";

const args = process.argv.slice(2);
const cacheIdx = args.indexOf("--cache-dir");
try {
  const image = buildGuest({
    refresh: args.includes("--refresh"),
    ...(cacheIdx >= 0 && args[cacheIdx + 1] ? { cacheDir: args[cacheIdx + 1] } : {}),
    log: (m) => process.stderr.write(`build-guest: ${m}\n`),
  });
  process.stdout.write(`${JSON.stringify(image)}\n`);
} catch (err) {
  process.stderr.write(`build-guest: ${(err as Error).message}\n`);
  process.exit(1);
}
