import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import { attemptsKeptOnRedrive, type GroupSyncState } from "../../ports/group-sync-state";
import type { AttemptRecord, LeaseResult, PatchIntent, SyncFailure } from "../../ports/ledger-records";
import {
  key,
  type LedgerTableAccess,
  statusKey,
  toGroupRecord,
  toPending,
  toSynced,
  unlessConditionFails,
} from "./ledger-table-access";

/**
 * Kept on the group item itself, so the lease and the synced version are conditioned on the very
 * item (and dirtyVersion) that the IdP changes bump.
 */
export class DynamoGroupSyncState implements GroupSyncState {
  constructor(private readonly table: LedgerTableAccess) {}

  async acquireGroupLease(
    source: IdentitySource,
    groupId: string,
    owner: string,
    ttlMs: number,
  ): Promise<LeaseResult> {
    const nowMs = this.table.now().getTime();
    try {
      const result = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key.group(source, groupId),
          UpdateExpression: "SET leaseOwner = :owner, leaseExpiresAt = :expiresAt",
          ConditionExpression:
            "attribute_exists(pk) AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :nowMs OR leaseOwner = :owner)",
          ExpressionAttributeValues: { ":owner": owner, ":expiresAt": nowMs + ttlMs, ":nowMs": nowMs },
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const group = toGroupRecord(result.Attributes ?? {});
      return { acquired: true, dirtyVersion: group.dirtyVersion, syncedVersion: group.syncedVersion };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (!error.Item) return { acquired: false, reason: "missing" };
        const expiresAt = Number(error.Item.leaseExpiresAt?.N ?? nowMs);
        return { acquired: false, reason: "held", expiresAt: new Date(expiresAt).toISOString() };
      }
      throw error;
    }
  }

  async releaseGroupLease(source: IdentitySource, groupId: string, owner: string): Promise<void> {
    await this.table.releaseClaim(key.group(source, groupId), "leaseOwner", "leaseExpiresAt", owner);
  }

  async markGroupsDirty(source: IdentitySource, groupIds: readonly string[]): Promise<void> {
    await forEachLimited([...new Set(groupIds)], 16, async (groupId) => {
      await unlessConditionFails(
        this.table.db.send(
          new UpdateCommand(
            this.table.groupUpdate(source, groupId, {
              set: "",
              values: {},
              condition: "attribute_exists(pk)",
            }),
          ),
        ),
      );
    });
  }

  async recordPatchIntent(
    source: IdentitySource,
    groupId: string,
    intent: PatchIntent | undefined,
  ): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.group(source, groupId),
        UpdateExpression: intent ? "SET patchIntent = :intent" : "REMOVE patchIntent",
        ...(intent ? { ExpressionAttributeValues: { ":intent": intent } } : {}),
      }),
    );
  }

  async recordGroupSynced(source: IdentitySource, groupId: string, version: number): Promise<void> {
    const now = this.table.iso();
    const Key = key.group(source, groupId);
    const caughtUp = await unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key,
          UpdateExpression: `SET syncedVersion = :version, lastSyncedAt = :now, ${toSynced}, gsi1pk = :syncedKey, gsi1sk = :now REMOVE pendingSince, reason, errorCode, retryAt, attemptHistory`,
          ConditionExpression: "dirtyVersion = :version",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":version": version,
            ":now": now,
            ":synced": "synced",
            ":zero": 0,
            ":syncedKey": statusKey(source, "GROUP", "synced"),
          },
        }),
      ),
    );
    if (caughtUp) return;
    await unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key,
          UpdateExpression: "SET syncedVersion = :version, lastSyncedAt = :now",
          ConditionExpression:
            "attribute_exists(pk) AND (attribute_not_exists(syncedVersion) OR syncedVersion < :version)",
          ExpressionAttributeValues: { ":version": version, ":now": now },
        }),
      ),
    );
  }

  async recordGroupFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void> {
    await this.table.db.send(
      this.table.failureUpdate(key.group(source, idpId), statusKey(source, "GROUP", "failed"), failure),
    );
  }

  async recordGroupRetry(
    source: IdentitySource,
    idpId: string,
    attempt: AttemptRecord,
    retryAt: string,
  ): Promise<void> {
    const failed = this.table.failureUpdate(
      key.group(source, idpId),
      statusKey(source, "GROUP", "failed"),
      attempt,
    );
    const input = failed.input;
    await this.table.db.send(
      new UpdateCommand({
        ...input,
        UpdateExpression: `${input.UpdateExpression}, retryAt = :retryAt, attemptHistory = list_append(if_not_exists(attemptHistory, :none), :attempt)`,
        ExpressionAttributeValues: {
          ...input.ExpressionAttributeValues,
          ":retryAt": retryAt,
          ":none": [],
          ":attempt": [attempt],
        },
      }),
    );
  }

  async quarantineGroup(source: IdentitySource, idpId: string, attempt: AttemptRecord): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.group(source, idpId),
        UpdateExpression:
          "SET #status = :quarantined, reason = :reason, errorCode = :errorCode, lastAttemptAt = :now, updatedAt = :now, attempts = :attempts, pendingSince = if_not_exists(pendingSince, :now), gsi1pk = :quarantinedKey, gsi1sk = if_not_exists(pendingSince, :now), attemptHistory = list_append(if_not_exists(attemptHistory, :none), :attempt) REMOVE retryAt",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":quarantined": "quarantined",
          ":reason": attempt.reason.slice(0, 1000),
          ":errorCode": attempt.errorCode,
          ":now": this.table.iso(),
          ":attempts": attempt.attempt,
          ":quarantinedKey": statusKey(source, "GROUP", "quarantined"),
          ":none": [],
          ":attempt": [attempt],
        },
      }),
    );
  }

  async redriveGroup(source: IdentitySource, idpId: string): Promise<boolean> {
    const [item] = await this.table.batchGet([key.group(source, idpId)]);
    if (item?.status !== "quarantined") return false;
    const history = ((item.attemptHistory as AttemptRecord[] | undefined) ?? []).slice(
      -attemptsKeptOnRedrive,
    );
    return unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key.group(source, idpId),
          UpdateExpression: `SET ${toPending}, attempts = :zero, attemptHistory = :history REMOVE retryAt, reason, errorCode ADD dirtyVersion :one`,
          ConditionExpression: "#status = :quarantined",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ...this.table.pendingValues(source, "GROUP"),
            ":quarantined": "quarantined",
            ":history": history,
            ":zero": 0,
            ":one": 1,
          },
        }),
      ),
    );
  }
}
