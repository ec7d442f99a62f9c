import type { IdentitySource } from "../domain/identity-source";
import type { KiroUserProfile } from "../domain/kiro-user";

/** `quarantined`: the retry policy gave up; waits for `POST /admin/redrive`. */
export type SyncStatus = "pending" | "synced" | "failed" | "quarantined";
export type LedgerKind = "USER" | "GROUP" | "MEMBER";

/** Where one item stands on its way to Kiro. */
export interface ItemSyncState {
  status: SyncStatus;
  /** Why the last attempt failed, in words an operator can act on. */
  reason?: string | undefined;
  errorCode?: string | undefined;
  attempts: number;
  /** When the change still waiting for Kiro landed; absent once synced. */
  pendingSince?: string | undefined;
  lastAttemptAt?: string | undefined;
  syncedAt?: string | undefined;
  /** When a scheduled retry will deliver the item's event again; the sweep leaves it alone until then. */
  retryAt?: string | undefined;
  updatedAt?: string | undefined;
  /** Failed attempts since the item last synced or was redriven, oldest first. */
  attemptHistory?: AttemptRecord[] | undefined;
}

export interface AttemptRecord {
  attempt: number;
  at: string;
  errorCode: string;
  reason: string;
}

/** `deleted`: the IdP deleted the user; Kiro gets `active=false` or a DELETE, per the removal policy. */
export type UserLifecycle = "active" | "inactive" | "deleted";

export interface UserRecord extends ItemSyncState {
  source: IdentitySource;
  idpId: string;
  profile?: KiroUserProfile | undefined;
  profileVersion?: string | undefined;
  /** Set by IdP events that changed the profile; the worker re-reads it when newer than `profileVersion`. */
  profileRequestedVersion?: string | undefined;
  lifecycle: UserLifecycle;
  lifecycleVersion?: string | undefined;
  scimId?: string | undefined;
}

/** The versions a worker read before pushing a user, so a newer change is never marked synced. */
export interface UserSeenVersions {
  profileVersion: string | undefined;
  lifecycleVersion: string | undefined;
}

export interface GroupRecord extends ItemSyncState {
  source: IdentitySource;
  idpId: string;
  name?: string | undefined;
  nameVersion?: string | undefined;
  /** The displayName Kiro has; differs from `name` after a rename until the PATCH lands. */
  appliedName?: string | undefined;
  deleted: boolean;
  scimId?: string | undefined;
  /** Only groups we created may ever be deleted from Kiro. */
  createdByUs: boolean;
  /** Set when the IdP said "this group changed" without saying how: the worker re-reads it in full. */
  refreshRequestedVersion?: string | undefined;
  refreshedVersion?: string | undefined;
  refreshRunId?: string | undefined;
  /** Groups nested inside this one at its last full read: their notifications refresh this group. */
  nestedGroupCount: number;
  /** Bumped by every recorded change; the worker loops until it has synced this version. */
  dirtyVersion: number;
  syncedVersion: number;
  lastSyncedAt?: string | undefined;
  /** A member PATCH sent whose result was never recorded (the worker died, or the answer was lost). */
  patchIntent?: PatchIntent | undefined;
}

export interface MembershipRecord extends ItemSyncState {
  source: IdentitySource;
  groupId: string;
  userId: string;
  /** What the IdP wants, as of `desiredVersion`. */
  desired: boolean;
  desiredVersion: string;
  /** What Kiro accepted, as of `appliedAt`. */
  applied: boolean;
  appliedAt?: string | undefined;
}

export interface StatusEntry extends ItemSyncState {
  kind: LedgerKind;
  source: IdentitySource;
  /** `groupId` or `userId`, or `groupId/userId` for a membership. */
  id: string;
}

export type LeaseResult =
  | { acquired: true; dirtyVersion: number; syncedVersion: number }
  | { acquired: false; reason: "held"; expiresAt: string }
  | { acquired: false; reason: "missing" };

