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
