import { randomUUID } from "node:crypto";
import { forEachLimited } from "../domain/concurrency";
import { ScimError } from "../domain/errors";
import { changeVersion, type IdentitySource } from "../domain/identity-source";
import { observedInKiro } from "../domain/membership-plan";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { KiroScimPort, ScimGroup, ScimUser } from "../ports/kiro-scim";
import type { DriftReport, GroupRecord, MembershipRecord, UserRecord } from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { RunRecords } from "../ports/run-records";
import type { UserRecords } from "../ports/user-records";
import { pushChangedUsers, type RemovalPolicy } from "./group-sync/ensure-users";

export interface DriftRepairDependencies {
  ledger: GroupRecords & GroupSyncState & MembershipRecords & RunRecords & UserRecords;
  bus: EventBus;
  scim: KiroScimPort;
  directories: Partial<Record<IdentitySource, IdentityDirectory>>;
  removalPolicy: RemovalPolicy;
  now?: () => Date;
}

/** Kiro users audited at once; each costs one SCIM read (its groups), so this bounds the load on Kiro. */
const auditConcurrency = 8;
const maxExamples = 10;

/**
 * A Kiro (or a proxy in front of it) that ignores the `members eq` filter answers every user with
 * every group, and nothing in a group's answer shows its members: the audit would take each user
 * for a member of every managed group and "repair" that. One read for a user that cannot exist
 * must come back empty before a page is audited; otherwise the page is refused as a bad answer.
 */
async function assertMemberFilterHonoured(scim: KiroScimPort): Promise<void> {
  const phantom = await scim.listGroupsOfUser(`kiro-scim-sync-canary-${randomUUID()}`);
  if (phantom.length > 0)
    throw new ScimError(
      "bad-response",
      "Kiro ignored the members filter on GET /Groups (a user that does not exist came back in groups)",
    );
}

export function emptyDriftReport(): DriftReport {
  return { users: 0, missingMemberships: 0, extraMemberships: 0, strangersRemoved: 0, examples: [] };
}

/**
 * The deep audit of one page of Kiro users. Reconcile re-reads the IdP and compares it with the
 * ledger's belief of what Kiro holds; a write whose answer was lost, or an edit made by hand in
 * Kiro, leaves that belief wrong. Here Kiro itself is read: each user's attributes (from the page)
 * and the groups Kiro says it is in (`members eq` filter, the only membership read Kiro offers),
 * compared with the desired state. The ledger is corrected to what Kiro really holds and the
 * ordinary workers repair the difference; only a user this service does not manage found in a
 * group it manages is taken out directly (the ledger has no record for it). Users and groups this
 * service does not manage are never changed. Costs one SCIM read per Kiro user; no drift, no write.
 */
export async function repairKiroDrift(
  users: readonly ScimUser[],
  runId: string,
  deps: DriftRepairDependencies,
  report: DriftReport,
): Promise<void> {
  await assertMemberFilterHonoured(deps.scim);
  const sources = Object.keys(deps.directories) as IdentitySource[];
  const version = changeVersion((deps.now ?? (() => new Date()))(), `audit-${runId}`);
  const owners = await ownersOf(users, sources, deps.ledger);
  const retouch = new Map<IdentitySource, Set<string>>(sources.map((source) => [source, new Set()]));
  const stale = new Map<IdentitySource, string[]>(sources.map((source) => [source, []]));
  const note = (example: string) => {
    if (report.examples.length < maxExamples) report.examples.push(example);
  };

  await forEachLimited(users, auditConcurrency, async (user) => {
    const owner = owners.get(user.id);
    if (owner && owner.record.status === "synced" && attributesDiffer(owner.record, user)) {
      stale.get(owner.source)!.push(owner.record.idpId);
      report.users += 1;
      note(`attributes:${user.userName}`);
    }
    const kiroGroups = await managedGroupsOf(await deps.scim.listGroupsOfUser(user.id), sources, deps.ledger);
    const memberships = owner
      ? await deps.ledger.listMembershipsOfUser(owner.source, owner.record.idpId)
      : [];
    const byGroup = new Map(memberships.map((membership) => [membership.groupId, membership]));
    const heldInKiro = new Set<string>();
    for (const { source, group, scimGroupId } of kiroGroups) {
      if (!owner || owner.source !== source) {
        await deps.scim.removeMembers(scimGroupId, [user.id]);
        report.strangersRemoved += 1;
        note(`stranger:${user.userName} in ${group.name ?? group.idpId}`);
        continue;
      }
      heldInKiro.add(group.idpId);
      const membership = byGroup.get(group.idpId);
      if (membership?.desired || membership?.applied) continue;
      await believeApplied(deps.ledger, source, group.idpId, owner.record.idpId, membership, version, true);
      retouch.get(source)!.add(group.idpId);
      report.extraMemberships += 1;
      note(`extra:${user.userName} in ${group.name ?? group.idpId}`);
    }
    if (!owner) return;
    const missing = memberships.filter(
      (membership) => membership.desired && membership.applied && !heldInKiro.has(membership.groupId),
    );
    const groups = await deps.ledger.getGroups(
      owner.source,
      missing.map((membership) => membership.groupId),
    );
    for (const membership of missing) {
      const group = groups.get(membership.groupId);
      if (!group?.scimId || group.deleted) continue;
      await believeApplied(
        deps.ledger,
        owner.source,
        group.idpId,
        owner.record.idpId,
        membership,
        version,
        false,
      );
      retouch.get(owner.source)!.add(group.idpId);
      report.missingMemberships += 1;
      note(`missing:${user.userName} in ${group.name ?? group.idpId}`);
    }
  });

  for (const source of sources) {
    const directory = deps.directories[source]!;
    const userIds = stale.get(source)!;
    if (userIds.length > 0)
      await pushChangedUsers(source, userIds, { ...deps, directory }, { evenIfSynced: true });
    const groupIds = [...retouch.get(source)!];
    if (groupIds.length === 0) continue;
    await deps.ledger.markGroupsDirty(source, groupIds);
    await deps.bus.publish(
      groupIds.map((groupId) => ({ type: "GroupChanged", detail: { source, groupId } })),
    );
  }
}

