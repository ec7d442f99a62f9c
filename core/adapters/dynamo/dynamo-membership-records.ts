import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import type { MembershipRecord, SyncFailure } from "../../ports/ledger-records";
import type { MembershipRecords } from "../../ports/membership-records";
import {
  type Item,
  key,
  type LedgerTableAccess,
  statusKey,
  syncState,
  toSynced,
  unlessConditionFails,
} from "./ledger-table-access";

/**
 * Membership items live in their group's partition, so one Query lists a group, and in the
 * byCollection index under their user, so "which groups is this user in" is one Query too.
 */
export class DynamoMembershipRecords implements MembershipRecords {
  constructor(private readonly table: LedgerTableAccess) {}

  async recordDesiredMembership(
    source: IdentitySource,
    groupId: string,
    userId: string,
    desired: boolean,
    version: string,
  ): Promise<boolean> {
    const now = this.table.iso();
    try {
      await this.table.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: this.table.desiredMembershipUpdate(source, { groupId, userId, desired, version }, now),
            },
            { Update: this.table.groupUpdate(source, groupId, { set: "", values: {}, now }) },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed"
      ) {
        return false;
      }
      throw error;
    }
  }

  async listMemberships(source: IdentitySource, groupId: string): Promise<MembershipRecord[]> {
    const items = await this.table.queryAll({
      TableName: this.table.name,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :member)",
      ExpressionAttributeValues: { ":pk": key.group(source, groupId).pk, ":member": "MEMBER#" },
      ConsistentRead: true,
    });
    return items.map(toMembershipRecord);
  }

  async listGroupIdsOfUser(source: IdentitySource, userId: string): Promise<string[]> {
    const items = await this.table.queryAll({
      TableName: this.table.name,
      IndexName: "byCollection",
      KeyConditionExpression: "gsi2pk = :pk",
      ExpressionAttributeValues: { ":pk": `${source}#USERGROUPS#${userId}` },
    });
    return items.map((item) => String(item.gsi2sk));
  }

  async listMembershipsOfUser(source: IdentitySource, userId: string): Promise<MembershipRecord[]> {
    const groupIds = await this.listGroupIdsOfUser(source, userId);
    const items = await this.table.batchGet(groupIds.map((groupId) => key.member(source, groupId, userId)));
    return items.map(toMembershipRecord);
  }

  async recordMembershipsApplied(
    source: IdentitySource,
    groupId: string,
    changes: readonly { userId: string; applied: boolean; seenVersion: string }[],
  ): Promise<void> {
    const now = this.table.iso();
    await forEachLimited(changes, 16, async (change) => {
      const Key = key.member(source, groupId, change.userId);
      const stillCurrent = await unlessConditionFails(
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key,
            UpdateExpression: `SET applied = :applied, appliedAt = :now, ${toSynced} REMOVE pendingSince, reason, errorCode, gsi1pk, gsi1sk`,
            ConditionExpression: "desiredVersion = :seen",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":applied": change.applied,
              ":now": now,
              ":seen": change.seenVersion,
              ":synced": "synced",
              ":zero": 0,
            },
          }),
        ),
      );
      if (stillCurrent) return;
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key,
          UpdateExpression: "SET applied = :applied, appliedAt = :now",
          ExpressionAttributeValues: { ":applied": change.applied, ":now": now },
        }),
      );
    });
  }

  async recordMembershipsFailed(
    source: IdentitySource,
    groupId: string,
    userIds: readonly string[],
    failure: SyncFailure,
  ): Promise<void> {
    const failedKey = statusKey(source, "MEMBER", "failed");
    await forEachLimited(userIds, 16, async (userId) => {
      await this.table.db.send(
        this.table.failureUpdate(key.member(source, groupId, userId), failedKey, failure),
      );
    });
  }
}

function toMembershipRecord(item: Item): MembershipRecord {
  return {
    ...syncState(item),
    source: item.source as IdentitySource,
    groupId: String(item.groupId),
    userId: String(item.userId),
    desired: item.desired === true,
    desiredVersion: String(item.desiredVersion),
    applied: item.applied === true,
    appliedAt: item.appliedAt as string | undefined,
  };
}
