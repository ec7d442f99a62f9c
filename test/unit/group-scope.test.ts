import { describe, expect, it } from "vitest";
import { describeScopeMismatch, GroupScope, unmatchedEverywhere } from "../../core/domain/group-scope";

describe("GroupScope", () => {
  it("takes every group when unset or *", () => {
    // Act
    const scopes = [new GroupScope(undefined), new GroupScope(""), new GroupScope("*")];

    // Assess
    expect(scopes.map((scope) => scope.includes({ id: "00gAny", name: "Anything" }))).toEqual([
      true,
      true,
      true,
    ]);
  });

  it("matches ids exactly and name patterns case-insensitively", () => {
    // Prepare
    const scope = new GroupScope("00gExact1, kiro-*, Release.Managers");

    // Act
    const answers = [
      scope.includes({ id: "00gExact1" }),
      scope.includes({ id: "00gOther", name: "Kiro-Engineering" }),
      scope.includes({ id: "00gOther", name: "Release.Managers" }),
      scope.includes({ id: "00gOther", name: "ReleasexManagers" }),
      scope.includes({ id: "00gOther", name: "Sales" }),
    ];

    // Assess
    expect(answers).toEqual([true, true, true, false, false]);
  });
});

describe("GroupScope.unmatchedEntries", () => {
  const groups = [
    { id: "00gEng", name: "Kiro-Engineering" },
    { id: "00gSales", name: "Sales" },
  ];

  it("names every entry that selects no group, and the group an exact entry equals but for letter case", () => {
    // Prepare
    const scope = new GroupScope("Sales, kiro-engineering, Nonexistent, Ghost-*, 00gEng, kiro-*");

    // Act
    const unmatched = scope.unmatchedEntries(groups);

    // Assess
    expect(unmatched).toEqual([
      { entry: "kiro-engineering", caseOnly: "Kiro-Engineering" },
      { entry: "Nonexistent" },
      { entry: "Ghost-*" },
    ]);
  });

  it("finds nothing unmatched when the scope is every group, even in an empty directory", () => {
    // Act
    const unmatched = [new GroupScope(undefined), new GroupScope("*, Nonexistent")].map((scope) =>
      scope.unmatchedEntries([]),
    );

    // Assess
    expect(unmatched).toEqual([[], []]);
  });
});

describe("unmatchedEverywhere", () => {
  it("keeps only entries no checked source selects, with a letter-case near miss from any of them", () => {
    // Act
    const unmatched = unmatchedEverywhere({
      okta: [{ entry: "Entra-Only" }, { entry: "nowhere" }, { entry: "kiro-devs" }],
      entra: [{ entry: "nowhere" }, { entry: "kiro-devs", caseOnly: "Kiro-Devs" }],
    });

    // Assess
    expect(unmatched).toEqual([
      { entry: "nowhere", caseOnly: undefined },
      { entry: "kiro-devs", caseOnly: "Kiro-Devs" },
    ]);
  });
});

describe("describeScopeMismatch", () => {
  it("names a letter-case near miss, and otherwise the sources searched", () => {
    // Act
    const caseOnly = describeScopeMismatch({ entry: "kiro-engineering", caseOnly: "Kiro-Engineering" }, [
      "okta",
    ]);
    const missing = describeScopeMismatch({ entry: "Nonexistent" }, ["okta", "entra"]);

    // Assess
    expect(caseOnly).toContain("`kiro-engineering` matches `Kiro-Engineering` only in letter case");
    expect(missing).toBe("SYNC_GROUPS entry `Nonexistent` matches no okta or entra group");
  });
});
