import type { IdentitySource } from "../domain/identity-source";
import type { GroupRecord } from "./ledger-records";

/** The groups we manage as the IdP describes them (name, deletion, nesting, re-read requests) and their Kiro id. */
export interface GroupRecords {
  recordGroupName(source: IdentitySource, idpId: string, name: string, version: string): Promise<boolean>;

  getGroup(source: IdentitySource, idpId: string): Promise<GroupRecord | undefined>;

  getGroups(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, GroupRecord>>;

  /** The groups of either source whose current name is `name` (any letter case), with one query. */
  findGroupsByName(name: string): Promise<GroupRecord[]>;

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

  /**
   * Asks the worker to re-read the group's members from the IdP (newer-wins on `version`). With a
   * `runId` the read belongs to a reconcile run, whose removals are counted together; with
   * `queuedByRun` (in the same write, so a pass that sees it also sees the request) the pass that
   * settles the group reports back to that run.
   */
  requestGroupRefresh(
    source: IdentitySource,
    groupId: string,
    version: string,
    runId?: string,
    queuedByRun?: string,
  ): Promise<boolean>;

  /** The run heard back about this group: forgets `queuedByRun` if it is still that run. */
  clearQueuedByRun(source: IdentitySource, groupId: string, runId: string): Promise<void>;

  recordGroupRefreshed(source: IdentitySource, groupId: string, seenVersion: string): Promise<void>;

  /** Which groups are nested (at any depth) inside a synced group, as of its last full read. */
  recordNestedGroups(source: IdentitySource, parentId: string, nestedIds: readonly string[]): Promise<void>;

  listParentGroups(source: IdentitySource, nestedId: string): Promise<string[]>;

  /**
   * Forgets these groups' Kiro ids and applied memberships and marks them dirty, for the
   * re-provisioning run `queuedByRun` that waits to hear back from each. Answers the groups still
   * wanted (to trigger) and how many memberships must be applied again.
   */
  invalidateGroups(
    source: IdentitySource,
    groupIds: readonly string[],
    queuedByRun?: string,
  ): Promise<{ groups: string[]; memberships: number }>;
}
