import type { IdentitySource } from "../../../core/domain/identity-source";
import type { GroupRecords } from "../../../core/ports/group-records";
import { type GroupRecord, lookupNameMaxBytes } from "../../../core/ports/ledger-records";
import {
  ConditionalCheckFailed,
  compareStrings,
  itemKey,
  type LedgerState,
  olderOrAbsent,
  remove,
  toGroupRecord,
  toMembershipRecord,
  toPending,
} from "./in-memory-state";

/** {@link GroupRecords} over {@link LedgerState}, with DynamoLedger's conditions and side effects. */
export class InMemoryGroupRecords implements GroupRecords {
  constructor(private readonly state: LedgerState) {}

  async recordGroupName(
    source: IdentitySource,
    idpId: string,
    name: string,
    version: string,
  ): Promise<boolean> {
    const current = this.state.groups.get(itemKey(source, idpId));
    if (!olderOrAbsent(current?.nameVersion, version)) return false;
    const item = this.state.touchGroup(source, idpId, this.state.iso());
    item.name = name;
    item.nameVersion = version;
    return true;
  }

  async getGroup(source: IdentitySource, idpId: string): Promise<GroupRecord | undefined> {
    const item = this.state.groups.get(itemKey(source, idpId));
    return item ? toGroupRecord(item) : undefined;
  }

  /** Keyed by the item's idpId, so a bare item (written by a bookkeeping update of an unknown group) answers under "undefined". */
  async getGroups(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, GroupRecord>> {
    const found = new Map<string, GroupRecord>();
    for (const idpId of new Set(idpIds)) {
      const item = this.state.groups.get(itemKey(source, idpId));
      if (item) found.set(String(item.idpId), toGroupRecord(item));
    }
    return found;
  }

  /** By each group's current name; a name past the lookup limit finds none (as in the adapter). */
  async findGroupsByName(name: string): Promise<GroupRecord[]> {
    const wanted = name.toLowerCase();
    if (wanted === "" || Buffer.byteLength(name) > lookupNameMaxBytes) return [];
    return [...this.state.groups.values()]
      .filter((item) => item.name?.toLowerCase() === wanted)
      .sort((a, b) => `${a.source}#${a.idpId}`.localeCompare(`${b.source}#${b.idpId}`))
      .map(toGroupRecord);
  }

  /** In id order, as the collection index holds them (DynamoLedger's batch read does not promise an order). */
  async listGroups(source: IdentitySource, limit: number): Promise<GroupRecord[]> {
    if (limit < 1) throw new Error("ValidationException: Limit must be greater than or equal to 1");
    return [...this.state.groups.values()]
      .filter((item) => item.listed && item.source === source)
      .sort((a, b) => compareStrings(String(a.idpId), String(b.idpId)))
      .slice(0, limit)
      .map(toGroupRecord);
  }

  async recordGroupDeleted(source: IdentitySource, idpId: string, version: string): Promise<boolean> {
    const current = this.state.groups.get(itemKey(source, idpId));
    if (current === undefined || !olderOrAbsent(current.deletedVersion, version)) return false;
    const item = this.state.touchGroup(source, idpId, this.state.iso());
    item.deleted = true;
    item.deletedVersion = version;
    return true;
  }

  async recordGroupRestored(source: IdentitySource, idpId: string, version: string): Promise<boolean> {
    const current = this.state.groups.get(itemKey(source, idpId));
    const deletedBefore =
      current?.deleted === true &&
      current.deletedVersion !== undefined &&
      compareStrings(current.deletedVersion, version) < 0;
    if (!deletedBefore) return false;
    const item = this.state.touchGroup(source, idpId, this.state.iso());
    item.deleted = false;
    item.deletedVersion = version;
    return true;
  }

  async recordGroupApplied(
    source: IdentitySource,
    idpId: string,
    applied: { scimId: string | undefined; createdByUs?: boolean; name?: string },
  ): Promise<void> {
    const item = this.state.group(source, idpId);
    item.updatedAt = this.state.iso();
    if (applied.createdByUs !== undefined) item.createdByUs = applied.createdByUs;
    if (applied.name !== undefined) item.appliedName = applied.name;
    if (applied.scimId === undefined) remove(item, "scimId");
    else item.scimId = applied.scimId;
  }

  async requestGroupRefresh(
    source: IdentitySource,
    groupId: string,
    version: string,
    runId?: string,
    queuedByRun?: string,
  ): Promise<boolean> {
    const current = this.state.groups.get(itemKey(source, groupId));
    if (!olderOrAbsent(current?.refreshRequestedVersion, version)) return false;
    const item = this.state.touchGroup(source, groupId, this.state.iso());
    item.refreshRequestedVersion = version;
    item.refreshRunId = runId ?? "";
    if (queuedByRun) item.queuedByRun = queuedByRun;
    return true;
  }

  async clearQueuedByRun(source: IdentitySource, groupId: string, runId: string): Promise<void> {
    const item = this.state.groups.get(itemKey(source, groupId));
    if (item?.queuedByRun === runId) remove(item, "queuedByRun");
  }

  async recordGroupRefreshed(source: IdentitySource, groupId: string, seenVersion: string): Promise<void> {
    this.state.group(source, groupId).refreshedVersion = seenVersion;
  }

  /** Adds parent links and never removes one: a group once nested keeps naming this parent (as the adapter does). */
  async recordNestedGroups(
    source: IdentitySource,
    parentId: string,
    nestedIds: readonly string[],
  ): Promise<void> {
    const distinct = [...new Set(nestedIds)];
    this.state.group(source, parentId).nestedGroupCount = distinct.length;
    const now = this.state.iso();
    for (const nestedId of distinct) {
      const key = itemKey(source, nestedId);
      const parents = this.state.parents.get(key) ?? new Map<string, string>();
      parents.set(parentId, now);
      this.state.parents.set(key, parents);
    }
  }

  async listParentGroups(source: IdentitySource, nestedId: string): Promise<string[]> {
    return [...(this.state.parents.get(itemKey(source, nestedId))?.keys() ?? [])].sort(compareStrings);
  }

  /**
   * Every group is handled even when one is unknown; the first unknown one then rejects the call
   * (the adapter's concurrent writes do the same for up to 8 groups).
   */
  async invalidateGroups(
    source: IdentitySource,
    groupIds: readonly string[],
    queuedByRun?: string,
  ): Promise<{ groups: string[]; memberships: number }> {
    const wanted: string[] = [];
    let memberships = 0;
    let failure: Error | undefined;
    for (const groupId of groupIds) {
      const now = this.state.iso();
      const members = [...this.state.membersOf(source, groupId).values()]
        .map(toMembershipRecord)
        .filter((membership) => membership.applied || membership.desired);
      memberships += members.length;
      for (const membership of members) {
        const item = this.state.member(source, groupId, membership.userId);
        item.applied = false;
        toPending(item, now);
        remove(item, "appliedAt");
      }
      const group = this.state.groups.get(itemKey(source, groupId));
      if (group === undefined) {
        failure ??= new ConditionalCheckFailed();
        continue;
      }
      group.createdByUs = false;
      toPending(group, now);
      if (queuedByRun) group.queuedByRun = queuedByRun;
      remove(group, "scimId", "appliedName");
      group.dirtyVersion = (group.dirtyVersion ?? 0) + 1;
      if (!group.deleted) wanted.push(groupId);
    }
    if (failure) throw failure;
    return { groups: wanted, memberships };
  }
}
