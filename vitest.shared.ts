/**
 * Shared vitest settings: resolve workspace packages to their TypeScript sources, and write a
 * JSON report per package when SANDBOX_TEST_REPORT_DIR is set (scripts/test-all.sh sums them).
 */
import { basename } from "node:path";
import { defineConfig } from "vitest/config";

const conditions = ["@sandbox/source", "node", "import", "module", "default"];
const reportDir = process.env.SANDBOX_TEST_REPORT_DIR;

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@sandbox/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: reportDir ? ["default", "json"] : ["default"],
    outputFile: reportDir ? { json: `${reportDir}/${basename(process.cwd())}-${process.pid}.json` } : undefined,
  },
});
