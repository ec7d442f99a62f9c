import { describe, expect, it } from "vitest";
import { parseEqFilter } from "../../local/scim-emulator/scim-filter";

describe("parseEqFilter (emulator)", () => {
  it("reads eq terms joined by and, with escaped quotes", () => {
    // Act
    const terms = parseEqFilter('id eq "g-1" AND members.value EQ "o\\"brien"');

    // Assess
    expect(terms).toEqual([
      { attribute: "id", value: "g-1" },
      { attribute: "members.value", value: 'o"brien' },
    ]);
  });

  it.each([
    'userName ne "x"',
    'userName eq "a" or userName eq "b"',
    "userName eq x",
    "",
    '(userName eq "a")',
  ])("refuses %j", (filter) => {
    // Act
    const attempt = () => parseEqFilter(filter);

    // Assess
    expect(attempt).toThrow(/filter|Filter/);
  });
});
