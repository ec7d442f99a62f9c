import type { ScopeMismatch } from "../domain/group-scope";
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

/**
 * A login, email or group name longer than this (UTF-8 bytes) is not found by name: it would make
 * a lookup key DynamoDB refuses (2 KB), and no IdP allows one that long (Okta: 100 characters).
 */
export const lookupNameMaxBytes = 1024;

/** `deleted`: the IdP deleted the user; Kiro gets `active=false` or a DELETE, per the removal policy. */
export type UserLifecycle = "active" | "inactive" | "deleted";

export interface UserRecord extends ItemSyncState {
  source: IdentitySource;
  idpId: string;
  /** The re-provisioning run that last forgot this user's Kiro id: its tally counts the user. */
  queuedByRun?: string | undefined;
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
  /** The run that queued a sync of this group and has not heard back yet; the pass that settles it reports to it. */
  queuedByRun?: string | undefined;
  /** Groups nested inside this one at its last full read: their notifications refresh this group. */
  nestedGroupCount: number;
  /** Bumped by every recorded change; the worker loops until it has synced this version. */
  dirtyVersion: number;
  syncedVersion: number;
  lastSyncedAt?: string | undefined;
  /** A member PATCH sent whose result was never recorded (the worker died, or the answer was lost). */
  patchIntent?: PatchIntent | undefined;
  /** The last worker that took the group's lease and until when; a lease past `expiresAt` is free. */
  lease?: { owner: string; expiresAt: string } | undefined;
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

/** What one IdP event changes, for {@link ProcessedEvents.recordEventChanges}; an event with no change is only marked processed. */
export interface EventChanges {
  eventId: string;
  /** As {@link MembershipRecords.recordDesiredMembership}. */
  membership?: { groupId: string; userId: string; desired: boolean; version: string } | undefined;
  /** As {@link GroupRecords.recordGroupName}. */
  groupName?: { groupId: string; name: string; version: string } | undefined;
  /** As {@link UserRecords.requestUserProfile} with `onlyIfKnown: false, onlyIfNoProfile: true`. */
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

/** The `SYNC_GROUPS` entries that selected none of a source's groups when they were last all listed. */
export interface ScopeCheck {
  unmatched: ScopeMismatch[];
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
/** `settle`: the run's own work is done and it waits for the group syncs it queued to report back. */
export type RunPhase = "discover" | "groups" | "users" | "audit-groups" | "audit-users" | "settle";

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

/** How many of one kind of item a run queued and how they settled; what is neither is still waiting. */
export interface RunItemCounts {
  total: number;
  done: number;
  failed: number;
  skipped: number;
}

export type RunItemState = "queued" | "done" | "failed" | "skipped";

/** One thing a run queued: a group sync (a reconcile's re-read, a re-provisioning's re-creation) or a user to re-create. */
export interface RunItemRef {
  source: IdentitySource;
  kind: "GROUP" | "USER";
  id: string;
  /** The group's name or the user's login, for the operator reading which failed. */
  name?: string | undefined;
}

/** How a queued item settled, once, whichever report or recount came first. */
export interface RunItemOutcome extends RunItemRef {
  state: Exclude<RunItemState, "queued">;
  reason?: string | undefined;
  errorCode?: string | undefined;
}

export interface RunItem extends RunItemRef {
  state: RunItemState;
  reason?: string | undefined;
  errorCode?: string | undefined;
  settledAt?: string | undefined;
}

export interface RunRecord extends Omit<NewRun, "step"> {
  /** Undefined once the run finished. */
  step: RunStep | undefined;
  removals: number;
  chunks: number;
  /**
   * The group syncs the run queued and, for a re-provisioning, the users it forgot. Groups settle as
   * their syncs report back; a re-provisioning's users are tallied once its groups have settled.
   */
  items: Record<"groups" | "users", RunItemCounts>;
  /** The plan is complete: no item will be queued any more, so `total` is final. */
  planned: boolean;
  /** Set when the run finished: its failed items (the first {@link runFailedItemsKept}), named. */
  failedItems?: RunItemOutcome[] | undefined;
  finishedAt?: string | undefined;
  error?: string | undefined;
  /** When the run last moved: a run that stopped moving is picked up again by the sweep. */
  updatedAt: string;
  unmanaged?: UnmanagedReport | undefined;
  drift?: DriftReport | undefined;
  /** Sources whose phases this run skipped, and why (an IdP down or refusing us). */
  skipped?: string[] | undefined;
}

/** A finished run keeps this many of its failed items by name; the rest are in `GET /log?result=failure`. */
export const runFailedItemsKept = 20;

export interface RunAdvance {
  /** Undefined: the run is finished. */
  next: RunStep | undefined;
  /** Items this chunk queued (new to the run): groups, or a re-provisioning's users. */
  queued?: { groups?: number | undefined; users?: number | undefined } | undefined;
  /** The plan is complete: the exact number of groups the run queued, which fixes `items.groups.total`. */
  plannedGroups?: number | undefined;
  /** The run is finished and this is its final tally (with `next` undefined). */
  tally?: { items: RunRecord["items"]; failedItems: RunItemOutcome[] } | undefined;
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
