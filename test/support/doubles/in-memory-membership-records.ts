import type { IdentitySource } from "../../../core/domain/identity-source";
import type { MembershipRecord, SyncFailure } from "../../../core/ports/ledger-records";
import type { MembershipRecords } from "../../../core/ports/membership-records";
import {
  compareStrings,
  type LedgerState,
  olderOrAbsent,
  remove,
  toFailed,
  toMembershipRecord,
  toPending,
  toSynced,
} from "./in-memory-state";

/** {@link MembershipRecords} over {@link LedgerState}; a recorded change marks its group dirty, as in DynamoDB's transaction. */
export class InMemoryMembershipRecords implements MembershipRecords {
  constructor(private readonly state: LedgerState) {}

  /** Creates the group item when the ledger did not know the group. */
  async recordDesiredMembership(
    source: IdentitySource,
    groupId: string,
    userId: string,
    desired: boolean,
    version: string,
  ): Promise<boolean> {
    const current = this.state.membersOf(source, groupId).get(userId);
    if (!olderOrAbsent(current?.desiredVersion, version)) return false;
    const now = this.state.iso();
    const item = this.state.member(source, groupId, userId);
    Object.assign(item, { desired, desiredVersion: version, source, groupId, userId, listedForUser: true });
    item.applied ??= false;
    item.attempts ??= 0;
    toPending(item, now);
    this.state.touchGroup(source, groupId, now);
    return true;
  }

  /** In user id order, as the group's partition holds them. */
  async listMemberships(source: IdentitySource, groupId: string): Promise<MembershipRecord[]> {
    return [...this.state.membersOf(source, groupId).entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([, item]) => toMembershipRecord(item));
  }

  /** Every group a desired-membership change was ever recorded for, `desired: false` included, in group id order. */
  async listGroupIdsOfUser(source: IdentitySource, userId: string): Promise<string[]> {
    const groupIds: string[] = [];
    for (const members of this.state.memberships.values()) {
      const item = members.get(userId);
      if (item?.listedForUser && item.source === source && item.userId === userId)
        groupIds.push(String(item.groupId));
    }
    return groupIds.sort(compareStrings);
  }

  async listMembershipsOfUser(source: IdentitySource, userId: string): Promise<MembershipRecord[]> {
    const records: MembershipRecord[] = [];
    for (const groupId of await this.listGroupIdsOfUser(source, userId)) {
      const item = this.state.membersOf(source, groupId).get(userId);
      if (item) records.push(toMembershipRecord(item));
    }
    return records;
  }

  /** A change for a membership the ledger does not hold still writes `applied` there (a bare item, as the adapter does). */
  async recordMembershipsApplied(
    source: IdentitySource,
    groupId: string,
    changes: readonly { userId: string; applied: boolean; seenVersion: string }[],
  ): Promise<void> {
    const now = this.state.iso();
    for (const change of changes) {
      const stillCurrent =
        this.state.membersOf(source, groupId).get(change.userId)?.desiredVersion === change.seenVersion;
      const item = this.state.member(source, groupId, change.userId);
      item.applied = change.applied;
      item.appliedAt = now;
      if (!stillCurrent) continue;
      toSynced(item, now);
      remove(item, "pendingSince", "reason", "errorCode");
    }
  }

  async recordMembershipsFailed(
    source: IdentitySource,
    groupId: string,
    userIds: readonly string[],
    failure: SyncFailure,
  ): Promise<void> {
    const now = this.state.iso();
    for (const userId of userIds) toFailed(this.state.member(source, groupId, userId), failure, now);
  }
}
