import { describe, expect, it } from "vitest";
import { GroupScope } from "../../core/domain/group-scope";

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
