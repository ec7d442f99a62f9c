import { describe, expect, it } from "vitest";
import { countIn, newTally } from "../../core/domain/tally";

describe("a tally of names that came from outside", () => {
  it("counts keys named like Object's own properties as plain keys", () => {
    // Prepare
    const tally = newTally();

    // Act
    for (const key of ["constructor", "__proto__", "toString", "constructor"]) countIn(tally, key);

    // Assess
    expect(Object.entries(tally).sort()).toEqual([
      ["__proto__", 1],
      ["constructor", 2],
      ["toString", 1],
    ]);
    expect(Object.values(tally).reduce((sum, count) => sum + count, 0)).toBe(4);
  });
});
