/**
 * Answers testee requests: an input the implementation rejects answers `{id, error: <its
 * message>}`; a failure of the testee itself (unknown kind, interpreter error, missing entry
 * point) answers `{id, error: "internal error: ..."}`, which never satisfies an `error`
 * expectation.
 */
import { ConfigError, DialectError } from "@sandbox/core";
import { EXECUTORS, ProbeError } from "./kinds/index.js";
import type { TesteeRequest, TesteeResponse } from "./protocol.js";

/** True for errors that mean "the implementation rejected this input". */
export function isRejection(e: unknown): boolean {
  return e instanceof ProbeError || e instanceof DialectError || e instanceof ConfigError || e instanceof RangeError;
}

/** Answers one request. */
export async function answer(req: TesteeRequest): Promise<TesteeResponse> {
  const exec = EXECUTORS[req.probe?.kind];
  if (exec === undefined) return { id: req.id, error: `internal error: unknown probe kind ${JSON.stringify(req.probe?.kind)}` };
  try {
    return { id: req.id, actual: await exec(req.config ?? {}, req.probe) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { id: req.id, error: isRejection(e) ? msg : `internal error: ${e instanceof Error ? e.name : "throw"}: ${msg}` };
  }
}

/** Answers a whole batch, in order. */
export async function answerAll(reqs: readonly TesteeRequest[]): Promise<TesteeResponse[]> {
  const out: TesteeResponse[] = [];
  for (const r of reqs) out.push(await answer(r));
  return out;
}

