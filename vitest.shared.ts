/** Shared vitest settings: resolve workspace packages to their TypeScript sources. */
import { defineConfig } from "vitest/config";

const conditions = ["@sandbox/source", "node", "import", "module", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@sandbox/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
