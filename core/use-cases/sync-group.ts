import { randomUUID } from "node:crypto";
import { forEachLimited } from "../domain/concurrency";
import { InvalidProfileError, ScimError, SyncError } from "../domain/errors";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion, type IdentitySource } from "../domain/identity-source";
import { kiroLimits } from "../domain/kiro-user";
import { type MemberChange, planMembershipChanges } from "../domain/membership-plan";
import { refusedUserRetryAt } from "../domain/retry-policy";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { KiroScimPort } from "../ports/kiro-scim";
import type { GroupRecord, SyncFailure, UserRecord } from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { RunRecords } from "../ports/run-records";
import type { UserRecords } from "../ports/user-records";
import { createOrAdoptGroup, createOrAdoptUser } from "./adopt-or-create";

/** What happens in Kiro to a user the IdP deactivated, suspended or deleted. */
export type RemovalPolicy = "deactivate" | "delete";

export interface SyncGroupDependencies {
  ledger: GroupRecords & GroupSyncState & MembershipRecords & RunRecords & UserRecords;
  scim: KiroScimPort;
  directory: IdentityDirectory;
  removalPolicy: RemovalPolicy;
  workerId?: string;
  /**
   * How long a lease outlives a holder that stops renewing it (a crashed or timed-out worker); the
   * live holder renews it every third of that. Default 30 s.
   */
  leaseTtlMs?: number;
  /** Time left before the function is stopped (Lambda's remaining time): a lease never outlasts it. */
  remainingMs?: () => number;
  /** Passes per lease while the group keeps changing; the rest waits for the next trigger. */
  maxPasses?: number;
  /** Share of managed users one reconcile run may remove before its removals wait for approval. */
  removalHoldShare?: number;
  /** SYNC_GROUPS: a group re-read outside it is removed from Kiro. */
  scope?: GroupScope;
  now?: () => Date;
}

/** What pushing one user to Kiro takes. */
export type UserPushDependencies = Pick<
  SyncGroupDependencies,
  "ledger" | "scim" | "directory" | "removalPolicy" | "now"
>;

export interface GroupSyncResult {
  outcome: "synced" | "busy" | "missing" | "group-failed";
  /** Busy: when the holder's lease ends, for a re-check in case the holder died. */
  recheckAt?: string | undefined;
  passes: number;
  usersPushed: number;
  usersFailed: number;
  membersAdded: number;
  membersRemoved: number;
  membershipsFailed: number;
}

/**
 * Brings one group in Kiro up to the ledger's desired state under a lease, so two workers never
 * PATCH the same group at once. Loops while changes keep landing, and checks once more after
 * releasing the lease, so a change recorded while the holder was finishing is not stranded.
 * Retryable failures (throttling, outages, auth) are thrown for the retry machinery; failures of
 * one user or one membership are recorded on that item and the rest of the group goes on.
 */
export async function syncGroup(
  input: { source: IdentitySource; groupId: string },
  deps: SyncGroupDependencies,
): Promise<GroupSyncResult> {
  const worker = deps.workerId ?? randomUUID();
  const result = emptyResult();
  const maxPasses = deps.maxPasses ?? 10;
  while (result.passes < maxPasses) {
    const lease = await deps.ledger.acquireGroupLease(input.source, input.groupId, worker, leaseTtl(deps));
    if (!lease.acquired) {
      if (result.passes > 0) return result;
      return lease.reason === "held"
        ? { ...result, outcome: "busy", recheckAt: lease.expiresAt }
        : { ...result, outcome: "missing" };
    }
    const keeper = keepLease(input, worker, deps);
    try {
      for (;;) {
        const group = await deps.ledger.getGroup(input.source, input.groupId);
        if (!group || !hasWork(group) || result.passes >= maxPasses || keeper.lost()) break;
        result.passes += 1;
        const refreshed = needsRefresh(group)
          ? await refreshFromIdp(group, deps)
          : { group, incomplete: undefined, held: undefined };
        const current = refreshed.group;
        const groupOk = await syncPass(current, deps, result, worker, keeper.lost);
        if (!groupOk) {
          result.outcome = "group-failed";
          return result;
        }
        await deps.ledger.recordGroupSynced(input.source, input.groupId, current.dirtyVersion);
        if (refreshed.held) {
          await deps.ledger.recordGroupFailed(input.source, input.groupId, {
            reason: refreshed.held,
            errorCode: "REMOVALS.HELD",
          });
        }
        if (refreshed.incomplete) {
          const failure = {
            reason: `IdP read incomplete, removals held: ${refreshed.incomplete}`,
            errorCode: "IDP.INCOMPLETE",
          };
          await deps.ledger.recordGroupFailed(input.source, input.groupId, failure);
          throw new SyncError(failure.errorCode, failure.reason, { retryable: true });
        }
      }
    } finally {
      keeper.stop();
      await deps.ledger.releaseGroupLease(input.source, input.groupId, worker);
    }
    const after = await deps.ledger.getGroup(input.source, input.groupId);
    if (!after || !hasWork(after)) break;
  }
  return result;
}

