import { randomUUID } from "node:crypto";
import { forEachLimited } from "../../domain/concurrency";
import type { GroupScope } from "../../domain/group-scope";
import { changeVersion } from "../../domain/identity-source";
import type { GroupRecords } from "../../ports/group-records";
import type { IdentityDirectory } from "../../ports/identity-directory";
import type { GroupRecord } from "../../ports/ledger-records";
import type { MembershipRecords } from "../../ports/membership-records";
import type { RunRecords } from "../../ports/run-records";
import type { UserRecords } from "../../ports/user-records";

export interface IdpRefreshDependencies {
  ledger: GroupRecords & MembershipRecords & RunRecords & UserRecords;
  directory: IdentityDirectory;
  /** Share of managed users one reconcile run may remove before its removals wait for approval. */
  removalHoldShare?: number;
  /** SYNC_GROUPS: a group re-read outside it is removed from Kiro. */
  scope?: GroupScope;
  now?: () => Date;
}

/**
 * Before a pass, when the IdP asked for it: re-reads the group in full from the IdP (users through
 * nested groups included, so Kiro, which has no nested groups, gets the flattened list) and records
 * the difference as desired state with the read's own version. Removals come only from a complete read: when a later page failed, the
 * members read so far are added, nothing is removed, and the group stays marked for a re-read.
 */
export async function refreshFromIdp(
  group: GroupRecord,
  deps: IdpRefreshDependencies,
): Promise<{ group: GroupRecord; incomplete: string | undefined; held: string | undefined }> {
  const { ledger } = deps;
  const source = group.source;
  const readVersion = changeVersion((deps.now ?? (() => new Date()))(), `read-${randomUUID()}`);
  const members = await deps.directory.listGroupMembers(group.idpId);
  let held: string | undefined;
  if (!members) {
    await ledger.recordGroupDeleted(source, group.idpId, readVersion);
  } else {
    if (members.displayName)
      await ledger.recordGroupName(source, group.idpId, members.displayName, readVersion);
    const leftScope = hasLeftScope(group, members.displayName, deps);
    const wanted = new Set(leftScope ? [] : members.userIds);
    const current = await ledger.listMemberships(source, group.idpId);
    const desiredNow = new Set(
      current.filter((membership) => membership.desired).map((membership) => membership.userId),
    );
    await forEachLimited(
      [...wanted].filter((userId) => !desiredNow.has(userId)),
      8,
      async (userId) => {
        await ledger.requestUserProfile(source, userId, readVersion, {
          onlyIfKnown: false,
          onlyIfNoProfile: true,
        });
        await ledger.recordDesiredMembership(source, group.idpId, userId, true, readVersion);
      },
    );
    if (!members.complete) {
      return {
        group: (await ledger.getGroup(source, group.idpId)) ?? group,
        incomplete: members.failure ?? "unknown",
        held: undefined,
      };
    }
    const removals = [...desiredNow].filter((userId) => !wanted.has(userId));
    held = await holdIfTooMany(group, removals, deps);
    if (!held) {
      await forEachLimited(removals, 8, async (userId) => {
        await ledger.recordDesiredMembership(source, group.idpId, userId, false, readVersion);
      });
      if (leftScope) await ledger.recordGroupDeleted(source, group.idpId, readVersion);
    }
    await ledger.recordNestedGroups(source, group.idpId, members.nestedGroupIds);
  }
  await ledger.recordGroupRefreshed(source, group.idpId, group.refreshRequestedVersion ?? readVersion);
  return { group: (await ledger.getGroup(source, group.idpId)) ?? group, incomplete: undefined, held };
}

/**
 * A group whose name no longer matches SYNC_GROUPS is removed from Kiro like a deleted one (members
 * removed; the group deleted only if we created it), through the same removal hold. A group whose
 * name is unknown is never judged out of scope: that would empty it on missing data.
 */
function hasLeftScope(
  group: GroupRecord,
  readName: string | undefined,
  deps: IdpRefreshDependencies,
): boolean {
  const name = readName ?? group.name;
  if (!deps.scope || deps.scope.everything || deps.scope.includes({ id: group.idpId })) return false;
  return name !== undefined && !deps.scope.includes({ id: group.idpId, name });
}

/**
 * A reconcile run counts the removals its reads propose; once the run would remove more than the
 * allowed share of managed users, this group's removals are held for an operator (adds still go
 * through). An approved run's re-read applies them. Event-driven reads are not part of a run.
 */
async function holdIfTooMany(
  group: GroupRecord,
  removals: string[],
  deps: IdpRefreshDependencies,
): Promise<string | undefined> {
  const runId = group.refreshRunId;
  if (removals.length === 0 || !runId || runId.startsWith("approved:")) return undefined;
  const share = deps.removalHoldShare ?? 0.1;
  const { total, managedUsers } = await deps.ledger.countRunRemovals(runId, removals.length);
  if (managedUsers > 0 && total / managedUsers <= share) return undefined;
  const reason = `reconcile run ${runId} would remove ${total} of ${managedUsers} managed users (over ${Math.round(share * 100)}%): removals held; approve with POST /admin/approve/${runId}`;
  await deps.ledger.holdRemovals({
    runId,
    source: group.source,
    groupId: group.idpId,
    userIds: removals,
    reason,
    heldAt: new Date().toISOString(),
  });
  return reason;
}
