import type { IdentitySource } from "../domain/identity-source";
import type { AttemptRecord, LeaseResult, PatchIntent, SyncFailure } from "./ledger-records";

/** Where one group's sync stands: its lease, dirty and synced versions, write-ahead intent, retries and quarantine. */
export interface GroupSyncState {
  /** Conditional write: one holder per group until `ttlMs` passes, so a dead worker never blocks forever. */
  acquireGroupLease(
    source: IdentitySource,
    groupId: string,
    owner: string,
    ttlMs: number,
  ): Promise<LeaseResult>;

  releaseGroupLease(source: IdentitySource, groupId: string, owner: string): Promise<void>;

  markGroupsDirty(source: IdentitySource, groupIds: readonly string[]): Promise<void>;

  /** Write-ahead for a member PATCH; `undefined` clears it once the result is recorded. */
  recordPatchIntent(source: IdentitySource, groupId: string, intent: PatchIntent | undefined): Promise<void>;

  /** Marks `version` synced; the group stays dirty if a newer change arrived meanwhile. */
  recordGroupSynced(source: IdentitySource, groupId: string, version: number): Promise<void>;

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

  /**
   * Back to pending with its attempt count reset, keeping the last {@link attemptsKeptOnRedrive}
   * attempts of its history (why it failed before is what the next failure is read against);
   * false when the group is not quarantined.
   */
  redriveGroup(source: IdentitySource, idpId: string): Promise<boolean>;
}

/**
 * A redrive keeps this many attempts, so what a group failed with before is there when it fails
 * again; a cycle adds at most RETRY_MAX_ATTEMPTS (10) more.
 */
export const attemptsKeptOnRedrive = 20;