/**
 * How long one worker may create a user before another may try: a creation is two or three SCIM
 * calls, and one started twice after a slow first attempt meets Kiro's 409 and adopts, so a crashed
 * creator blocks its user's groups for seconds, not a minute.
 */
const creationClaimTtlMs = 15_000;

/** A dead holder's group is free again this soon; the live holder renews every 10 s. */
const defaultLeaseTtlMs = 30_000;

/** The lease asked for: 30 s by default, never past the function's own end. */
function leaseTtl(deps: SyncGroupDependencies): number {
  const ttl = deps.leaseTtlMs ?? defaultLeaseTtlMs;
  return Math.max(1_000, Math.min(ttl, deps.remainingMs?.() ?? ttl));
}

/**
 * Renews the lease every third of its TTL while the holder works, so a short TTL frees the group
 * within 30 s of a crash without ever expiring under a live holder. A renewal that finds the
 * lease taken (this worker was frozen past its TTL) makes `lost()` true: the holder stops sending.
 */
function keepLease(
  input: { source: IdentitySource; groupId: string },
  worker: string,
  deps: SyncGroupDependencies,
): { lost: () => boolean; stop: () => void } {
  let lost = false;
  const timer = setInterval(
    () => {
      deps.ledger.acquireGroupLease(input.source, input.groupId, worker, leaseTtl(deps)).then(
        (renewal) => {
          if (!renewal.acquired) lost = true;
        },
        () => undefined,
      );
    },
    (deps.leaseTtlMs ?? defaultLeaseTtlMs) / 3,
  );
  timer.unref?.();
  return { lost: () => lost, stop: () => clearInterval(timer) };
}

function emptyResult(): GroupSyncResult {
  return {
    outcome: "synced",
    passes: 0,
    usersPushed: 0,
    usersFailed: 0,
    membersAdded: 0,
    membersRemoved: 0,
    membershipsFailed: 0,
  };
}

function hasWork(group: GroupRecord): boolean {
  return group.dirtyVersion > group.syncedVersion || needsRefresh(group);
}

function needsRefresh(group: GroupRecord): boolean {
  return (
    group.refreshRequestedVersion !== undefined &&
    (group.refreshedVersion ?? "") < group.refreshRequestedVersion
  );
}

/**
 * Re-reads the group in full from the IdP (users through nested groups included, so Kiro, which
 * has no nested groups, gets the flattened list) and records the difference as desired state with
 * the read's own version. Removals come only from a complete read: when a later page failed, the
 * members read so far are added, nothing is removed, and the group stays marked for a re-read.
 */
