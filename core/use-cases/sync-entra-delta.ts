import { randomUUID } from "node:crypto";
import { SyncError } from "../domain/errors";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion } from "../domain/identity-source";
import type { DirectoryDeltaReader } from "../ports/directory-delta-reader";
import type { EntraSyncState } from "../ports/entra-sync-state";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { MembershipRecords } from "../ports/membership-records";
import type { UserRecords } from "../ports/user-records";
import { recordUserRereads } from "./reread-users";

export interface EntraDeltaDependencies {
  ledger: EntraSyncState & GroupRecords & GroupSyncState & MembershipRecords & UserRecords;
  bus: EventBus;
  scope: GroupScope;
  reader: DirectoryDeltaReader;
  now?: () => Date;
}

export interface EntraDeltaReport {
  groupsTouched: number;
  /** Known users whose profile, `accountEnabled` or existence changed since the last round. */
  usersChanged: number;
  fullResync: boolean;
  /** Stored links that could not be used (expired, or left by another Graph endpoint), and why. */
  deltaLinksDropped: { link: DeltaName; reason: string }[];
}

type DeltaName = "groups" | "users";

/**
 * One round of the Graph /groups and /users delta queries, from the deltaLinks kept in the ledger:
 * catches what notifications missed (Graph drops them after 4 h, and a profile edit may never be
 * notified at all). An expired link (7 days, or 410 Gone) starts a full enumeration, and then every
 * synced group is re-read in full instead of trusting the enumeration's direct-member lists. Only
 * members Graph types as users are applied as they come: a group whose `members@delta` names a
 * group, or an id with no `@odata.type` (Graph does not promise one), is re-read in full instead,
 * since the transitive read types every member and flattens nesting in one request per page, where
 * resolving the id first would still leave a nested group to read. Versions are the read's own
 * time, so a change that arrived both by notification and by delta is applied once: the second
 * write finds nothing new to do.
 */
export async function syncEntraDelta(deps: EntraDeltaDependencies): Promise<EntraDeltaReport> {
  const version = changeVersion((deps.now ?? (() => new Date()))(), `delta-${randomUUID()}`);
  const dropped: EntraDeltaReport["deltaLinksDropped"] = [];
  const groups = await applyGroupsDelta(deps, version, dropped);
  const users = await applyUsersDelta(deps, version, dropped);
  const touched = new Set([...groups.touched, ...users.touched]);
  await deps.bus.publish(
    [...touched].map((groupId) => ({
      type: "GroupChanged",
      detail: { source: "entra", groupId, trigger: "delta:entra" },
    })),
  );
  return {
    groupsTouched: touched.size,
    usersChanged: users.changed,
    fullResync: groups.fullResync,
    deltaLinksDropped: dropped,
  };
}

async function applyGroupsDelta(
  deps: EntraDeltaDependencies,
  version: string,
  dropped: EntraDeltaReport["deltaLinksDropped"],
): Promise<{ touched: Set<string>; fullResync: boolean }> {
  const { ledger } = deps;
  const { round, fullResync } = await deltaRound(
    ledger,
    "groups",
    (link) => deps.reader.groupsDelta(link),
    dropped,
  );
  const touched = new Set<string>();
  for (const group of round.groups.values()) {
    const known = await ledger.getGroup("entra", group.id);
    if (known || deps.scope.includes({ id: group.id, name: group.displayName })) {
      if (group.displayName) await ledger.recordGroupName("entra", group.id, group.displayName, version);
      if (group.removed) {
        await ledger.recordGroupDeleted("entra", group.id, version);
      } else if (
        fullResync ||
        group.nestedGroupChanges.size > 0 ||
        group.untypedMembers.size > 0 ||
        (known?.nestedGroupCount ?? 0) > 0
      ) {
        await ledger.requestGroupRefresh("entra", group.id, version);
      } else {
        for (const userId of group.addedMembers) {
          await ledger.requestUserProfile("entra", userId, version, {
            onlyIfKnown: false,
            onlyIfNoProfile: true,
          });
          await ledger.recordDesiredMembership("entra", group.id, userId, true, version);
        }
        for (const userId of group.removedMembers)
          await ledger.recordDesiredMembership("entra", group.id, userId, false, version);
      }
      touched.add(group.id);
    }
    for (const parentId of await ledger.listParentGroups("entra", group.id)) {
      await ledger.requestGroupRefresh("entra", parentId, version);
      touched.add(parentId);
    }
  }
  await ledger.recordDeltaLink("groups", round.deltaLink);
  return { touched, fullResync };
}

/**
 * Profile, status and deletion changes of users the ledger knows (users outside every synced group
 * are ignored). Their groups are marked dirty so the next pass pushes them; a user in no group any
 * more is pushed by the next reconcile's user re-read, which pushes every user left waiting.
 */
async function applyUsersDelta(
  deps: EntraDeltaDependencies,
  version: string,
  dropped: EntraDeltaReport["deltaLinksDropped"],
): Promise<{ touched: Set<string>; changed: number }> {
  const { ledger } = deps;
  const { round } = await deltaRound(ledger, "users", (link) => deps.reader.usersDelta(link), dropped);
  const known = await ledger.getUsers("entra", [...round.users.keys()]);
  const reread = await recordUserRereads(ledger, "entra", known, round.users, version);
  const touched = new Set(reread.groupsTouched);
  const dirtied = new Set<string>();
  for (const userId of reread.changed)
    for (const groupId of await ledger.listGroupIdsOfUser("entra", userId)) dirtied.add(groupId);
  if (dirtied.size > 0) await ledger.markGroupsDirty("entra", [...dirtied]);
  await ledger.recordDeltaLink("users", round.deltaLink);
  return {
    touched: new Set([...touched, ...dirtied]),
    changed: reread.changed.length + reread.deleted.length,
  };
}

/**
 * Reads one round from the stored link. A link that cannot be used (expired, 410, or pointing at
 * another Graph endpoint than the configured one) is dropped and a full enumeration starts instead:
 * otherwise the same dead link fails every round, for good. The new link replaces it only once the
 * full round succeeded, so an outage during that round loses nothing.
 */
async function deltaRound<Round>(
  ledger: EntraSyncState & GroupRecords & GroupSyncState & MembershipRecords & UserRecords,
  name: DeltaName,
  read: (deltaLink: string | undefined) => Promise<Round>,
  dropped: EntraDeltaReport["deltaLinksDropped"],
): Promise<{ round: Round; fullResync: boolean }> {
  const stored = await ledger.getDeltaLink(name);
  try {
    return { round: await read(stored), fullResync: stored === undefined };
  } catch (error) {
    if (!(error instanceof SyncError && error.code === "IDP.DELTA_EXPIRED")) throw error;
    dropped.push({ link: name, reason: error.message });
    return { round: await read(undefined), fullResync: true };
  }
}
