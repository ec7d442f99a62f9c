import { randomUUID } from "node:crypto";
import { forEachLimited } from "../../domain/concurrency";
import { ScimError, SyncError } from "../../domain/errors";
import { changeVersion, type IdentitySource } from "../../domain/identity-source";
import { refusedUserRetryAt } from "../../domain/retry-policy";
import type { IdentityDirectory } from "../../ports/identity-directory";
import type { KiroScimPort } from "../../ports/kiro-scim";
import type { SyncFailure, UserRecord } from "../../ports/ledger-records";
import type { UserRecords } from "../../ports/user-records";
import { createOrAdoptUser } from "../adopt-or-create";
import { type ProvisioningActivity, profileChanges } from "../provisioning-activity";
import { itemFailure } from "./item-failure";

/** What happens in Kiro to a user the IdP deactivated, suspended or deleted. */
export type RemovalPolicy = "deactivate" | "delete";

/** What pushing one user to Kiro takes. */
export interface UserPushDependencies {
  ledger: UserRecords;
  scim: KiroScimPort;
  directory: IdentityDirectory;
  removalPolicy: RemovalPolicy;
  /** Where each push and refusal is noted for the provisioning log. */
  activity?: ProvisioningActivity | undefined;
  now?: () => Date;
}

/** Users pushed and refused, added to by each push. */
export interface UserPushCounts {
  usersPushed: number;
  usersFailed: number;
}

/** What the group's members are in Kiro after the step: their Kiro ids, or why they are not there. */
export interface EnsuredUsers {
  kiroUserIds: Map<string, string>;
  userFailures: Map<string, SyncFailure>;
}

/**
 * How long one worker may create a user before another may try: a creation is two or three SCIM
 * calls, and one started twice after a slow first attempt meets Kiro's 409 and adopts, so a crashed
 * creator blocks its user's groups for seconds, not a minute.
 */
const creationClaimTtlMs = 15_000;

/**
 * Step 2 of a group pass: every member Kiro must know exists there with the IdP's current profile
 * (created, adopted or replaced), 8 at a time. A user Kiro refuses is recorded failed and blocks
 * only its own memberships; a passing fault (throttling, an outage) stops the pass for a retry.
 */
export async function ensureUsers(
  users: Iterable<UserRecord>,
  deps: UserPushDependencies,
  counts: UserPushCounts,
  worker: string,
): Promise<EnsuredUsers> {
  const kiroUserIds = new Map<string, string>();
  const userFailures = new Map<string, SyncFailure>();
  const now = (deps.now ?? (() => new Date()))().toISOString();
  await forEachLimited([...users], 8, async (user) => {
    const waiting = refusalWait(user, now);
    if (waiting) {
      if (user.scimId) kiroUserIds.set(user.idpId, user.scimId);
      else userFailures.set(user.idpId, waiting);
      return;
    }
    const started = Date.now();
    try {
      const scimId = await syncUser(user, deps, counts, worker);
      if (scimId) kiroUserIds.set(user.idpId, scimId);
    } catch (error) {
      if (!user.scimId) await deps.ledger.releaseUserCreation(user.source, user.idpId, worker);
      const failure = itemFailure(error);
      if (!failure) throw error;
      userFailures.set(user.idpId, failure);
      counts.usersFailed += 1;
      await deps.ledger.recordUserFailed(user.source, user.idpId, failure);
      noteUserFailure(user, failure, Date.now() - started, deps.activity);
    }
  });
  return { kiroUserIds, userFailures };
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

/**
 * Pushes one user: reads the IdP profile when the ledger's is missing or older than the last
 * profile event, then creates/adopts or replaces the Kiro user. Returns the Kiro id, or undefined
 * when the removal policy deleted the user.
 */
async function syncUser(
  user: UserRecord,
  deps: UserPushDependencies,
  counts: UserPushCounts,
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
  const started = Date.now();
  const note = (
    action: "create" | "adopt" | "update" | "deactivate" | "delete",
    kiroId: string | undefined,
    changes?: ReturnType<typeof profileChanges>,
  ) =>
    deps.activity?.note({
      source: current.source,
      kind: "USER",
      objectId: current.idpId,
      name: current.profile?.userName,
      kiroId,
      action,
      result: "success",
      changes: changes && changes.length > 0 ? changes : undefined,
      durationMs: Date.now() - started,
    });
  if (current.lifecycle === "deleted" && deps.removalPolicy === "delete") {
    if (current.scimId) await scim.deleteUser(current.scimId);
    note("delete", current.scimId);
    await ledger.recordUserSynced(current.source, current.idpId, undefined, seen);
    counts.usersPushed += 1;
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
    if (scimId)
      note(profile.active ? "update" : "deactivate", scimId, profileChanges(latest.profile, profile));
  }
  if (!scimId) {
    const ensured = await createOrAdoptUser(scim, profile);
    scimId = ensured.resource.id;
    if (ensured.outcome === "adopted") await scim.replaceUser(scimId, profile);
    note(ensured.outcome === "adopted" ? "adopt" : "create", scimId);
  }
  await ledger.recordUserSynced(current.source, current.idpId, scimId, seen);
  counts.usersPushed += 1;
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
  const counts: UserPushCounts = { usersPushed: 0, usersFailed: 0 };
  const users = await deps.ledger.getUsers(source, userIds);
  const waiting = [...users.values()].filter(
    (user) => user.scimId && (options.evenIfSynced || user.status !== "synced"),
  );
  await forEachLimited(waiting, 8, async (user) => {
    try {
      await syncUser({ ...user, status: "pending" }, deps, counts, `push-${randomUUID()}`);
    } catch (error) {
      const failure = itemFailure(error);
      if (!failure) throw error;
      counts.usersFailed += 1;
      await deps.ledger.recordUserFailed(source, user.idpId, failure);
    }
  });
  return { pushed: counts.usersPushed, failed: counts.usersFailed };
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

function noteUserFailure(
  user: UserRecord,
  failure: SyncFailure,
  durationMs: number,
  activity: ProvisioningActivity | undefined,
): void {
  activity?.note({
    source: user.source,
    kind: "USER",
    objectId: user.idpId,
    name: user.profile?.userName,
    kiroId: user.scimId,
    action: "failure",
    result: "failure",
    errorCode: failure.errorCode,
    message: failure.reason,
    durationMs,
  });
}
