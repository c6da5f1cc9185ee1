/**
 * @sandbox/conformance: the shared vectors, the testee behind its protocol, the runner and the
 * SDK expression interpreter.
 */
export type { Probe, TesteeRequest, TesteeResponse, Vector } from "./protocol.js";
export { answer, answerAll, isRejection } from "./answer.js";
export { judge, mismatch, resolveKey, renderRule, renderPolicy } from "./compare.js";
export { runConformance, runTestee, loadVectors, formatReport, type Report, type Result, type Outcome } from "./runner.js";
export { parseXfail, loadXfail, type XfailEntry } from "./xfail.js";
export { EXECUTORS, type Executor } from "./kinds/index.js";
export * from "./interp/index.js";
