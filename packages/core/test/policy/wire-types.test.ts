/** Type-level check: the generated wire types are accepted by the policy engine's structural types. */
import { describe, expect, it } from "vitest";
import type { NetworkPolicy, DestinationGroup as GenGroup } from "../../src/gen/index.js";
import type { DestinationGroup, PolicyLike } from "./imports.js";

describe("generated wire types", () => {
  it("NetworkPolicy is assignable to PolicyLike and the group unions agree", () => {
    const assign = (p: NetworkPolicy): PolicyLike => p;
    const groups = (g: GenGroup): DestinationGroup => g;
    const back = (g: DestinationGroup): GenGroup => g;
    expect([typeof assign, typeof groups, typeof back]).toEqual(["function", "function", "function"]);
  });
});