/** A member PATCH about to be sent: kept until its result is recorded, so a lost answer is checked. */
export interface PatchIntent {
  op: "add" | "remove";
  userIds: string[];
  at: string;
}

/**
 * The durable truth of what we want in Kiro and what Kiro has. Every write that carries an IdP
 * change takes its {@link changeVersion} and is ignored when a newer one is already recorded.
 * Methods answer whether they changed anything so callers publish events only for real changes.
 */
export interface Ledger {
  /** True the first time an event id is seen (within the dedupe window), false for a redelivery. */
  markEventProcessed(source: IdentitySource, eventId: string, ttlSeconds?: number): Promise<boolean>;
  hasProcessedEvent(source: IdentitySource, eventId: string): Promise<boolean>;

  recordUserProfile(
    source: IdentitySource,
    idpId: string,
    profile: KiroUserProfile,
    version: string,
  ): Promise<boolean>;
  /** Asks the worker to re-read the profile from the IdP when newer than the one it has. */
  requestUserProfile(
    source: IdentitySource,
    idpId: string,
    version: string,
    options: { onlyIfKnown: boolean; onlyIfNoProfile?: boolean },
  ): Promise<boolean>;
  /** Lifecycle changes only apply to users the ledger knows (members of in-scope groups). */
  recordUserLifecycle(
    source: IdentitySource,
    idpId: string,
    lifecycle: UserLifecycle,
    version: string,
  ): Promise<boolean>;
  getUser(source: IdentitySource, idpId: string): Promise<UserRecord | undefined>;
  getUsers(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, UserRecord>>;
  /** `scimId` undefined: the user is gone from Kiro on purpose (deleted per the removal policy). */
  recordUserSynced(
    source: IdentitySource,
    idpId: string,
    scimId: string | undefined,
    seen: UserSeenVersions,
  ): Promise<void>;
  recordUserFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void>;
  /**
   * Claims the right to create this user in Kiro for `ttlMs`, so groups syncing in parallel create
   * a shared member once instead of racing into 409s. False when another worker holds the claim.
   */
  claimUserCreation(source: IdentitySource, idpId: string, worker: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back early (the attempt failed), so waiting workers need not sit out its TTL. */
  releaseUserCreation(source: IdentitySource, idpId: string, worker: string): Promise<void>;

  recordGroupName(source: IdentitySource, idpId: string, name: string, version: string): Promise<boolean>;
  getGroup(source: IdentitySource, idpId: string): Promise<GroupRecord | undefined>;
  getGroups(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, GroupRecord>>;
  /** Groups of a source, up to `limit`, through the collection index. */
  listGroups(source: IdentitySource, limit: number): Promise<GroupRecord[]>;
  /** Only applies to groups the ledger knows. */
  recordGroupDeleted(source: IdentitySource, idpId: string, version: string): Promise<boolean>;
  /** Undoes a deletion older than `version` (a group back in the sync scope). */
  recordGroupRestored(source: IdentitySource, idpId: string, version: string): Promise<boolean>;
  recordGroupApplied(
    source: IdentitySource,
    idpId: string,
    applied: { scimId: string | undefined; createdByUs?: boolean; name?: string },
  ): Promise<void>;
  markGroupsDirty(source: IdentitySource, groupIds: readonly string[]): Promise<void>;
  /**
   * Asks the worker to re-read the group's members from the IdP (newer-wins on `version`). With a
   * `runId` the read belongs to a reconcile run, whose removals are counted together.
   */
  requestGroupRefresh(
    source: IdentitySource,
    groupId: string,
    version: string,
    runId?: string,
  ): Promise<boolean>;
  /**
   * A reconcile or re-provisioning run: how many users we manage, how many removals its reads have
   * proposed so far, and where its next chunk starts.
   */
  startRun(run: NewRun): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /**
   * Moves a run from the step a chunk started at to the next one, conditional on the run still
   * being at `from`: a redelivered chunk event finds the run moved on and does nothing twice.
   */
  advanceRun(runId: string, from: RunStep, advance: RunAdvance): Promise<boolean>;
  /** Newest first, for `/status`. */
  listRuns(limit: number): Promise<RunRecord[]>;
  /** Adds `count` proposed removals to the run and answers the run's new total and its managed users. */
  countRunRemovals(runId: string, count: number): Promise<{ total: number; managedUsers: number }>;
  /** Removals a run may not apply on its own: kept until approved or superseded by a newer read. */
  holdRemovals(held: HeldRemovals): Promise<void>;
  listHeldRemovals(): Promise<HeldRemovals[]>;
  /** Takes (and deletes) the held removals of a run, for approval. */
  takeHeldRemovals(runId: string): Promise<HeldRemovals[]>;
  recordGroupRefreshed(source: IdentitySource, groupId: string, seenVersion: string): Promise<void>;
  /** Which groups are nested (at any depth) inside a synced group, as of its last full read. */
  recordNestedGroups(source: IdentitySource, parentId: string, nestedIds: readonly string[]): Promise<void>;
  listParentGroups(source: IdentitySource, nestedId: string): Promise<string[]>;

  /** Which Kiro profile the stored SCIM ids belong to. */
  getKiroTarget(): Promise<KiroTargetRecord | undefined>;
  /**
   * Conditional on the record read before (its revision), so of several workers noticing a new
   * endpoint or token only one acts on it.
   */
  claimKiroTarget(target: KiroTargetRecord, previous: KiroTargetRecord | undefined): Promise<boolean>;
  /** One page of a source's user or group ids, in id order, resuming after `after`. */
  pageIds(
    source: IdentitySource,
    kind: "USER" | "GROUP",
    page: { after?: string | undefined; limit: number },
  ): Promise<{ ids: string[]; last: string | undefined }>;
  /** Forgets these users' Kiro ids and marks them pending, so the workers create them again. */
  invalidateUsers(source: IdentitySource, userIds: readonly string[]): Promise<number>;
  /**
   * Forgets these groups' Kiro ids and applied memberships and marks them dirty. Answers the groups
   * still wanted (to trigger) and how many memberships must be applied again.
   */
  invalidateGroups(
    source: IdentitySource,
    groupIds: readonly string[],
  ): Promise<{ groups: string[]; memberships: number }>;

  getSubscription(resource: string): Promise<SubscriptionRecord | undefined>;
  recordSubscription(record: SubscriptionRecord): Promise<void>;
  listSubscriptions(): Promise<SubscriptionRecord[]>;
  getDeltaLink(name: string): Promise<string | undefined>;
  recordDeltaLink(name: string, deltaLink: string | undefined): Promise<void>;
  recordGroupFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void>;
  /** A failed attempt whose event is scheduled again for `retryAt`. */
  recordGroupRetry(
    source: IdentitySource,
    idpId: string,
    attempt: AttemptRecord,
    retryAt: string,
  ): Promise<void>;
  /** The retry policy gave up: the group waits, with its attempt history, for an operator's redrive. */
  quarantineGroup(source: IdentitySource, idpId: string, attempt: AttemptRecord): Promise<void>;
  /** Back to pending with a clean attempt history; false when the group is not quarantined. */
  redriveGroup(source: IdentitySource, idpId: string): Promise<boolean>;

  /**
   * How a source fared when last read by a scheduled job (the Entra delta round, the local runtime's
   * start): kept in the table so `/status` in any function says it, and a degraded streak keeps its start.
   */
  recordSourceHealth(source: IdentitySource, failure: SyncFailure | undefined): Promise<void>;
  getSourceHealth(): Promise<Partial<Record<IdentitySource, SourceHealth>>>;
  /** Set while Kiro (or an IdP) refuses our credentials: the whole sync waits instead of retrying each item. */
  getSyncPause(): Promise<SyncPause | undefined>;
  pauseSync(pause: SyncPause): Promise<void>;
  /** Lets exactly one worker per interval try the credentials again: true for the one that may. */
  claimPauseProbe(now: string, nextProbeAt: string): Promise<boolean>;
  clearSyncPause(): Promise<void>;
  /** A run whose chunk failed past the retry policy: stopped, with the reason in `/status`. */
  failRun(runId: string, reason: string): Promise<void>;

  /** Sets the desired membership if `version` is newer, and marks the group dirty when it changed. */
  recordDesiredMembership(
    source: IdentitySource,
    groupId: string,
    userId: string,
    desired: boolean,
    version: string,
  ): Promise<boolean>;
  listMemberships(source: IdentitySource, groupId: string): Promise<MembershipRecord[]>;
  listGroupIdsOfUser(source: IdentitySource, userId: string): Promise<string[]>;
  /** Every membership record of one user (any state), for a deep audit's comparison with Kiro. */
  listMembershipsOfUser(source: IdentitySource, userId: string): Promise<MembershipRecord[]>;
  /**
   * Records what Kiro accepted. A membership whose desired state moved on since the worker read it
   * (`seenVersion`) keeps its pending status, so a concurrent change is never marked synced.
   */
  recordMembershipsApplied(
    source: IdentitySource,
    groupId: string,
    changes: readonly { userId: string; applied: boolean; seenVersion: string }[],
  ): Promise<void>;
  recordMembershipsFailed(
    source: IdentitySource,
    groupId: string,
    userIds: readonly string[],
    failure: SyncFailure,
  ): Promise<void>;

  /** Conditional write: one holder per group until `ttlMs` passes, so a dead worker never blocks forever. */
  acquireGroupLease(
    source: IdentitySource,
    groupId: string,
    owner: string,
    ttlMs: number,
  ): Promise<LeaseResult>;
  releaseGroupLease(source: IdentitySource, groupId: string, owner: string): Promise<void>;
  /** Write-ahead for a member PATCH; `undefined` clears it once the result is recorded. */
  recordPatchIntent(source: IdentitySource, groupId: string, intent: PatchIntent | undefined): Promise<void>;
  /** Marks `version` synced; the group stays dirty if a newer change arrived meanwhile. */
  recordGroupSynced(source: IdentitySource, groupId: string, version: number): Promise<void>;

  /** Oldest first, by when the change landed (pending/failed) or was synced. */
  listByStatus(
    source: IdentitySource,
    kind: LedgerKind,
    status: SyncStatus,
    limit: number,
  ): Promise<StatusEntry[]>;
  countByStatus(source: IdentitySource, kind: LedgerKind, status: SyncStatus): Promise<number>;

  /**
   * The ids among these already processed (within the dedupe window), read at once: a hook
   * delivery must cost a bounded number of round trips, not one per event.
   */
  hasProcessedEvents(source: IdentitySource, eventIds: readonly string[]): Promise<Set<string>>;
  /**
   * Records many events' changes with the semantics of the one-at-a-time writes (newer wins per
   * item, in any arrival order; a refused change never holds back the others), then marks every
   * event processed, so a crash before the marks leaves the whole batch to the redelivery.
   */
  recordEventChanges(
    source: IdentitySource,
    events: readonly EventChanges[],
    ttlSeconds?: number,
  ): Promise<void>;
}

/** What one IdP event changes, for {@link Ledger.recordEventChanges}; an event with no change is only marked processed. */
export interface EventChanges {
  eventId: string;
  /** As {@link Ledger.recordDesiredMembership}. */
  membership?: { groupId: string; userId: string; desired: boolean; version: string } | undefined;
  /** As {@link Ledger.recordGroupName}. */
  groupName?: { groupId: string; name: string; version: string } | undefined;
  /** As {@link Ledger.requestUserProfile} with `onlyIfKnown: false, onlyIfNoProfile: true`. */
  profileRequest?: { userId: string; version: string } | undefined;
}

/** A configured identity source as the service last met it; a degraded one does not stop the other. */
export interface SourceHealth {
  state: "ok" | "degraded";
  /** When the current streak of failures began. */
  since?: string | undefined;
  code?: string | undefined;
  reason?: string | undefined;
  checkedAt: string;
}

export interface SyncPause {
  reason: string;
  errorCode: string;
  since: string;
  /** When a worker may next try the credentials. */
  probeAt: string;
}

export interface SyncFailure {
  reason: string;
  errorCode: string;
}

/** A Graph change-notification subscription we own, one per resource (`groups`, `users`). */
export interface SubscriptionRecord {
  resource: string;
  subscriptionId: string;
  expiresAt: string;
  /** The last renewal failure, cleared by the next success. */
  renewalError?: string | undefined;
  renewalFailedAt?: string | undefined;
}

export type RunKind = "reconcile" | "reprovision";
export type RunPhase = "discover" | "groups" | "users" | "audit-groups" | "audit-users";

/** Where a run's next chunk starts. */
export interface RunStep {
  phase: RunPhase;
  source?: IdentitySource | undefined;
  /** Last id handled (ledger pages) or the SCIM page cursor (audit pages). */
  cursor?: string | undefined;
}

export interface NewRun {
  runId: string;
  kind: RunKind;
  reason: string;
  startedAt: string;
  managedUsers: number;
  /** Users, groups or memberships the run expects to handle, for progress and ETA. */
  total: number;
  step: RunStep;
  /** A deep audit: the Kiro walk also reads each user's groups and repairs drift. */
  deep?: boolean | undefined;
}

/** What a deep audit found Kiro holding against the desired state, and repaired. */
export interface DriftReport {
  /** Managed users whose attributes or `active` differed. */
  users: number;
  /** Memberships the ledger believed applied that Kiro did not have. */
  missingMemberships: number;
  /** Managed users in managed groups they should not be in. */
  extraMemberships: number;
  /** Users this service does not manage, taken out of groups it manages (the users are left alone). */
  strangersRemoved: number;
  examples: string[];
}

export interface UnmanagedReport {
  users: number;
  groups: number;
  /** A few of them, `kind:displayName (id)`, so an operator can find them in Kiro. */
  examples: string[];
}

export interface RunRecord extends Omit<NewRun, "step"> {
  /** Undefined once the run finished. */
  step: RunStep | undefined;
  removals: number;
  chunks: number;
  itemsDone: number;
  finishedAt?: string | undefined;
  error?: string | undefined;
  /** When the run last moved: a run that stopped moving is picked up again by the sweep. */
  updatedAt: string;
  unmanaged?: UnmanagedReport | undefined;
  drift?: DriftReport | undefined;
  /** Sources whose phases this run skipped, and why (an IdP down or refusing us). */
  skipped?: string[] | undefined;
}

export interface RunAdvance {
  /** Undefined: the run is finished. */
  next: RunStep | undefined;
  itemsDone: number;
  unmanaged?: UnmanagedReport | undefined;
  drift?: DriftReport | undefined;
  /** A source whose remaining phases this chunk skipped, and why. */
  skipped?: string | undefined;
}

export interface KiroTargetRecord {
  /** Hash of the SCIM base URL: a different URL is a different (recreated) Kiro profile. */
  fingerprint: string;
  url: string;
  since: string;
  /**
   * Hash of the SCIM token. Rotation is routine, but a new token is also what an emptied profile
   * behind the same URL comes with, so a change is checked at once with a sample of mapped ids.
   */
  credential?: string | undefined;
  /** Bumped by every claim; a claim is conditional on the revision it read. */
  revision?: number | undefined;
  /** The re-provisioning run in progress or last finished; its progress lives on the run. */
  reprovisionRunId?: string | undefined;
}

export interface HeldRemovals {
  runId: string;
  source: IdentitySource;
  groupId: string;
  userIds: string[];
  reason: string;
  heldAt: string;
}