/** The ledger user each Kiro user is mapped to (by externalId, and the very Kiro id recorded). */
async function ownersOf(
  users: readonly ScimUser[],
  sources: readonly IdentitySource[],
  ledger: GroupRecords & GroupSyncState & MembershipRecords & RunRecords & UserRecords,
): Promise<Map<string, { source: IdentitySource; record: UserRecord }>> {
  const externalIds = users.flatMap((user) => (user.externalId ? [user.externalId] : []));
  const owners = new Map<string, { source: IdentitySource; record: UserRecord }>();
  for (const source of sources)
    for (const record of (await ledger.getUsers(source, externalIds)).values())
      if (record.scimId) owners.set(record.scimId, { source, record });
  return owners;
}

/** Of the Kiro groups a user is in, those this service manages: mapped in the ledger to that Kiro id. */
async function managedGroupsOf(
  kiroGroups: readonly ScimGroup[],
  sources: readonly IdentitySource[],
  ledger: GroupRecords & GroupSyncState & MembershipRecords & RunRecords & UserRecords,
): Promise<{ source: IdentitySource; group: GroupRecord; scimGroupId: string }[]> {
  const externalIds = kiroGroups.flatMap((group) => (group.externalId ? [group.externalId] : []));
  if (externalIds.length === 0) return [];
  const managed: { source: IdentitySource; group: GroupRecord; scimGroupId: string }[] = [];
  for (const source of sources) {
    const records = await ledger.getGroups(source, externalIds);
    for (const kiroGroup of kiroGroups) {
      const record = kiroGroup.externalId ? records.get(kiroGroup.externalId) : undefined;
      if (record?.scimId === kiroGroup.id) managed.push({ source, group: record, scimGroupId: kiroGroup.id });
    }
  }
  return managed;
}

/**
 * Sets the ledger's belief of whether Kiro holds the membership to what Kiro really holds, so the
 * group's next pass sends the difference: an extra member is removed, a missing one added back.
 */
async function believeApplied(
  ledger: GroupRecords & GroupSyncState & MembershipRecords & RunRecords & UserRecords,
  source: IdentitySource,
  groupId: string,
  userId: string,
  membership: MembershipRecord | undefined,
  version: string,
  applied: boolean,
): Promise<void> {
  if (!membership) await ledger.recordDesiredMembership(source, groupId, userId, false, version);
  await ledger.recordMembershipsApplied(source, groupId, [
    observedInKiro(membership ?? { userId, desired: false, desiredVersion: version }, applied),
  ]);
}

/** What Kiro holds against what the ledger says was pushed: the attributes Kiro returns, and `active`. */
function attributesDiffer(record: UserRecord, user: ScimUser): boolean {
  const wanted = record.profile;
  if (!wanted) return false;
  const same = (a: string | undefined, b: string | undefined) => (a ?? "") === (b ?? "");
  return !(
    same(wanted.userName, user.userName) &&
    same(wanted.displayName, user.displayName) &&
    same(wanted.givenName, user.givenName) &&
    same(wanted.familyName, user.familyName) &&
    same(wanted.email, user.email) &&
    (record.lifecycle === "active") === user.active
  );
}
