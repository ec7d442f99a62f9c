import { forEachLimited } from "../../domain/concurrency";
import { observedInKiro } from "../../domain/membership-plan";
import type { GroupSyncState } from "../../ports/group-sync-state";
import type { KiroScimPort } from "../../ports/kiro-scim";
import type { GroupRecord } from "../../ports/ledger-records";
import type { MembershipRecords } from "../../ports/membership-records";
import type { UserRecords } from "../../ports/user-records";

/**
 * A member PATCH was sent but its result never recorded: the worker died, timed out or lost the
 * answer, so Kiro may or may not have applied it, and diffing against the ledger's belief would
 * leave a member Kiro gained (or lost) that way wrong for good. Each user of that PATCH is looked
 * up in Kiro (one member-filter read) and the ledger records what Kiro really holds before planning.
 * Every answered read is kept even when others fail, and the intent shrinks to the users still
 * unread: under heavy throttling a settle of 100 users that had to succeed whole never finished.
 */
export async function settleLostPatch(
  group: GroupRecord,
  scimGroupId: string,
  kiroUserIds: Map<string, string>,
  deps: { ledger: GroupSyncState & MembershipRecords & UserRecords; scim: KiroScimPort },
): Promise<void> {
  const intent = group.patchIntent!;
  const memberships = new Map(
    (await deps.ledger.listMemberships(group.source, group.idpId)).map((membership) => [
      membership.userId,
      membership,
    ]),
  );
  const users = await deps.ledger.getUsers(group.source, intent.userIds);
  const observed: { userId: string; applied: boolean; seenVersion: string }[] = [];
  const unread: string[] = [];
  let failure: unknown;
  await forEachLimited(intent.userIds, 8, async (userId) => {
    const scimUserId = users.get(userId)?.scimId;
    const membership = memberships.get(userId);
    if (!scimUserId || !membership) return;
    kiroUserIds.set(userId, scimUserId);
    try {
      const applied = await deps.scim.isMember(scimGroupId, scimUserId);
      if (applied !== membership.applied) observed.push(observedInKiro(membership, applied));
    } catch (error) {
      failure ??= error;
      unread.push(userId);
    }
  });
  if (observed.length > 0) await deps.ledger.recordMembershipsApplied(group.source, group.idpId, observed);
  await deps.ledger.recordPatchIntent(
    group.source,
    group.idpId,
    unread.length > 0 ? { ...intent, userIds: unread } : undefined,
  );
  if (failure) throw failure;
}
