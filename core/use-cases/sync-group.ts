import { randomUUID } from "node:crypto";
import type { GroupScope } from "../domain/group-scope";
import type { IdentitySource } from "../domain/identity-source";
import { planMembershipChanges } from "../domain/membership-plan";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { KiroCallHistory } from "../ports/kiro-call-history";
import type { KiroScimPort } from "../ports/kiro-scim";
import type { GroupRecord, MembershipRecord } from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { RunRecords } from "../ports/run-records";
import type { UserRecords } from "../ports/user-records";
import { applyMembershipBatches } from "./group-sync/apply-membership-batches";
import { ensureGroup } from "./group-sync/ensure-group";
import { ensureUsers, type RemovalPolicy } from "./group-sync/ensure-users";
import { loadDesiredState } from "./group-sync/load-desired-state";
import { recordPassOutcome } from "./group-sync/record-outcome";
import { refreshFromIdp } from "./group-sync/refresh-from-idp";
import { settleLostPatch } from "./group-sync/settle-lost-patch";
import type { KiroCallTally } from "./kiro-call-tally";
import type { ProvisioningActivity } from "./provisioning-activity";
import { reportGroupToRun } from "./run-progress";

export interface SyncGroupDependencies {
  ledger: GroupRecords & GroupSyncState & KiroCallHistory & MembershipRecords & RunRecords & UserRecords;
  /** Wakes a run whose last queued group this pass settled. */
  bus: EventBus;
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
  /** Where each action is noted; written to the provisioning log after every pass. */
  activity?: ProvisioningActivity | undefined;
  /** How Kiro answered the SCIM client: recorded in one write when the lease is let go, passes that threw included. */
  kiroCalls?: KiroCallTally | undefined;
  now?: () => Date;
}

export interface GroupSyncResult {
  outcome: "synced" | "busy" | "missing" | "group-failed";
  /** The group's name as the pass read it, for the line that tells an operator what was done. */
  groupName?: string | undefined;
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
        result.groupName = current.name;
        const groupOk = await syncPass(current, deps, result, worker, keeper.lost);
        if (!groupOk) {
          result.outcome = "group-failed";
          await reportRefusal(group, deps);
          return result;
        }
        await recordPassOutcome(current, refreshed, deps.ledger);
        await deps.activity?.flush();
        /* The run asked before this pass began (the mark comes with its re-read request), so this
           pass did what it asked. */
        await reportGroupToRun({ ...current, queuedByRun: group.queuedByRun }, { state: "done" }, deps);
      }
    } finally {
      keeper.stop();
      /* Leaving a pass that threw: what it did before is still logged, and a failing log write
         must not hide the pass's own error, which decides the retry. */
      await deps.activity?.flush().catch(() => undefined);
      await deps.kiroCalls?.recordInto(deps.ledger);
      await deps.ledger.releaseGroupLease(input.source, input.groupId, worker);
    }
    const after = await deps.ledger.getGroup(input.source, input.groupId);
    if (!after || !hasWork(after)) break;
  }
  return result;
}

/**
 * Kiro refused the group itself: its waiting memberships can go nowhere until the group is fixed
 * in the IdP, so they fail with the group's reason, as a refused user's do (pending, they would
 * hold the oldest-pending alarm up for something no retry can fix).
 */
async function blockOnRefusedGroup(
  group: GroupRecord,
  memberships: readonly MembershipRecord[],
  ledger: GroupRecords & MembershipRecords,
): Promise<number> {
  const waiting = memberships
    .filter((membership) => membership.desired !== membership.applied)
    .map((membership) => membership.userId);
  if (waiting.length === 0) return 0;
  const refused = await ledger.getGroup(group.source, group.idpId);
  await ledger.recordMembershipsFailed(group.source, group.idpId, waiting, {
    reason: `Kiro refused the group: ${refused?.reason ?? refused?.errorCode ?? "see the group"}`,
    errorCode: "MEMBER.GROUP_REFUSED",
  });
  return waiting.length;
}

/** Kiro refused the group itself: the run that queued it hears why. */
async function reportRefusal(group: GroupRecord, deps: SyncGroupDependencies): Promise<void> {
  if (!group.queuedByRun) return;
  const refused = (await deps.ledger.getGroup(group.source, group.idpId)) ?? group;
  await reportGroupToRun(
    { ...refused, queuedByRun: group.queuedByRun },
    { state: "failed", reason: refused.reason, errorCode: refused.errorCode },
    deps,
  );
}

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
 * One pass over a group, as named steps: load what the ledger wants, make sure Kiro has the users
 * and the group, settle a PATCH whose answer was lost, then send the planned member changes.
 * False when Kiro refused the group itself (recorded on it).
 */
async function syncPass(
  group: GroupRecord,
  deps: SyncGroupDependencies,
  result: GroupSyncResult,
  worker: string,
  leaseLost: () => boolean,
): Promise<boolean> {
  const desired = await loadDesiredState(group, deps.ledger);
  let memberships = desired.memberships;
  const { kiroUserIds, userFailures } = await ensureUsers(desired.users.values(), deps, result, worker);
  const scimGroupId = await ensureGroup(group, deps);
  if (scimGroupId === undefined) {
    result.membershipsFailed += await blockOnRefusedGroup(group, memberships, deps.ledger);
    return false;
  }
  if (group.patchIntent && scimGroupId) {
    await settleLostPatch(group, scimGroupId, kiroUserIds, deps);
    memberships = await deps.ledger.listMemberships(group.source, group.idpId);
  }
  const plan = planMembershipChanges(memberships, kiroUserIds, userFailures, { groupDeleted: group.deleted });
  const outcome = await applyMembershipBatches(group, scimGroupId, plan, deps, leaseLost);
  result.membersAdded += outcome.added;
  result.membersRemoved += outcome.removed;
  result.membershipsFailed += outcome.failed;
  return true;
}
