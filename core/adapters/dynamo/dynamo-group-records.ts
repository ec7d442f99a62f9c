import { PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import type { GroupRecords } from "../../ports/group-records";
import type { GroupRecord } from "../../ports/ledger-records";
import type { MembershipRecords } from "../../ports/membership-records";
import {
  type Item,
  key,
  type LedgerTableAccess,
  toGroupRecord,
  toPending,
  unlessConditionFails,
} from "./ledger-table-access";

/**
 * Group items as the IdP describes them. Each IdP change bumps the group's dirtyVersion (see
 * `groupUpdate`), so a worker already syncing the group goes round once more instead of missing it.
 * Invalidating a group also resets its memberships, hence the membership records it is given.
 */
export class DynamoGroupRecords implements GroupRecords {
  constructor(
    private readonly table: LedgerTableAccess,
    private readonly memberships: Pick<MembershipRecords, "listMemberships">,
  ) {}

  async recordGroupName(
    source: IdentitySource,
    idpId: string,
    name: string,
    version: string,
  ): Promise<boolean> {
    return this.table.updateWithAliases(
      this.table.groupUpdate(source, idpId, {
        set: "#name = :name, nameVersion = :version",
        condition: "attribute_not_exists(nameVersion) OR nameVersion < :version",
        values: { ":name": name, ":version": version },
        names: { "#name": "name" },
      }),
      this.table.aliasPuts("GROUP", [name], source, idpId),
    );
  }

  async getGroup(source: IdentitySource, idpId: string): Promise<GroupRecord | undefined> {
    const result = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: "pk = :pk AND sk = :sk",
        ExpressionAttributeValues: { ":pk": key.group(source, idpId).pk, ":sk": "#GROUP" },
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? toGroupRecord(item) : undefined;
  }

  async getGroups(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, GroupRecord>> {
    const items = await this.table.batchGet([...new Set(idpIds)].map((id) => key.group(source, id)));
    return new Map(items.map((item) => [String(item.idpId), toGroupRecord(item)]));
  }

  /** Candidates from the alias partition, kept only while their current name is `name`. */
  async findGroupsByName(name: string): Promise<GroupRecord[]> {
    const wanted = name.toLowerCase();
    return (await this.table.itemsByAlias("GROUP", name))
      .map(toGroupRecord)
      .filter((group) => group.name?.toLowerCase() === wanted);
  }

  async listGroups(source: IdentitySource, limit: number): Promise<GroupRecord[]> {
    const keys: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await this.table.db.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: "byCollection",
          KeyConditionExpression: "gsi2pk = :pk",
          ExpressionAttributeValues: { ":pk": `${source}#GROUPS` },
          Limit: limit - keys.length,
          ExclusiveStartKey,
        }),
      );
      keys.push(...(page.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk })));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey && keys.length < limit);
    return (await this.table.batchGet(keys)).map(toGroupRecord);
  }

  async recordGroupDeleted(source: IdentitySource, idpId: string, version: string): Promise<boolean> {
    return unlessConditionFails(
      this.table.db.send(
        new UpdateCommand(
          this.table.groupUpdate(source, idpId, {
            set: "deleted = :true, deletedVersion = :version",
            condition:
              "attribute_exists(pk) AND (attribute_not_exists(deletedVersion) OR deletedVersion < :version)",
            values: { ":true": true, ":version": version },
          }),
        ),
      ),
    );
  }

  async recordGroupRestored(source: IdentitySource, idpId: string, version: string): Promise<boolean> {
    return unlessConditionFails(
      this.table.db.send(
        new UpdateCommand(
          this.table.groupUpdate(source, idpId, {
            set: "deleted = :false, deletedVersion = :version",
            condition: "deleted = :true AND deletedVersion < :version",
            values: { ":true": true, ":version": version },
          }),
        ),
      ),
    );
  }

  async recordGroupApplied(
    source: IdentitySource,
    idpId: string,
    applied: { scimId: string | undefined; createdByUs?: boolean; name?: string },
  ): Promise<void> {
    const sets = ["updatedAt = :now"];
    const values: Item = { ":now": this.table.iso() };
    if (applied.createdByUs !== undefined) {
      sets.push("createdByUs = :createdByUs");
      values[":createdByUs"] = applied.createdByUs;
    }
    if (applied.name !== undefined) {
      sets.push("appliedName = :name");
      values[":name"] = applied.name;
    }
    if (applied.scimId !== undefined) {
      sets.push("scimId = :scimId");
      values[":scimId"] = applied.scimId;
    }
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.group(source, idpId),
        UpdateExpression: `SET ${sets.join(", ")}${applied.scimId === undefined ? " REMOVE scimId" : ""}`,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async requestGroupRefresh(
    source: IdentitySource,
    groupId: string,
    version: string,
    runId?: string,
    queuedByRun?: string,
  ): Promise<boolean> {
    return unlessConditionFails(
      this.table.db.send(
        new UpdateCommand(
          this.table.groupUpdate(source, groupId, {
            set: `refreshRequestedVersion = :version, refreshRunId = :runId${queuedByRun ? ", queuedByRun = :queuedByRun" : ""}`,
            condition: "attribute_not_exists(refreshRequestedVersion) OR refreshRequestedVersion < :version",
            values: {
              ":version": version,
              ":runId": runId ?? "",
              ...(queuedByRun ? { ":queuedByRun": queuedByRun } : {}),
            },
          }),
        ),
      ),
    );
  }

  async clearQueuedByRun(source: IdentitySource, groupId: string, runId: string): Promise<void> {
    await unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key.group(source, groupId),
          UpdateExpression: "REMOVE queuedByRun",
          ConditionExpression: "queuedByRun = :runId",
          ExpressionAttributeValues: { ":runId": runId },
        }),
      ),
    );
  }

  async recordGroupRefreshed(source: IdentitySource, groupId: string, seenVersion: string): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.group(source, groupId),
        UpdateExpression: "SET refreshedVersion = :seen",
        ExpressionAttributeValues: { ":seen": seenVersion },
      }),
    );
  }

  async recordNestedGroups(
    source: IdentitySource,
    parentId: string,
    nestedIds: readonly string[],
  ): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.group(source, parentId),
        UpdateExpression: "SET nestedGroupCount = :count",
        ExpressionAttributeValues: { ":count": new Set(nestedIds).size },
      }),
    );
    await forEachLimited([...new Set(nestedIds)], 16, async (nestedId) => {
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...key.nested(source, nestedId, parentId),
            kind: "NESTED",
            parentId,
            seenAt: this.table.iso(),
          },
        }),
      );
    });
  }

  async listParentGroups(source: IdentitySource, nestedId: string): Promise<string[]> {
    const items = await this.table.queryAll({
      TableName: this.table.name,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :parent)",
      ExpressionAttributeValues: { ":pk": `${source}#NESTED#${nestedId}`, ":parent": "PARENT#" },
    });
    return items.map((item) => String(item.parentId));
  }

  async invalidateGroups(
    source: IdentitySource,
    groupIds: readonly string[],
    queuedByRun?: string,
  ): Promise<{ groups: string[]; memberships: number }> {
    const wanted: string[] = [];
    let memberships = 0;
    await forEachLimited(groupIds, 8, async (groupId) => {
      const members = (await this.memberships.listMemberships(source, groupId)).filter(
        (membership) => membership.applied || membership.desired,
      );
      memberships += members.length;
      await forEachLimited(members, 16, async (membership) => {
        await this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: key.member(source, groupId, membership.userId),
            UpdateExpression: `SET applied = :false, ${toPending} REMOVE appliedAt`,
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ...this.table.pendingValues(source, "MEMBER"), ":false": false },
          }),
        );
      });
      const result = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key.group(source, groupId),
          UpdateExpression: `SET createdByUs = :false, ${toPending}${queuedByRun ? ", queuedByRun = :queuedByRun" : ""} REMOVE scimId, appliedName ADD dirtyVersion :one`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: {
            ...this.table.pendingValues(source, "GROUP"),
            ":false": false,
            ":one": 1,
            ...(queuedByRun ? { ":queuedByRun": queuedByRun } : {}),
          },
          ExpressionAttributeNames: { "#status": "status" },
          ReturnValues: "ALL_NEW",
        }),
      );
      if (result.Attributes && !result.Attributes.deleted) wanted.push(groupId);
    });
    return { groups: wanted, memberships };
  }
}
