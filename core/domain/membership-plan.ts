import type { MembershipRecord } from "../ports/ledger-records";

export interface MemberChange {
  userId: string;
  scimUserId: string;
  seenVersion: string;
}

export interface MembershipPlan {
  adds: MemberChange[];
  removes: MemberChange[];
  /** Kiro already matches (or the user never reached Kiro): record without a SCIM call. */
  settled: { userId: string; applied: boolean; seenVersion: string }[];
  /** Cannot be applied until the user exists in Kiro; carries the user's own failure. */
  blocked: { userId: string; reason: string; errorCode: string }[];
}

/**
 * desired − applied for one group. Pure, so the rules are unit-tested without DynamoDB or Kiro:
 * a deleted group wants nobody; an add needs the user's Kiro id; a remove of a user Kiro never had
 * is settled without a call.
 */
export function planMembershipChanges(
  memberships: readonly MembershipRecord[],
  kiroUserIds: ReadonlyMap<string, string>,
  userFailures: ReadonlyMap<string, { reason: string; errorCode: string }>,
  options: { groupDeleted: boolean },
): MembershipPlan {
  const plan: MembershipPlan = { adds: [], removes: [], settled: [], blocked: [] };
  for (const membership of memberships) {
    const desired = membership.desired && !options.groupDeleted;
    const seenVersion = membership.desiredVersion;
    const scimUserId = kiroUserIds.get(membership.userId);
    if (desired === membership.applied) {
      if (membership.status !== "synced")
        plan.settled.push({ userId: membership.userId, applied: desired, seenVersion });
    } else if (desired && scimUserId) {
      plan.adds.push({ userId: membership.userId, scimUserId, seenVersion });
    } else if (desired) {
      const failure = userFailures.get(membership.userId) ?? {
        reason: "user is not in Kiro yet",
        errorCode: "MEMBER.USER_NOT_PROVISIONED",
      };
      plan.blocked.push({ userId: membership.userId, ...failure });
    } else if (scimUserId) {
      plan.removes.push({ userId: membership.userId, scimUserId, seenVersion });
    } else {
      plan.settled.push({ userId: membership.userId, applied: false, seenVersion });
    }
  }
  return plan;
}

/**
 * What Kiro was found to hold for a membership, as a record for `recordMembershipsApplied`. Only a
 * finding that matches the desired state carries the desired version (and so marks it synced); any
 * other keeps the membership pending, so `/status` never calls synced what the next pass must still
 * send (a lost removal found applied after the user was added back).
 */
export function observedInKiro(
  membership: Pick<MembershipRecord, "userId" | "desired" | "desiredVersion">,
  applied: boolean,
): { userId: string; applied: boolean; seenVersion: string } {
  const seenVersion = applied === membership.desired ? membership.desiredVersion : unmatchedVersion;
  return { userId: membership.userId, applied, seenVersion };
}

/** A version no IdP change carries: a record made with it never counts as current. */
const unmatchedVersion = "";