async function refreshFromIdp(
  group: GroupRecord,
  deps: SyncGroupDependencies,
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
  deps: SyncGroupDependencies,
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
  deps: SyncGroupDependencies,
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

async function syncPass(
  group: GroupRecord,
  deps: SyncGroupDependencies,
  result: GroupSyncResult,
  worker: string,
  leaseLost: () => boolean,
): Promise<boolean> {
  const { ledger } = deps;
  const source = group.source;
  let memberships = await ledger.listMemberships(source, group.idpId);
  const users = await ledger.getUsers(
    source,
    memberships
      .filter((membership) => membership.desired || membership.applied)
      .map((membership) => membership.userId),
  );

  const kiroUserIds = new Map<string, string>();
  const userFailures = new Map<string, SyncFailure>();
  const now = (deps.now ?? (() => new Date()))().toISOString();
  await forEachLimited([...users.values()], 8, async (user) => {
    const waiting = refusalWait(user, now);
    if (waiting) {
      if (user.scimId) kiroUserIds.set(user.idpId, user.scimId);
      else userFailures.set(user.idpId, waiting);
      return;
    }
    try {
      const scimId = await syncUser(user, deps, result, worker);
      if (scimId) kiroUserIds.set(user.idpId, scimId);
    } catch (error) {
      if (!user.scimId) await ledger.releaseUserCreation(source, user.idpId, worker);
      const failure = itemFailure(error);
      if (!failure) throw error;
      userFailures.set(user.idpId, failure);
      result.usersFailed += 1;
      await ledger.recordUserFailed(source, user.idpId, failure);
    }
  });

  const scimGroupId = await ensureGroup(group, deps);
  if (scimGroupId === undefined) return false;
  if (group.patchIntent && scimGroupId) {
    await settleLostPatch(group, scimGroupId, kiroUserIds, deps);
    memberships = await ledger.listMemberships(source, group.idpId);
  }

  const plan = planMembershipChanges(memberships, kiroUserIds, userFailures, { groupDeleted: group.deleted });
  if (plan.settled.length > 0) await ledger.recordMembershipsApplied(source, group.idpId, plan.settled);
  for (const blocked of plan.blocked) {
    await ledger.recordMembershipsFailed(source, group.idpId, [blocked.userId], blocked);
  }
  result.membershipsFailed += plan.blocked.length;
  if (group.deleted && group.createdByUs && group.scimId) {
    await deps.scim.deleteGroup(group.scimId);
    await ledger.recordGroupApplied(source, group.idpId, { scimId: undefined });
    await ledger.recordMembershipsApplied(
      source,
      group.idpId,
      [...plan.adds, ...plan.removes].map(asRemoved),
    );
    result.membersRemoved += plan.removes.length;
    return true;
  }
  result.membersAdded += await applyChanges(group, scimGroupId, "add", plan.adds, deps, leaseLost);
  result.membersRemoved += await applyChanges(group, scimGroupId, "remove", plan.removes, deps, leaseLost);
  return true;
}

/**
 * A member PATCH was sent but its result never recorded: the worker died, timed out or lost the
 * answer, so Kiro may or may not have applied it, and diffing against the ledger's belief would
 * leave a member Kiro gained (or lost) that way wrong for good. Each user of that PATCH is looked
 * up in Kiro (one member-filter read) and the ledger records what Kiro really holds before planning.
 * Every answered read is kept even when others fail, and the intent shrinks to the users still
 * unread: under heavy throttling a settle of 100 users that had to succeed whole never finished.
 */
async function settleLostPatch(
  group: GroupRecord,
  scimGroupId: string,
  kiroUserIds: Map<string, string>,
  deps: SyncGroupDependencies,
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
      if (applied !== membership.applied)
        observed.push({ userId, applied, seenVersion: membership.desiredVersion });
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

/**
 * A failed user (only refusals are recorded on a user: invalid or conflicting attributes, no
 * profile in the IdP; passing faults retry the whole group) waits out its own back-off (see
 * `refusedUserPolicy`) instead of being sent again on every pass of every group it is in; a new
 * profile from the IdP makes it pending and ends the wait. Meanwhile a user Kiro already has keeps its memberships moving; one it does not have
 * blocks them with the refusal's reason.
 */
function refusalWait(user: UserRecord, now: string): SyncFailure | undefined {
  if (user.status !== "failed" || !user.lastAttemptAt) return undefined;
  const retryAt = refusedUserRetryAt(user.lastAttemptAt, user.attempts);
  if (retryAt <= now) return undefined;
  return {
    reason: `${user.reason ?? "refused"} (sent again after ${retryAt}, or at once on a profile change)`,
    errorCode: user.errorCode ?? "USER.FAILED",
  };
}

const asRemoved = (change: MemberChange) => ({
  userId: change.userId,
  applied: false,
  seenVersion: change.seenVersion,
});

/**
 * Pushes one user: reads the IdP profile when the ledger's is missing or older than the last
 * profile event, then creates/adopts or replaces the Kiro user. Returns the Kiro id, or undefined
 * when the removal policy deleted the user.
 */
async function syncUser(
  user: UserRecord,
  deps: UserPushDependencies,
  result: GroupSyncResult,
  worker: string,
): Promise<string | undefined> {
  if (user.status === "synced" && user.scimId) return user.scimId;
  let latest = user;
  if (!user.scimId) {
    if (!(await deps.ledger.claimUserCreation(user.source, user.idpId, worker, creationClaimTtlMs)))
      return waitForCreation(user, deps);
    latest = (await deps.ledger.getUser(user.source, user.idpId)) ?? user;
    if (latest.status === "synced" && latest.scimId) return latest.scimId;
  }
  const current = await refreshFromDirectory(latest, deps);
  const { ledger, scim } = deps;
  const seen = { profileVersion: current.profileVersion, lifecycleVersion: current.lifecycleVersion };
  if (current.lifecycle === "deleted" && deps.removalPolicy === "delete") {
    if (current.scimId) await scim.deleteUser(current.scimId);
    await ledger.recordUserSynced(current.source, current.idpId, undefined, seen);
    result.usersPushed += 1;
    return undefined;
  }
  if (!current.profile) {
    throw new SyncError("USER.NOT_IN_IDP", "the IdP has no profile for this user", { retryable: false });
  }
  const profile = { ...current.profile, active: current.lifecycle === "active" };
  let scimId = current.scimId;
  if (scimId) {
    const replaced = await scim.replaceUser(scimId, profile).catch((error: unknown) => {
      if (error instanceof ScimError && error.kind === "not-found") return undefined;
      throw error;
    });
    scimId = replaced?.id;
  }
  if (!scimId) {
    const ensured = await createOrAdoptUser(scim, profile);
    scimId = ensured.resource.id;
    if (ensured.outcome === "adopted") await scim.replaceUser(scimId, profile);
  }
  await ledger.recordUserSynced(current.source, current.idpId, scimId, seen);
  result.usersPushed += 1;
  return scimId;
}

/**
 * Pushes users outside any group pass, for a re-read that found them changed: a user deleted or
 * disabled in the IdP may be in no group any more, so no group pass would carry its deactivation.
 * Only users Kiro already has and whose change is not yet applied (creating a user is a group pass's
 * job, under its claim). `evenIfSynced`: a deep audit found Kiro holding something else than what
 * the ledger says was applied. A user Kiro refuses is marked failed and the others go on.
 */
export async function pushChangedUsers(
  source: IdentitySource,
  userIds: readonly string[],
  deps: UserPushDependencies,
  options: { evenIfSynced?: boolean } = {},
): Promise<{ pushed: number; failed: number }> {
  const result = emptyResult();
  const users = await deps.ledger.getUsers(source, userIds);
  const waiting = [...users.values()].filter(
    (user) => user.scimId && (options.evenIfSynced || user.status !== "synced"),
  );
  await forEachLimited(waiting, 8, async (user) => {
    try {
      await syncUser({ ...user, status: "pending" }, deps, result, `push-${randomUUID()}`);
    } catch (error) {
      const failure = itemFailure(error);
      if (!failure) throw error;
      result.usersFailed += 1;
      await deps.ledger.recordUserFailed(source, user.idpId, failure);
    }
  });
  return { pushed: result.usersPushed, failed: result.usersFailed };
}

/** Another worker is creating this user: use its Kiro id once recorded instead of racing it. */
async function waitForCreation(user: UserRecord, deps: UserPushDependencies): Promise<string | undefined> {
  for (let poll = 0; poll < 50; poll++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = await deps.ledger.getUser(user.source, user.idpId);
    if (now?.scimId) return now.scimId;
    if (now?.status === "failed") {
      throw new SyncError(now.errorCode ?? "USER.FAILED", now.reason ?? "the user could not be created", {
        retryable: false,
      });
    }
  }
  throw new SyncError("USER.BEING_CREATED", "another worker is still creating this user", {
    retryable: true,
  });
}

async function refreshFromDirectory(user: UserRecord, deps: UserPushDependencies): Promise<UserRecord> {
  const stale =
    !user.profile ||
    (user.profileRequestedVersion !== undefined &&
      (user.profileVersion === undefined || user.profileRequestedVersion > user.profileVersion));
  if (!stale) return user;
  const readVersion = changeVersion((deps.now ?? (() => new Date()))(), `read-${randomUUID()}`);
  const fromIdp = await deps.directory.getUser(user.idpId);
  if (fromIdp) {
    await deps.ledger.recordUserProfile(user.source, user.idpId, fromIdp.profile, readVersion);
    await deps.ledger.recordUserLifecycle(
      user.source,
      user.idpId,
      fromIdp.active ? "active" : "inactive",
      readVersion,
    );
  } else {
    await deps.ledger.recordUserLifecycle(user.source, user.idpId, "deleted", readVersion);
  }
  return (await deps.ledger.getUser(user.source, user.idpId)) ?? user;
}

/** Creates or adopts the Kiro group, or renames it with a PATCH; never deletes and recreates. */
async function ensureGroup(group: GroupRecord, deps: SyncGroupDependencies): Promise<string | undefined> {
  const name = group.name ?? group.idpId;
  try {
    if (group.scimId && (group.deleted || group.appliedName === name)) return group.scimId;
    if (group.scimId) {
      const renamed = await deps.scim.updateGroup(group.scimId, { displayName: name }).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ScimError && error.kind === "not-found") return false;
          throw error;
        },
      );
      if (renamed) {
        await deps.ledger.recordGroupApplied(group.source, group.idpId, { scimId: group.scimId, name });
        return group.scimId;
      }
    }
    if (group.deleted) return "";
    const ensured = await createOrAdoptGroup(deps.scim, { displayName: name, externalId: group.idpId });
    await deps.ledger.recordGroupApplied(group.source, group.idpId, {
      scimId: ensured.resource.id,
      createdByUs: ensured.outcome === "created",
      name,
    });
    return ensured.resource.id;
  } catch (error) {
    const failure = itemFailure(error);
    if (!failure) throw error;
    await deps.ledger.recordGroupFailed(group.source, group.idpId, failure);
    return undefined;
  }
}

