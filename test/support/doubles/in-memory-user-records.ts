import type { IdentitySource } from "../../../core/domain/identity-source";
import type { KiroUserProfile } from "../../../core/domain/kiro-user";
import {
  lookupNameMaxBytes,
  type SyncFailure,
  type UserLifecycle,
  type UserRecord,
  type UserSeenVersions,
} from "../../../core/ports/ledger-records";
import type { UserRecords } from "../../../core/ports/user-records";
import {
  copy,
  itemKey,
  type LedgerState,
  olderOrAbsent,
  remove,
  toFailed,
  toPending,
  toSynced,
  toUserRecord,
} from "./in-memory-state";

/** {@link UserRecords} over {@link LedgerState}, with DynamoLedger's conditions and side effects. */
export class InMemoryUserRecords implements UserRecords {
  constructor(private readonly state: LedgerState) {}

  async recordUserProfile(
    source: IdentitySource,
    idpId: string,
    profile: KiroUserProfile,
    version: string,
  ): Promise<boolean> {
    const current = this.state.users.get(itemKey(source, idpId));
    if (!olderOrAbsent(current?.profileVersion, version)) return false;
    const item = this.state.touchUser(source, idpId, this.state.iso());
    item.profile = copy(profile);
    item.profileVersion = version;
    item.lifecycle ??= "active";
    return true;
  }

  async requestUserProfile(
    source: IdentitySource,
    idpId: string,
    version: string,
    options: { onlyIfKnown: boolean; onlyIfNoProfile?: boolean },
  ): Promise<boolean> {
    const current = this.state.users.get(itemKey(source, idpId));
    if (!olderOrAbsent(current?.profileRequestedVersion, version)) return false;
    if (options.onlyIfKnown && current === undefined) return false;
    if (options.onlyIfNoProfile && current?.profileVersion !== undefined) return false;
    const item = this.state.touchUser(source, idpId, this.state.iso());
    item.profileRequestedVersion = version;
    item.lifecycle ??= "active";
    return true;
  }

  async recordUserLifecycle(
    source: IdentitySource,
    idpId: string,
    lifecycle: UserLifecycle,
    version: string,
  ): Promise<boolean> {
    const current = this.state.users.get(itemKey(source, idpId));
    if (current === undefined || !olderOrAbsent(current.lifecycleVersion, version)) return false;
    const item = this.state.touchUser(source, idpId, this.state.iso());
    item.lifecycle = lifecycle;
    item.lifecycleVersion = version;
    return true;
  }

  async getUser(source: IdentitySource, idpId: string): Promise<UserRecord | undefined> {
    return (await this.getUsers(source, [idpId])).get(idpId);
  }

  /** Keyed by the item's idpId, so a bare item (written by a bookkeeping update of an unknown user) answers under "undefined". */
  async getUsers(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, UserRecord>> {
    const found = new Map<string, UserRecord>();
    for (const idpId of new Set(idpIds)) {
      const item = this.state.users.get(itemKey(source, idpId));
      if (item) found.set(String(item.idpId), toUserRecord(item));
    }
    return found;
  }

  /** By each user's current login or email; a name past the lookup limit finds nobody (as in the adapter). */
  async findUsers(loginOrEmail: string): Promise<UserRecord[]> {
    const wanted = loginOrEmail.toLowerCase();
    if (wanted === "" || Buffer.byteLength(loginOrEmail) > lookupNameMaxBytes) return [];
    return [...this.state.users.values()]
      .filter(
        (item) =>
          item.profile?.userName?.toLowerCase() === wanted || item.profile?.email?.toLowerCase() === wanted,
      )
      .sort((a, b) => `${a.source}#${a.idpId}`.localeCompare(`${b.source}#${b.idpId}`))
      .map(toUserRecord);
  }

  async recordUserSynced(
    source: IdentitySource,
    idpId: string,
    scimId: string | undefined,
    seen: UserSeenVersions,
  ): Promise<void> {
    const current = this.state.users.get(itemKey(source, idpId)) ?? {};
    const caughtUp =
      current.profileVersion === seen.profileVersion && current.lifecycleVersion === seen.lifecycleVersion;
    const item = this.state.user(source, idpId);
    if (scimId === undefined) remove(item, "scimId");
    else item.scimId = scimId;
    remove(item, "creatingBy", "creatingUntil");
    if (!caughtUp) return;
    toSynced(item, this.state.iso());
    remove(item, "pendingSince", "reason", "errorCode");
  }

  async recordUserFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void> {
    toFailed(this.state.user(source, idpId), failure, this.state.iso());
  }

  async claimUserCreation(
    source: IdentitySource,
    idpId: string,
    worker: string,
    ttlMs: number,
  ): Promise<boolean> {
    const nowMs = this.state.now().getTime();
    const item = this.state.users.get(itemKey(source, idpId));
    if (item === undefined) return false;
    const free = item.creatingUntil === undefined || item.creatingUntil < nowMs || item.creatingBy === worker;
    if (!free) return false;
    item.creatingBy = worker;
    item.creatingUntil = nowMs + ttlMs;
    return true;
  }

  async releaseUserCreation(source: IdentitySource, idpId: string, worker: string): Promise<void> {
    const item = this.state.users.get(itemKey(source, idpId));
    if (item?.creatingBy === worker) remove(item, "creatingBy", "creatingUntil");
  }

  /** Counts every id that names a known user, a repeated id once per mention (as the adapter does). */
  async invalidateUsers(
    source: IdentitySource,
    userIds: readonly string[],
    queuedByRun?: string,
  ): Promise<number> {
    let invalidated = 0;
    for (const userId of userIds) {
      const item = this.state.users.get(itemKey(source, userId));
      if (item === undefined) continue;
      toPending(item, this.state.iso());
      if (queuedByRun) item.queuedByRun = queuedByRun;
      remove(item, "scimId", "creatingBy", "creatingUntil");
      invalidated += 1;
    }
    return invalidated;
  }
}
