import type { IdentitySource } from "../../../core/domain/identity-source";
import { attemptsKeptOnRedrive, type GroupSyncState } from "../../../core/ports/group-sync-state";
import type {
  AttemptRecord,
  LeaseResult,
  PatchIntent,
  SyncFailure,
} from "../../../core/ports/ledger-records";
import { copy, itemKey, type LedgerState, remove, toFailed, toPending, toSynced } from "./in-memory-state";

/** {@link GroupSyncState} over {@link LedgerState}: the same group items {@link InMemoryGroupRecords} keeps. */
export class InMemoryGroupSyncState implements GroupSyncState {
  constructor(private readonly state: LedgerState) {}

  /** A lease is free once `now` is past its expiry (at the very millisecond of expiry it is still held). */
  async acquireGroupLease(
    source: IdentitySource,
    groupId: string,
    owner: string,
    ttlMs: number,
  ): Promise<LeaseResult> {
    const nowMs = this.state.now().getTime();
    const item = this.state.groups.get(itemKey(source, groupId));
    if (item === undefined) return { acquired: false, reason: "missing" };
    const free =
      item.leaseExpiresAt === undefined || item.leaseExpiresAt < nowMs || item.leaseOwner === owner;
    if (!free) {
      return {
        acquired: false,
        reason: "held",
        expiresAt: new Date(item.leaseExpiresAt ?? nowMs).toISOString(),
      };
    }
    item.leaseOwner = owner;
    item.leaseExpiresAt = nowMs + ttlMs;
    return {
      acquired: true,
      dirtyVersion: Number(item.dirtyVersion ?? 0),
      syncedVersion: Number(item.syncedVersion ?? 0),
    };
  }

  async releaseGroupLease(source: IdentitySource, groupId: string, owner: string): Promise<void> {
    const item = this.state.groups.get(itemKey(source, groupId));
    if (item?.leaseOwner === owner) remove(item, "leaseOwner", "leaseExpiresAt");
  }

  /** Unknown groups are left alone (not created). */
  async markGroupsDirty(source: IdentitySource, groupIds: readonly string[]): Promise<void> {
    for (const groupId of new Set(groupIds)) {
      if (this.state.groups.has(itemKey(source, groupId)))
        this.state.touchGroup(source, groupId, this.state.iso());
    }
  }

  async recordPatchIntent(
    source: IdentitySource,
    groupId: string,
    intent: PatchIntent | undefined,
  ): Promise<void> {
    const item = this.state.group(source, groupId);
    if (intent) item.patchIntent = copy(intent);
    else remove(item, "patchIntent");
  }

  async recordGroupSynced(source: IdentitySource, groupId: string, version: number): Promise<void> {
    const now = this.state.iso();
    const item = this.state.groups.get(itemKey(source, groupId));
    if (item === undefined) return;
    if (item.dirtyVersion === version) {
      item.syncedVersion = version;
      item.lastSyncedAt = now;
      toSynced(item, now);
      remove(item, "pendingSince", "reason", "errorCode", "retryAt", "attemptHistory");
      return;
    }
    if (item.syncedVersion === undefined || item.syncedVersion < version) {
      item.syncedVersion = version;
      item.lastSyncedAt = now;
    }
  }

  async recordGroupFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void> {
    toFailed(this.state.group(source, idpId), failure, this.state.iso());
  }

  /** `attempts` counts up by one whatever `attempt.attempt` says; the attempt joins the history as given. */
  async recordGroupRetry(
    source: IdentitySource,
    idpId: string,
    attempt: AttemptRecord,
    retryAt: string,
  ): Promise<void> {
    const item = this.state.group(source, idpId);
    toFailed(item, attempt, this.state.iso());
    item.retryAt = retryAt;
    item.attemptHistory = [...(item.attemptHistory ?? []), copy(attempt)];
  }

  async quarantineGroup(source: IdentitySource, idpId: string, attempt: AttemptRecord): Promise<void> {
    const now = this.state.iso();
    const item = this.state.group(source, idpId);
    item.status = "quarantined";
    item.reason = attempt.reason.slice(0, 1000);
    item.errorCode = attempt.errorCode;
    item.lastAttemptAt = now;
    item.updatedAt = now;
    item.attempts = attempt.attempt;
    item.pendingSince ??= now;
    item.attemptHistory = [...(item.attemptHistory ?? []), copy(attempt)];
    remove(item, "retryAt");
  }

  async redriveGroup(source: IdentitySource, idpId: string): Promise<boolean> {
    const item = this.state.groups.get(itemKey(source, idpId));
    if (item?.status !== "quarantined") return false;
    toPending(item, this.state.iso());
    item.attempts = 0;
    item.attemptHistory = (item.attemptHistory ?? []).slice(-attemptsKeptOnRedrive);
    remove(item, "retryAt", "reason", "errorCode");
    item.dirtyVersion = (item.dirtyVersion ?? 0) + 1;
    return true;
  }
}