/**
 * Sends member changes in PATCHes of at most 100. A chunk Kiro refuses as invalid is split in
 * halves until the one bad member is found, so one rejected user never blocks the other 99. Each
 * PATCH is written ahead as the group's intent and cleared once every result is recorded, so a
 * crash or a lost answer in between is settled against Kiro by the next pass (settleLostPatch).
 */
async function applyChanges(
  group: GroupRecord,
  scimGroupId: string,
  op: "add" | "remove",
  changes: MemberChange[],
  deps: SyncGroupDependencies,
  leaseLost: () => boolean,
): Promise<number> {
  let applied = 0;
  const send = async (chunk: MemberChange[]): Promise<void> => {
    if (leaseLost())
      throw new SyncError("LEASE.LOST", "another worker took over this group", { retryable: true });
    const ids = chunk.map((change) => change.scimUserId);
    await deps.ledger.recordPatchIntent(group.source, group.idpId, {
      op,
      userIds: chunk.map((change) => change.userId),
      at: new Date().toISOString(),
    });
    try {
      if (op === "add") await deps.scim.addMembers(scimGroupId, ids);
      else await deps.scim.removeMembers(scimGroupId, ids);
    } catch (error) {
      if (error instanceof ScimError && refusedOutright.has(error.kind))
        await deps.ledger.recordPatchIntent(group.source, group.idpId, undefined);
      if (!(error instanceof ScimError && error.kind === "invalid")) throw error;
      if (chunk.length > 1) {
        const middle = Math.ceil(chunk.length / 2);
        await send(chunk.slice(0, middle));
        await send(chunk.slice(middle));
        return;
      }
      await deps.ledger.recordMembershipsFailed(group.source, group.idpId, [chunk[0]!.userId], {
        reason: `Kiro refused the ${op}: ${error.detail}`,
        errorCode: error.code,
      });
      return;
    }
    await deps.ledger.recordMembershipsApplied(
      group.source,
      group.idpId,
      chunk.map((change) => ({
        userId: change.userId,
        applied: op === "add",
        seenVersion: change.seenVersion,
      })),
    );
    applied += chunk.length;
  };
  for (let start = 0; start < changes.length; start += kiroLimits.maxMemberChangesPerPatch) {
    await send(changes.slice(start, start + kiroLimits.maxMemberChangesPerPatch));
  }
  if (changes.length > 0) await deps.ledger.recordPatchIntent(group.source, group.idpId, undefined);
  return applied;
}

/**
 * Answers that say Kiro did not apply the request: nothing to verify afterwards. A 5xx, a timeout,
 * a dropped connection or a malformed 2xx leave it unknown, so the intent stays for the next pass.
 */
const refusedOutright: ReadonlySet<ScimError["kind"]> = new Set([
  "throttled",
  "invalid",
  "conflict",
  "auth",
  "not-found",
]);

/** The failure to record on one item, or undefined when the error must stop the whole sync. */
function itemFailure(error: unknown): SyncFailure | undefined {
  if (error instanceof InvalidProfileError)
    return { reason: error.reasons.join("; "), errorCode: error.code };
  if (error instanceof ScimError && (error.kind === "invalid" || error.kind === "conflict")) {
    return { reason: error.detail, errorCode: error.code };
  }
  if (error instanceof SyncError && !error.retryable && !error.code.endsWith(".AUTH")) {
    return { reason: error.message, errorCode: error.code };
  }
  return undefined;
}
