import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import type { KiroUserProfile } from "../../domain/kiro-user";
import type { SyncFailure, UserLifecycle, UserRecord, UserSeenVersions } from "../../ports/ledger-records";
import type { UserRecords } from "../../ports/user-records";
import {
  type Item,
  key,
  type LedgerTableAccess,
  statusKey,
  syncState,
  toPending,
  toSynced,
  unlessConditionFails,
} from "./ledger-table-access";

/**
 * User items. An IdP write is conditional on its version, so changes applied out of order never roll
 * a user back, and a push result settles the user only if no newer change landed meanwhile.
 */
export class DynamoUserRecords implements UserRecords {
  constructor(private readonly table: LedgerTableAccess) {}

  async recordUserProfile(
    source: IdentitySource,
    idpId: string,
    profile: KiroUserProfile,
    version: string,
  ): Promise<boolean> {
    const { input } = this.table.userUpdate(source, idpId, {
      set: "profile = :profile, profileVersion = :version, lifecycle = if_not_exists(lifecycle, :active)",
      condition: "attribute_not_exists(profileVersion) OR profileVersion < :version",
      values: { ":profile": profile, ":version": version, ":active": "active" },
    });
    return this.table.updateWithAliases(
      { ...input, UpdateExpression: String(input.UpdateExpression) },
      this.table.aliasPuts("USER", [profile.userName, profile.email], source, idpId),
    );
  }

  async requestUserProfile(
    source: IdentitySource,
    idpId: string,
    version: string,
    options: { onlyIfKnown: boolean; onlyIfNoProfile?: boolean },
  ): Promise<boolean> {
    return unlessConditionFails(
      this.table.db.send(this.table.profileRequestUpdate(source, idpId, version, options)),
    );
  }

  async recordUserLifecycle(
    source: IdentitySource,
    idpId: string,
    lifecycle: UserLifecycle,
    version: string,
  ): Promise<boolean> {
    return unlessConditionFails(
      this.table.db.send(
        this.table.userUpdate(source, idpId, {
          set: "lifecycle = :lifecycle, lifecycleVersion = :version",
          condition:
            "attribute_exists(pk) AND (attribute_not_exists(lifecycleVersion) OR lifecycleVersion < :version)",
          values: { ":lifecycle": lifecycle, ":version": version },
        }),
      ),
    );
  }

  async getUser(source: IdentitySource, idpId: string): Promise<UserRecord | undefined> {
    return (await this.getUsers(source, [idpId])).get(idpId);
  }

  async getUsers(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, UserRecord>> {
    const items = await this.table.batchGet([...new Set(idpIds)].map((id) => key.user(source, id)));
    return new Map(items.map((item) => [String(item.idpId), toUserRecord(item)]));
  }

  /** Candidates from the alias partition, kept only while their current login or email is the name. */
  async findUsers(loginOrEmail: string): Promise<UserRecord[]> {
    const wanted = loginOrEmail.toLowerCase();
    return (await this.table.itemsByAlias("USER", loginOrEmail))
      .map(toUserRecord)
      .filter(
        (user) =>
          user.profile?.userName?.toLowerCase() === wanted || user.profile?.email?.toLowerCase() === wanted,
      );
  }

  async recordUserSynced(
    source: IdentitySource,
    idpId: string,
    scimId: string | undefined,
    seen: UserSeenVersions,
  ): Promise<void> {
    const setScimId = scimId === undefined ? "" : "scimId = :scimId, ";
    const removeScimId = scimId === undefined ? ", scimId" : "";
    const Key = key.user(source, idpId);
    const seenValues: Item = {};
    const conditions = (["profileVersion", "lifecycleVersion"] as const).map((attribute) => {
      const value = seen[attribute];
      if (value === undefined) return `attribute_not_exists(${attribute})`;
      seenValues[`:seen_${attribute}`] = value;
      return `${attribute} = :seen_${attribute}`;
    });
    const caughtUp = await unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key,
          UpdateExpression: `SET ${setScimId}${toSynced}, gsi1pk = :syncedKey, gsi1sk = :now REMOVE pendingSince, reason, errorCode, creatingBy, creatingUntil${removeScimId}`,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ...seenValues,
            ...(scimId === undefined ? {} : { ":scimId": scimId }),
            ":synced": "synced",
            ":now": this.table.iso(),
            ":zero": 0,
            ":syncedKey": statusKey(source, "USER", "synced"),
          },
        }),
      ),
    );
    if (caughtUp) return;
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key,
        ...(scimId === undefined
          ? { UpdateExpression: "REMOVE scimId, creatingBy, creatingUntil" }
          : {
              UpdateExpression: "SET scimId = :scimId REMOVE creatingBy, creatingUntil",
              ExpressionAttributeValues: { ":scimId": scimId },
            }),
      }),
    );
  }

  async recordUserFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void> {
    await this.table.db.send(
      this.table.failureUpdate(key.user(source, idpId), statusKey(source, "USER", "failed"), failure),
    );
  }

  async claimUserCreation(
    source: IdentitySource,
    idpId: string,
    worker: string,
    ttlMs: number,
  ): Promise<boolean> {
    const nowMs = this.table.now().getTime();
    return unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key.user(source, idpId),
          UpdateExpression: "SET creatingBy = :worker, creatingUntil = :until",
          ConditionExpression:
            "attribute_exists(pk) AND (attribute_not_exists(creatingUntil) OR creatingUntil < :nowMs OR creatingBy = :worker)",
          ExpressionAttributeValues: { ":worker": worker, ":until": nowMs + ttlMs, ":nowMs": nowMs },
        }),
      ),
    );
  }

  async releaseUserCreation(source: IdentitySource, idpId: string, worker: string): Promise<void> {
    await this.table.releaseClaim(key.user(source, idpId), "creatingBy", "creatingUntil", worker);
  }

  async invalidateUsers(
    source: IdentitySource,
    userIds: readonly string[],
    queuedByRun?: string,
  ): Promise<number> {
    let invalidated = 0;
    await forEachLimited(userIds, 16, async (userId) => {
      const changed = await unlessConditionFails(
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: key.user(source, userId),
            UpdateExpression: `SET ${toPending}${queuedByRun ? ", queuedByRun = :queuedByRun" : ""} REMOVE scimId, creatingBy, creatingUntil`,
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ...this.table.pendingValues(source, "USER"),
              ...(queuedByRun ? { ":queuedByRun": queuedByRun } : {}),
            },
          }),
        ),
      );
      if (changed) invalidated += 1;
    });
    return invalidated;
  }
}

function toUserRecord(item: Item): UserRecord {
  return {
    ...syncState(item),
    source: item.source as IdentitySource,
    idpId: String(item.idpId),
    profile: item.profile as KiroUserProfile | undefined,
    profileVersion: item.profileVersion as string | undefined,
    profileRequestedVersion: item.profileRequestedVersion as string | undefined,
    lifecycle: (item.lifecycle as UserLifecycle | undefined) ?? "active",
    lifecycleVersion: item.lifecycleVersion as string | undefined,
    scimId: item.scimId as string | undefined,
    queuedByRun: item.queuedByRun as string | undefined,
  };
}
