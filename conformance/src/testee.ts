/**
 * The testee: reads a JSON array of `{id, config, probe}` from stdin and writes a JSON array of
 * `{id, actual}` or `{id, error}` to stdout (see protocol.ts and answer.ts). Run as
 * `pnpm --silent conformance:testee` at the repository root.
 */
import { answerAll } from "./answer.js";
import type { TesteeRequest } from "./protocol.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  const input = JSON.parse(await readStdin()) as unknown;
  if (!Array.isArray(input)) throw new Error("testee: stdin must be a JSON array of {id, config, probe}");
  const out = await answerAll(input as TesteeRequest[]);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`testee: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
