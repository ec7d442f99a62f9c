import { describe, expect, it } from "vitest";
import { planMembershipChanges } from "../../core/domain/membership-plan";
import type { MembershipRecord } from "../../core/ports/ledger-records";

function membership(
  userId: string,
  desired: boolean,
  applied: boolean,
  status: MembershipRecord["status"] = "pending",
) {
  return {
    source: "okta",
    groupId: "g",
    userId,
    desired,
    applied,
    desiredVersion: `v-${userId}`,
    status,
    attempts: 0,
  } as MembershipRecord;
}

describe("planMembershipChanges", () => {
  it("adds wanted members Kiro lacks and removes unwanted ones it has", () => {
    // Prepare
    const memberships = [membership("add-me", true, false), membership("drop-me", false, true)];
    const kiroIds = new Map([
      ["add-me", "k-add"],
      ["drop-me", "k-drop"],
    ]);

    // Act
    const plan = planMembershipChanges(memberships, kiroIds, new Map(), { groupDeleted: false });

    // Assess
    expect(plan.adds).toEqual([{ userId: "add-me", scimUserId: "k-add", seenVersion: "v-add-me" }]);
    expect(plan.removes).toEqual([{ userId: "drop-me", scimUserId: "k-drop", seenVersion: "v-drop-me" }]);
    expect(plan.settled).toEqual([]);
  });

  it("settles pending items Kiro already matches without a SCIM call, and leaves synced ones alone", () => {
    // Act
    const plan = planMembershipChanges(
      [membership("added-then-removed", false, false), membership("already-there", true, true, "synced")],
      new Map(),
      new Map(),
      { groupDeleted: false },
    );

    // Assess
    expect(plan.settled).toEqual([
      { userId: "added-then-removed", applied: false, seenVersion: "v-added-then-removed" },
    ]);
    expect([plan.adds, plan.removes]).toEqual([[], []]);
  });

  it("blocks an add whose user is not in Kiro and carries the user's failure", () => {
    // Act
    const plan = planMembershipChanges(
      [membership("nameless", true, false)],
      new Map(),
      new Map([["nameless", { reason: "familyName is empty", errorCode: "USER.INVALID_PROFILE" }]]),
      { groupDeleted: false },
    );

    // Assess
    expect(plan.blocked).toEqual([
      { userId: "nameless", reason: "familyName is empty", errorCode: "USER.INVALID_PROFILE" },
    ]);
  });

  it("wants nobody in a deleted group", () => {
    // Act
    const plan = planMembershipChanges(
      [membership("member", true, true, "synced")],
      new Map([["member", "k"]]),
      new Map(),
      {
        groupDeleted: true,
      },
    );

    // Assess
    expect(plan.removes.map((change) => change.userId)).toEqual(["member"]);
  });
});
