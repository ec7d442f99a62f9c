import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import type { KiroUserProfile } from "../../domain/kiro-user";
import type { Ledger } from "../../ports/ledger";
import type {
  AttemptRecord,
  EventChanges,
  GroupRecord,
  HeldRemovals,
  KiroTargetRecord,
  LeaseResult,
  LedgerKind,
  MembershipRecord,
  NewRun,
  PatchIntent,
  RunAdvance,
  RunRecord,
  RunStep,
  SourceHealth,
  StatusEntry,
  SubscriptionRecord,
  SyncFailure,
  SyncPause,
  SyncStatus,
  UserLifecycle,
  UserRecord,
  UserSeenVersions,
} from "../../ports/ledger-records";
import {
  chunk,
  groupTransactions,
  maxTransactionItems,
  newestChangePerItem,
  type PlannedChange,
} from "./change-batches";

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];
/** A batched change that is an item of its own (a name change rides on the group's item). */
type ItemChange = Exclude<PlannedChange, { kind: "name" }>;

const key = {
  user: (source: IdentitySource, id: string) => ({ pk: `${source}#USER#${id}`, sk: "#USER" }),
  group: (source: IdentitySource, id: string) => ({ pk: `${source}#GROUP#${id}`, sk: "#GROUP" }),
  member: (source: IdentitySource, groupId: string, userId: string) => ({
    pk: `${source}#GROUP#${groupId}`,
    sk: `MEMBER#${userId}`,
  }),
  event: (source: IdentitySource, id: string) => ({ pk: `${source}#EVENT#${id}`, sk: "#EVENT" }),
  nested: (source: IdentitySource, nestedId: string, parentId: string) => ({
    pk: `${source}#NESTED#${nestedId}`,
    sk: `PARENT#${parentId}`,
  }),
  subscription: (resource: string) => ({ pk: `entra#SUBSCRIPTION#${resource}`, sk: "#SUBSCRIPTION" }),
  deltaLink: (name: string) => ({ pk: `entra#DELTA#${name}`, sk: "#DELTA" }),
  kiroTarget: { pk: "KIRO#TARGET", sk: "#TARGET" },
  pause: { pk: "SYNC#PAUSE", sk: "#PAUSE" },
  health: (source: IdentitySource) => ({ pk: "SYNC#HEALTH", sk: source }),
  run: (runId: string) => ({ pk: `RUN#${runId}`, sk: "#RUN" }),
  held: (runId: string, source: IdentitySource, groupId: string) => ({
    pk: `RUN#${runId}`,
    sk: `HELD#${source}#${groupId}`,
  }),
};

/** A run's position as one comparable string, so advancing can be a conditional write. */
const stepKey = (step: RunStep | undefined) =>
  step ? `${step.phase}|${step.source ?? ""}|${step.cursor ?? ""}` : "finished";

const statusKey = (source: IdentitySource, kind: LedgerKind, status: SyncStatus) =>
  `${source}#${kind}#${status}`;

/**
 * Shared update fragments. A change moves an item to pending and into the byStatus index under the
 * time the *first* unsynced change landed (`if_not_exists`), so the age ops see is the age of the
 * oldest change still waiting, not of the latest retry.
 */
const toPending =
  "#status = :pending, pendingSince = if_not_exists(pendingSince, :now), gsi1pk = :pendingKey, gsi1sk = if_not_exists(pendingSince, :now), updatedAt = :now";
const toFailed =
  "#status = :failed, reason = :reason, errorCode = :errorCode, lastAttemptAt = :now, attempts = if_not_exists(attempts, :zero) + :one, pendingSince = if_not_exists(pendingSince, :now), gsi1pk = :failedKey, gsi1sk = if_not_exists(pendingSince, :now), updatedAt = :now";
const toSynced =
  "#status = :synced, syncedAt = :now, lastAttemptAt = :now, attempts = :zero, updatedAt = :now";

export interface DynamoLedgerOptions {
  tableName: string;
  client: DynamoDBClient;
  /** Default dedupe window for event ids: longer than any IdP redelivery (Graph retries for 4 h). */
  eventTtlSeconds?: number;
  now?: () => Date;
}

/** The ledger on one DynamoDB table (see ledger-table.ts for keys and indexes). */
export class DynamoLedger implements Ledger {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly eventTtlSeconds: number;
  private readonly now: () => Date;

  constructor(options: DynamoLedgerOptions) {
    this.db = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.table = options.tableName;
    this.eventTtlSeconds = options.eventTtlSeconds ?? 3 * 24 * 3600;
    this.now = options.now ?? (() => new Date());
  }

  async markEventProcessed(
    source: IdentitySource,
    eventId: string,
    ttlSeconds = this.eventTtlSeconds,
  ): Promise<boolean> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    return this.unlessConditionFails(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key.event(source, eventId), kind: "EVENT", expiresAt: nowSeconds + ttlSeconds },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :nowSeconds",
          ExpressionAttributeValues: { ":nowSeconds": nowSeconds },
        }),
      ),
    );
  }

  async hasProcessedEvent(source: IdentitySource, eventId: string): Promise<boolean> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk AND sk = :sk",
        ExpressionAttributeValues: { ":pk": key.event(source, eventId).pk, ":sk": "#EVENT" },
        ConsistentRead: true,
      }),
    );
    const expiresAt = Number(result.Items?.[0]?.expiresAt ?? 0);
    return expiresAt > Math.floor(this.now().getTime() / 1000);
  }

  async recordUserProfile(
    source: IdentitySource,
    idpId: string,
    profile: KiroUserProfile,
    version: string,
  ): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(
        this.userUpdate(source, idpId, {
          set: "profile = :profile, profileVersion = :version, lifecycle = if_not_exists(lifecycle, :active)",
          condition: "attribute_not_exists(profileVersion) OR profileVersion < :version",
          values: { ":profile": profile, ":version": version, ":active": "active" },
        }),
      ),
    );
  }

  async requestUserProfile(
    source: IdentitySource,
    idpId: string,
    version: string,
    options: { onlyIfKnown: boolean; onlyIfNoProfile?: boolean },
  ): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(this.profileRequestUpdate(source, idpId, version, options)),
    );
  }

  async recordUserLifecycle(
    source: IdentitySource,
    idpId: string,
    lifecycle: UserLifecycle,
    version: string,
  ): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(
        this.userUpdate(source, idpId, {
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
    const items = await this.batchGet([...new Set(idpIds)].map((id) => key.user(source, id)));
    return new Map(items.map((item) => [String(item.idpId), toUserRecord(item)]));
  }

  async getGroups(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, GroupRecord>> {
    const items = await this.batchGet([...new Set(idpIds)].map((id) => key.group(source, id)));
    return new Map(items.map((item) => [String(item.idpId), toGroupRecord(item)]));
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
    const caughtUp = await this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: `SET ${setScimId}${toSynced}, gsi1pk = :syncedKey, gsi1sk = :now REMOVE pendingSince, reason, errorCode, creatingBy, creatingUntil${removeScimId}`,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ...seenValues,
            ...(scimId === undefined ? {} : { ":scimId": scimId }),
            ":synced": "synced",
            ":now": this.iso(),
            ":zero": 0,
            ":syncedKey": statusKey(source, "USER", "synced"),
          },
        }),
      ),
    );
    if (caughtUp) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
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

  async claimUserCreation(
    source: IdentitySource,
    idpId: string,
    worker: string,
    ttlMs: number,
  ): Promise<boolean> {
    const nowMs = this.now().getTime();
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
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
    await this.releaseClaim(key.user(source, idpId), "creatingBy", "creatingUntil", worker);
  }

  async recordUserFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void> {
    await this.db.send(
      this.failureUpdate(key.user(source, idpId), statusKey(source, "USER", "failed"), failure),
    );
  }

  async recordGroupName(
    source: IdentitySource,
    idpId: string,
    name: string,
    version: string,
  ): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand(
          this.groupUpdate(source, idpId, {
            set: "#name = :name, nameVersion = :version",
            condition: "attribute_not_exists(nameVersion) OR nameVersion < :version",
            values: { ":name": name, ":version": version },
            names: { "#name": "name" },
          }),
        ),
      ),
    );
  }

  async getGroup(source: IdentitySource, idpId: string): Promise<GroupRecord | undefined> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk AND sk = :sk",
        ExpressionAttributeValues: { ":pk": key.group(source, idpId).pk, ":sk": "#GROUP" },
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? toGroupRecord(item) : undefined;
  }

  async requestGroupRefresh(
    source: IdentitySource,
    groupId: string,
    version: string,
    runId?: string,
  ): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand(
          this.groupUpdate(source, groupId, {
            set: "refreshRequestedVersion = :version, refreshRunId = :runId",
            condition: "attribute_not_exists(refreshRequestedVersion) OR refreshRequestedVersion < :version",
            values: { ":version": version, ":runId": runId ?? "" },
          }),
        ),
      ),
    );
  }

  async startRun(run: NewRun): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...key.run(run.runId),
          ...run,
          kind: "RUN",
          runKind: run.kind,
          stepKey: stepKey(run.step),
          removals: 0,
          chunks: 0,
          itemsDone: 0,
          gsi2pk: "RUNS",
          gsi2sk: `${run.startedAt}#${run.runId}`,
          updatedAt: run.startedAt,
          expiresAt: Math.floor(Date.now() / 1000) + 30 * 86_400,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const [item] = await this.batchGet([key.run(runId)]);
    return item ? toRunRecord(item) : undefined;
  }

  async advanceRun(runId: string, from: RunStep, advance: RunAdvance): Promise<boolean> {
    const values: Item = {
      ":from": stepKey(from),
      ":to": stepKey(advance.next),
      ":done": advance.itemsDone,
      ":one": 1,
      ":now": this.iso(),
    };
    const sets = ["stepKey = :to", "updatedAt = :now"];
    if (advance.next) {
      sets.push("step = :step");
      values[":step"] = advance.next;
    } else {
      sets.push("finishedAt = :now");
    }
    if (advance.unmanaged) {
      sets.push("unmanaged = :unmanaged");
      values[":unmanaged"] = advance.unmanaged;
    }
    if (advance.drift) {
      sets.push("drift = :drift");
      values[":drift"] = advance.drift;
    }
    if (advance.skipped) {
      sets.push("skipped = list_append(if_not_exists(skipped, :none), :skipped)");
      values[":skipped"] = [advance.skipped];
      values[":none"] = [];
    }
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.run(runId),
          UpdateExpression: `SET ${sets.join(", ")} ADD chunks :one, itemsDone :done${advance.next ? "" : " REMOVE step"}`,
          ConditionExpression: "stepKey = :from",
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: "byCollection",
        KeyConditionExpression: "gsi2pk = :pk",
        ExpressionAttributeValues: { ":pk": "RUNS" },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const keys = (result.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    return (await this.batchGet(keys))
      .map(toRunRecord)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async countRunRemovals(runId: string, count: number): Promise<{ total: number; managedUsers: number }> {
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.run(runId),
        UpdateExpression: "ADD removals :count",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":count": count },
        ReturnValues: "ALL_NEW",
      }),
    );
    return {
      total: Number(result.Attributes?.removals ?? count),
      managedUsers: Number(result.Attributes?.managedUsers ?? 0),
    };
  }

  async holdRemovals(held: HeldRemovals): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...key.held(held.runId, held.source, held.groupId),
          kind: "HELD",
          gsi2pk: "HELD",
          gsi2sk: `${held.heldAt}#${held.runId}#${held.groupId}`,
          ...held,
        },
      }),
    );
  }

  async listHeldRemovals(): Promise<HeldRemovals[]> {
    return (await this.collection("HELD")).map(toHeldRemovals);
  }

  async takeHeldRemovals(runId: string): Promise<HeldRemovals[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :held)",
      ExpressionAttributeValues: { ":pk": key.run(runId).pk, ":held": "HELD#" },
      ConsistentRead: true,
    });
    await forEachLimited(items, 8, async (item) => {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: item.pk, sk: item.sk } }));
    });
    return items.map(toHeldRemovals);
  }

  async recordGroupRefreshed(source: IdentitySource, groupId: string, seenVersion: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
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
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.group(source, parentId),
        UpdateExpression: "SET nestedGroupCount = :count",
        ExpressionAttributeValues: { ":count": new Set(nestedIds).size },
      }),
    );
    await forEachLimited([...new Set(nestedIds)], 16, async (nestedId) => {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key.nested(source, nestedId, parentId), kind: "NESTED", parentId, seenAt: this.iso() },
        }),
      );
    });
  }

  async listParentGroups(source: IdentitySource, nestedId: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :parent)",
      ExpressionAttributeValues: { ":pk": `${source}#NESTED#${nestedId}`, ":parent": "PARENT#" },
    });
    return items.map((item) => String(item.parentId));
  }

  async getKiroTarget(): Promise<KiroTargetRecord | undefined> {
    const [item] = await this.batchGet([key.kiroTarget]);
    if (!item) return undefined;
    return {
      fingerprint: String(item.fingerprint),
      url: String(item.url),
      since: String(item.since),
      credential: item.credential === undefined ? undefined : String(item.credential),
      revision: item.revision === undefined ? undefined : Number(item.revision),
      reprovisionRunId: item.reprovisionRunId === undefined ? undefined : String(item.reprovisionRunId),
    };
  }

  async claimKiroTarget(target: KiroTargetRecord, previous: KiroTargetRecord | undefined): Promise<boolean> {
    const condition =
      previous === undefined
        ? { ConditionExpression: "attribute_not_exists(pk)" }
        : previous.revision === undefined
          ? { ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(revision)" }
          : {
              ConditionExpression: "revision = :previous",
              ExpressionAttributeValues: { ":previous": previous.revision },
            };
    return this.unlessConditionFails(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key.kiroTarget, kind: "TARGET", ...target, revision: (previous?.revision ?? 0) + 1 },
          ...condition,
        }),
      ),
    );
  }

  async pageIds(
    source: IdentitySource,
    kind: "USER" | "GROUP",
    page: { after?: string | undefined; limit: number },
  ): Promise<{ ids: string[]; last: string | undefined }> {
    const collection = `${source}#${kind}S`;
    const itemKey = kind === "USER" ? key.user : key.group;
    const ids: string[] = [];
    let ExclusiveStartKey: Item | undefined =
      page.after === undefined
        ? undefined
        : { gsi2pk: collection, gsi2sk: page.after, ...itemKey(source, page.after) };
    do {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: "byCollection",
          KeyConditionExpression: "gsi2pk = :pk",
          ExpressionAttributeValues: { ":pk": collection },
          Limit: page.limit - ids.length,
          ExclusiveStartKey,
        }),
      );
      ids.push(...(result.Items ?? []).map((item) => String(item.gsi2sk)));
      ExclusiveStartKey = result.LastEvaluatedKey;
    } while (ExclusiveStartKey && ids.length < page.limit);
    return { ids, last: ExclusiveStartKey ? ids.at(-1) : undefined };
  }

  async invalidateUsers(source: IdentitySource, userIds: readonly string[]): Promise<number> {
    let invalidated = 0;
    await forEachLimited(userIds, 16, async (userId) => {
      const changed = await this.unlessConditionFails(
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key.user(source, userId),
            UpdateExpression: `SET ${toPending} REMOVE scimId, creatingBy, creatingUntil`,
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: this.pendingValues(source, "USER"),
          }),
        ),
      );
      if (changed) invalidated += 1;
    });
    return invalidated;
  }

  async invalidateGroups(
    source: IdentitySource,
    groupIds: readonly string[],
  ): Promise<{ groups: string[]; memberships: number }> {
    const wanted: string[] = [];
    let memberships = 0;
    await forEachLimited(groupIds, 8, async (groupId) => {
      const members = (await this.listMemberships(source, groupId)).filter(
        (membership) => membership.applied || membership.desired,
      );
      memberships += members.length;
      await forEachLimited(members, 16, async (membership) => {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key.member(source, groupId, membership.userId),
            UpdateExpression: `SET applied = :false, ${toPending} REMOVE appliedAt`,
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ...this.pendingValues(source, "MEMBER"), ":false": false },
          }),
        );
      });
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.group(source, groupId),
          UpdateExpression: `SET createdByUs = :false, ${toPending} REMOVE scimId, appliedName ADD dirtyVersion :one`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ...this.pendingValues(source, "GROUP"), ":false": false, ":one": 1 },
          ExpressionAttributeNames: { "#status": "status" },
          ReturnValues: "ALL_NEW",
        }),
      );
      if (result.Attributes && !result.Attributes.deleted) wanted.push(groupId);
    });
    return { groups: wanted, memberships };
  }

  async getSubscription(resource: string): Promise<SubscriptionRecord | undefined> {
    const [item] = await this.batchGet([key.subscription(resource)]);
    return item ? toSubscriptionRecord(item) : undefined;
  }

  async recordSubscription(record: SubscriptionRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...key.subscription(record.resource),
          kind: "SUBSCRIPTION",
          gsi2pk: "entra#SUBSCRIPTIONS",
          gsi2sk: record.resource,
          ...record,
        },
      }),
    );
  }

  async listSubscriptions(): Promise<SubscriptionRecord[]> {
    return (await this.collection("entra#SUBSCRIPTIONS")).map(toSubscriptionRecord);
  }

  async getDeltaLink(name: string): Promise<string | undefined> {
    const [item] = await this.batchGet([key.deltaLink(name)]);
    return item?.deltaLink as string | undefined;
  }

  async recordDeltaLink(name: string, deltaLink: string | undefined): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...key.deltaLink(name),
          kind: "DELTA",
          updatedAt: this.iso(),
          ...(deltaLink ? { deltaLink } : {}),
        },
      }),
    );
  }

  async listGroups(source: IdentitySource, limit: number): Promise<GroupRecord[]> {
    const keys: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
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
    return (await this.batchGet(keys)).map(toGroupRecord);
  }

  async recordGroupDeleted(source: IdentitySource, idpId: string, version: string): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand(
          this.groupUpdate(source, idpId, {
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
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand(
          this.groupUpdate(source, idpId, {
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
    const values: Item = { ":now": this.iso() };
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
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.group(source, idpId),
        UpdateExpression: `SET ${sets.join(", ")}${applied.scimId === undefined ? " REMOVE scimId" : ""}`,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async markGroupsDirty(source: IdentitySource, groupIds: readonly string[]): Promise<void> {
    await forEachLimited([...new Set(groupIds)], 16, async (groupId) => {
      await this.unlessConditionFails(
        this.db.send(
          new UpdateCommand(
            this.groupUpdate(source, groupId, { set: "", values: {}, condition: "attribute_exists(pk)" }),
          ),
        ),
      );
    });
  }

  async recordGroupFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void> {
    await this.db.send(
      this.failureUpdate(key.group(source, idpId), statusKey(source, "GROUP", "failed"), failure),
    );
  }

  async recordGroupRetry(
    source: IdentitySource,
    idpId: string,
    attempt: AttemptRecord,
    retryAt: string,
  ): Promise<void> {
    const failed = this.failureUpdate(
      key.group(source, idpId),
      statusKey(source, "GROUP", "failed"),
      attempt,
    );
    const input = failed.input;
    await this.db.send(
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
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.group(source, idpId),
        UpdateExpression:
          "SET #status = :quarantined, reason = :reason, errorCode = :errorCode, lastAttemptAt = :now, updatedAt = :now, attempts = :attempts, pendingSince = if_not_exists(pendingSince, :now), gsi1pk = :quarantinedKey, gsi1sk = if_not_exists(pendingSince, :now), attemptHistory = list_append(if_not_exists(attemptHistory, :none), :attempt) REMOVE retryAt",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":quarantined": "quarantined",
          ":reason": attempt.reason.slice(0, 1000),
          ":errorCode": attempt.errorCode,
          ":now": this.iso(),
          ":attempts": attempt.attempt,
          ":quarantinedKey": statusKey(source, "GROUP", "quarantined"),
          ":none": [],
          ":attempt": [attempt],
        },
      }),
    );
  }

  async redriveGroup(source: IdentitySource, idpId: string): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.group(source, idpId),
          UpdateExpression: `SET ${toPending}, attempts = :zero REMOVE retryAt, attemptHistory, reason, errorCode ADD dirtyVersion :one`,
          ConditionExpression: "#status = :quarantined",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ...this.pendingValues(source, "GROUP"),
            ":quarantined": "quarantined",
            ":zero": 0,
            ":one": 1,
          },
        }),
      ),
    );
  }

  async getSyncPause(): Promise<SyncPause | undefined> {
    const [item] = await this.batchGet([key.pause]);
    if (!item) return undefined;
    return {
      reason: String(item.reason),
      errorCode: String(item.errorCode),
      since: String(item.since),
      probeAt: String(item.probeAt),
    };
  }

  async pauseSync(pause: SyncPause): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.pause,
        UpdateExpression:
          "SET kind = :kind, reason = :reason, errorCode = :errorCode, since = if_not_exists(since, :since), probeAt = :probeAt",
        ExpressionAttributeValues: {
          ":kind": "PAUSE",
          ":reason": pause.reason.slice(0, 1000),
          ":errorCode": pause.errorCode,
          ":since": pause.since,
          ":probeAt": pause.probeAt,
        },
      }),
    );
  }

  async recordSourceHealth(source: IdentitySource, failure: SyncFailure | undefined): Promise<void> {
    const now = this.iso();
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.health(source),
        UpdateExpression: failure
          ? "SET #state = :degraded, checkedAt = :now, since = if_not_exists(since, :now), code = :code, reason = :reason"
          : "SET #state = :ok, checkedAt = :now REMOVE since, code, reason",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: failure
          ? {
              ":degraded": "degraded",
              ":now": now,
              ":code": failure.errorCode,
              ":reason": failure.reason.slice(0, 500),
            }
          : { ":ok": "ok", ":now": now },
      }),
    );
  }

  async getSourceHealth(): Promise<Partial<Record<IdentitySource, SourceHealth>>> {
    const items = await this.batchGet([key.health("okta"), key.health("entra")]);
    return Object.fromEntries(
      items.map((item) => [
        String(item.sk),
        {
          state: item.state === "degraded" ? "degraded" : "ok",
          since: item.since as string | undefined,
          code: item.code as string | undefined,
          reason: item.reason as string | undefined,
          checkedAt: String(item.checkedAt),
        },
      ]),
    );
  }

  async claimPauseProbe(now: string, nextProbeAt: string): Promise<boolean> {
    return this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.pause,
          UpdateExpression: "SET probeAt = :next",
          ConditionExpression: "attribute_exists(pk) AND probeAt <= :now",
          ExpressionAttributeValues: { ":next": nextProbeAt, ":now": now },
        }),
      ),
    );
  }

  async clearSyncPause(): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: key.pause }));
  }

  async failRun(runId: string, reason: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.run(runId),
        UpdateExpression: "SET #error = :reason, updatedAt = :now",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: { "#error": "error" },
        ExpressionAttributeValues: { ":reason": reason.slice(0, 1000), ":now": this.iso() },
      }),
    );
  }

  async recordDesiredMembership(
    source: IdentitySource,
    groupId: string,
    userId: string,
    desired: boolean,
    version: string,
  ): Promise<boolean> {
    const now = this.iso();
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: this.desiredMembershipUpdate(source, { groupId, userId, desired, version }, now) },
            { Update: this.groupUpdate(source, groupId, { set: "", values: {}, now }) },
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
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :member)",
      ExpressionAttributeValues: { ":pk": key.group(source, groupId).pk, ":member": "MEMBER#" },
      ConsistentRead: true,
    });
    return items.map(toMembershipRecord);
  }

  async listGroupIdsOfUser(source: IdentitySource, userId: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.table,
      IndexName: "byCollection",
      KeyConditionExpression: "gsi2pk = :pk",
      ExpressionAttributeValues: { ":pk": `${source}#USERGROUPS#${userId}` },
    });
    return items.map((item) => String(item.gsi2sk));
  }

  async listMembershipsOfUser(source: IdentitySource, userId: string): Promise<MembershipRecord[]> {
    const groupIds = await this.listGroupIdsOfUser(source, userId);
    const items = await this.batchGet(groupIds.map((groupId) => key.member(source, groupId, userId)));
    return items.map(toMembershipRecord);
  }

  async recordMembershipsApplied(
    source: IdentitySource,
    groupId: string,
    changes: readonly { userId: string; applied: boolean; seenVersion: string }[],
  ): Promise<void> {
    const now = this.iso();
    await forEachLimited(changes, 16, async (change) => {
      const Key = key.member(source, groupId, change.userId);
      const stillCurrent = await this.unlessConditionFails(
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
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
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
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
      await this.db.send(this.failureUpdate(key.member(source, groupId, userId), failedKey, failure));
    });
  }

  async acquireGroupLease(
    source: IdentitySource,
    groupId: string,
    owner: string,
    ttlMs: number,
  ): Promise<LeaseResult> {
    const nowMs = this.now().getTime();
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
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
    await this.releaseClaim(key.group(source, groupId), "leaseOwner", "leaseExpiresAt", owner);
  }

  async recordPatchIntent(
    source: IdentitySource,
    groupId: string,
    intent: PatchIntent | undefined,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.group(source, groupId),
        UpdateExpression: intent ? "SET patchIntent = :intent" : "REMOVE patchIntent",
        ...(intent ? { ExpressionAttributeValues: { ":intent": intent } } : {}),
      }),
    );
  }

  async recordGroupSynced(source: IdentitySource, groupId: string, version: number): Promise<void> {
    const now = this.iso();
    const Key = key.group(source, groupId);
    const caughtUp = await this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
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
    await this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: "SET syncedVersion = :version, lastSyncedAt = :now",
          ConditionExpression:
            "attribute_exists(pk) AND (attribute_not_exists(syncedVersion) OR syncedVersion < :version)",
          ExpressionAttributeValues: { ":version": version, ":now": now },
        }),
      ),
    );
  }

  async listByStatus(
    source: IdentitySource,
    kind: LedgerKind,
    status: SyncStatus,
    limit: number,
  ): Promise<StatusEntry[]> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: "byStatus",
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": statusKey(source, kind, status) },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => toStatusEntry(item, kind, source));
  }

  async countByStatus(source: IdentitySource, kind: LedgerKind, status: SyncStatus): Promise<number> {
    if (kind === "MEMBER" && status === "synced") {
      throw new Error("synced memberships are not indexed by status (sparse index); count them per group");
    }
    let count = 0;
    let ExclusiveStartKey: Item | undefined;
    do {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: "byStatus",
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": statusKey(source, kind, status) },
          Select: "COUNT",
          ExclusiveStartKey,
        }),
      );
      count += result.Count ?? 0;
      ExclusiveStartKey = result.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return count;
  }

  async hasProcessedEvents(source: IdentitySource, eventIds: readonly string[]): Promise<Set<string>> {
    const prefix = key.event(source, "").pk;
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const items = await this.batchGetAtOnce([...new Set(eventIds)].map((id) => key.event(source, id)));
    return new Set(
      items
        .filter((item) => Number(item.expiresAt ?? 0) > nowSeconds)
        .map((item) => String(item.pk).slice(prefix.length)),
    );
  }

  /**
   * Three rounds, each one batch of requests sent at once: a read of the items the changes touch,
   * which leaves out the writes their condition would refuse (an older version, a user who has a
   * profile) so a stale event does not cancel the transaction it shares; the transactions; the
   * event marks. A condition that still fails (a concurrent writer got there first) cancels its
   * transaction, which is sent again without that write.
   */
  async recordEventChanges(
    source: IdentitySource,
    events: readonly EventChanges[],
    ttlSeconds = this.eventTtlSeconds,
  ): Promise<void> {
    if (events.length === 0) return;
    const changes = await this.applicableChanges(source, newestChangePerItem(events));
    const now = this.iso();
    const groupChains = [...groupTransactions(changes)].map(async ([groupId, transactions]) => {
      for (const transaction of transactions)
        await this.writeGroupTransaction(source, groupId, transaction, now);
    });
    const profileRequests = chunk(
      changes.filter((change) => change.kind === "profile"),
      maxTransactionItems,
    ).map((transaction) =>
      this.writeChangeTransaction(source, transaction, () => ({ items: [], changes: [] }), now),
    );
    await Promise.all([...groupChains, ...profileRequests]);
    const expiresAt = Math.floor(this.now().getTime() / 1000) + ttlSeconds;
    const marks = chunk([...new Set(events.map((event) => event.eventId))], maxTransactionItems);
    await Promise.all(
      marks.map((eventIds) =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: eventIds.map((eventId) => ({
              Put: {
                TableName: this.table,
                Item: { ...key.event(source, eventId), kind: "EVENT", expiresAt },
              },
            })),
          }),
        ),
      ),
    );
  }

  /** Drops the changes that the items, as read now, already hold a newer version of. */
  private async applicableChanges(
    source: IdentitySource,
    changes: PlannedChange[],
  ): Promise<PlannedChange[]> {
    const itemKey = (change: PlannedChange) =>
      change.kind === "member"
        ? key.member(source, change.groupId, change.userId)
        : change.kind === "profile"
          ? key.user(source, change.userId)
          : key.group(source, change.groupId);
    const items = await this.batchGetAtOnce(changes.map(itemKey));
    const byKey = new Map(items.map((item) => [`${item.pk}|${item.sk}`, item]));
    const olderThan = (recorded: unknown, version: string) =>
      recorded === undefined || String(recorded) < version;
    return changes.filter((change) => {
      const { pk, sk } = itemKey(change);
      const item = byKey.get(`${pk}|${sk}`);
      if (change.kind === "member") return olderThan(item?.desiredVersion, change.version);
      if (change.kind === "name") return olderThan(item?.nameVersion, change.version);
      return item?.profileVersion === undefined && olderThan(item?.profileRequestedVersion, change.version);
    });
  }

  /**
   * A group's membership changes with one update of the group item, which carries the name change
   * if any and counts one dirtyVersion per recorded change, as the one-at-a-time writes do.
   */
  private async writeGroupTransaction(
    source: IdentitySource,
    groupId: string,
    changes: PlannedChange[],
    now: string,
  ): Promise<void> {
    await this.writeChangeTransaction(
      source,
      changes,
      (remaining) => {
        const name = remaining.find((change) => change.kind === "name");
        const update = this.groupUpdate(source, groupId, {
          set: name ? "#name = :name, nameVersion = :version" : "",
          values: name ? { ":name": name.name, ":version": name.version } : {},
          ...(name
            ? {
                condition: "attribute_not_exists(nameVersion) OR nameVersion < :version",
                names: { "#name": "name" },
              }
            : {}),
          now,
        });
        const dirtyBy = { ":one": remaining.length };
        return {
          items: [
            {
              Update: {
                ...update,
                ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...dirtyBy },
              },
            },
          ],
          changes: [name ? [name] : []],
        };
      },
      now,
    );
  }

  /**
   * Sends the items of `changes` (member and profile writes, one item each) plus what `shared`
   * adds for them, until it commits: a write whose condition failed is dropped and the rest sent
   * again; a conflict with a concurrent transaction, or throttling, is retried after a backoff.
   */
  private async writeChangeTransaction(
    source: IdentitySource,
    changes: PlannedChange[],
    shared: (remaining: PlannedChange[]) => { items: TransactItem[]; changes: PlannedChange[][] },
    now: string,
  ): Promise<void> {
    let remaining = changes;
    for (let attempt = 1; remaining.length > 0; attempt++) {
      const own = remaining.filter((change): change is ItemChange => change.kind !== "name");
      const extra = shared(remaining);
      const items = [...own.map((change) => this.changeItem(source, change, now)), ...extra.items];
      const carried = [...own.map((change) => [change]), ...extra.changes];
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException) || attempt >= 5) throw error;
        const refused = new Set<PlannedChange>();
        let busy = false;
        for (const [index, reason] of (error.CancellationReasons ?? []).entries()) {
          if (reason.Code === "ConditionalCheckFailed")
            for (const change of carried[index] ?? []) refused.add(change);
          else if (reason.Code === "TransactionConflict" || reason.Code === "ThrottlingError") busy = true;
          else if (reason.Code && reason.Code !== "None") throw error;
        }
        if (refused.size === 0 && !busy) throw error;
        remaining = remaining.filter((change) => !refused.has(change));
        if (busy) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
      }
    }
  }

  private changeItem(source: IdentitySource, change: ItemChange, now: string): TransactItem {
    if (change.kind === "member") return { Update: this.desiredMembershipUpdate(source, change, now) };
    const { input } = this.profileRequestUpdate(source, change.userId, change.version, {
      onlyIfKnown: false,
      onlyIfNoProfile: true,
    });
    return { Update: { ...input, UpdateExpression: String(input.UpdateExpression) } };
  }

  private desiredMembershipUpdate(
    source: IdentitySource,
    change: { groupId: string; userId: string; desired: boolean; version: string },
    now: string,
  ): UpdateCommandInput & { UpdateExpression: string } {
    return {
      TableName: this.table,
      Key: key.member(source, change.groupId, change.userId),
      UpdateExpression: `SET desired = :desired, desiredVersion = :version, applied = if_not_exists(applied, :false), attempts = if_not_exists(attempts, :zero), kind = :kind, #source = :source, groupId = :groupId, userId = :userId, gsi2pk = :byUser, gsi2sk = :groupId, ${toPending}`,
      ConditionExpression: "attribute_not_exists(desiredVersion) OR desiredVersion < :version",
      ExpressionAttributeNames: { "#status": "status", "#source": "source" },
      ExpressionAttributeValues: {
        ":desired": change.desired,
        ":version": change.version,
        ":false": false,
        ":zero": 0,
        ":kind": "MEMBER",
        ":source": source,
        ":groupId": change.groupId,
        ":userId": change.userId,
        ":byUser": `${source}#USERGROUPS#${change.userId}`,
        ":pending": "pending",
        ":now": now,
        ":pendingKey": statusKey(source, "MEMBER", "pending"),
      },
    };
  }

  private profileRequestUpdate(
    source: IdentitySource,
    idpId: string,
    version: string,
    options: { onlyIfKnown: boolean; onlyIfNoProfile?: boolean },
  ): UpdateCommand {
    const conditions = [
      "(attribute_not_exists(profileRequestedVersion) OR profileRequestedVersion < :version)",
    ];
    if (options.onlyIfKnown) conditions.push("attribute_exists(pk)");
    if (options.onlyIfNoProfile) conditions.push("attribute_not_exists(profileVersion)");
    return this.userUpdate(source, idpId, {
      set: "profileRequestedVersion = :version, lifecycle = if_not_exists(lifecycle, :active)",
      condition: conditions.join(" AND "),
      values: { ":version": version, ":active": "active" },
    });
  }

  /** BatchGetItem's chunks of 100 keys sent at once, so a read of any size is one round trip deep. */
  private async batchGetAtOnce(keys: readonly Item[]): Promise<Item[]> {
    return (await Promise.all(chunk(keys, 100).map((keysOfChunk) => this.batchGet(keysOfChunk)))).flat();
  }

  /** Removes a claim (lease, creation claim) only if `holder` still holds it. */
  private async releaseClaim(
    itemKey: Item,
    holderAttribute: string,
    expiryAttribute: string,
    holder: string,
  ) {
    await this.unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: itemKey,
          UpdateExpression: `REMOVE ${holderAttribute}, ${expiryAttribute}`,
          ConditionExpression: `${holderAttribute} = :holder`,
          ExpressionAttributeValues: { ":holder": holder },
        }),
      ),
    );
  }

  private pendingValues(source: IdentitySource, kind: LedgerKind): Item {
    return { ":pending": "pending", ":now": this.iso(), ":pendingKey": statusKey(source, kind, "pending") };
  }

  private userUpdate(
    source: IdentitySource,
    idpId: string,
    change: { set: string; condition: string; values: Item },
  ): UpdateCommand {
    return new UpdateCommand({
      TableName: this.table,
      Key: key.user(source, idpId),
      UpdateExpression: `SET ${change.set}, kind = :kind, #source = :source, idpId = :idpId, gsi2pk = :collection, gsi2sk = :idpId, attempts = if_not_exists(attempts, :zero), ${toPending}`,
      ConditionExpression: change.condition,
      ExpressionAttributeNames: { "#status": "status", "#source": "source" },
      ExpressionAttributeValues: {
        ...change.values,
        ":kind": "USER",
        ":source": source,
        ":idpId": idpId,
        ":collection": `${source}#USERS`,
        ":zero": 0,
        ":pending": "pending",
        ":now": this.iso(),
        ":pendingKey": statusKey(source, "USER", "pending"),
      },
    });
  }

  /** A change to a group (or to one of its memberships) bumps dirtyVersion so the worker loops. */
  private groupUpdate(
    source: IdentitySource,
    idpId: string,
    change: { set: string; values: Item; condition?: string; names?: Record<string, string>; now?: string },
  ): UpdateCommandInput & { UpdateExpression: string } {
    return {
      TableName: this.table,
      Key: key.group(source, idpId),
      UpdateExpression: `SET ${change.set ? `${change.set}, ` : ""}kind = :groupKind, #source = :source, idpId = :idpId, gsi2pk = :groups, gsi2sk = :idpId, createdByUs = if_not_exists(createdByUs, :false), syncedVersion = if_not_exists(syncedVersion, :zero), attempts = if_not_exists(attempts, :zero), ${toPending} ADD dirtyVersion :one`,
      ...(change.condition ? { ConditionExpression: change.condition } : {}),
      ExpressionAttributeNames: { "#status": "status", "#source": "source", ...change.names },
      ExpressionAttributeValues: {
        ...change.values,
        ":groupKind": "GROUP",
        ":source": source,
        ":idpId": idpId,
        ":groups": `${source}#GROUPS`,
        ":false": false,
        ":zero": 0,
        ":one": 1,
        ":pending": "pending",
        ":now": change.now ?? this.iso(),
        ":pendingKey": statusKey(source, "GROUP", "pending"),
      },
    };
  }

  private failureUpdate(itemKey: Item, failedKey: string, failure: SyncFailure): UpdateCommand {
    return new UpdateCommand({
      TableName: this.table,
      Key: itemKey,
      UpdateExpression: `SET ${toFailed}`,
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: {
        ":failed": "failed",
        ":reason": failure.reason.slice(0, 1000),
        ":errorCode": failure.errorCode,
        ":now": this.iso(),
        ":zero": 0,
        ":one": 1,
        ":failedKey": failedKey,
      },
    });
  }

  /** BatchGetItem in chunks of 100, re-asking for unprocessed keys with a short backoff. */
  private async batchGet(keys: readonly Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let start = 0; start < keys.length; start += 100) {
      let pending: Item[] = keys.slice(start, start + 100);
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const result = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
        );
        found.push(...(result.Responses?.[this.table] ?? []));
        pending = (result.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return found;
  }

  /** Every item of a small collection: its keys from the byCollection index, then the items. */
  private async collection(collectionKey: string): Promise<Item[]> {
    const keys = await this.queryAll({
      TableName: this.table,
      IndexName: "byCollection",
      KeyConditionExpression: "gsi2pk = :pk",
      ExpressionAttributeValues: { ":pk": collectionKey },
    });
    return this.batchGet(keys.map((item) => ({ pk: item.pk, sk: item.sk })));
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const result = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      items.push(...(result.Items ?? []));
      ExclusiveStartKey = result.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  /** Resolves true when the write happened, false when its condition said "not newer / not yours". */
  private async unlessConditionFails(write: Promise<unknown>): Promise<boolean> {
    try {
      await write;
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private iso(): string {
    return this.now().toISOString();
  }
}

function syncState(item: Item) {
  return {
    status: (item.status as SyncStatus | undefined) ?? "pending",
    reason: item.reason as string | undefined,
    errorCode: item.errorCode as string | undefined,
    attempts: Number(item.attempts ?? 0),
    pendingSince: item.pendingSince as string | undefined,
    lastAttemptAt: item.lastAttemptAt as string | undefined,
    syncedAt: item.syncedAt as string | undefined,
    retryAt: item.retryAt as string | undefined,
    updatedAt: item.updatedAt as string | undefined,
    attemptHistory: item.attemptHistory as AttemptRecord[] | undefined,
  };
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
  };
}

function toGroupRecord(item: Item): GroupRecord {
  return {
    ...syncState(item),
    source: item.source as IdentitySource,
    idpId: String(item.idpId),
    name: item.name as string | undefined,
    nameVersion: item.nameVersion as string | undefined,
    appliedName: item.appliedName as string | undefined,
    refreshRequestedVersion: item.refreshRequestedVersion as string | undefined,
    refreshedVersion: item.refreshedVersion as string | undefined,
    refreshRunId: (item.refreshRunId as string | undefined) || undefined,
    nestedGroupCount: Number(item.nestedGroupCount ?? 0),
    deleted: item.deleted === true,
    scimId: item.scimId as string | undefined,
    createdByUs: item.createdByUs === true,
    dirtyVersion: Number(item.dirtyVersion ?? 0),
    syncedVersion: Number(item.syncedVersion ?? 0),
    lastSyncedAt: item.lastSyncedAt as string | undefined,
    patchIntent: item.patchIntent as GroupRecord["patchIntent"],
  };
}

function toRunRecord(item: Item): RunRecord {
  return {
    runId: String(item.runId),
    kind: item.runKind as RunRecord["kind"],
    reason: String(item.reason ?? ""),
    startedAt: String(item.startedAt),
    managedUsers: Number(item.managedUsers ?? 0),
    total: Number(item.total ?? 0),
    step: item.step as RunStep | undefined,
    removals: Number(item.removals ?? 0),
    chunks: Number(item.chunks ?? 0),
    itemsDone: Number(item.itemsDone ?? 0),
    finishedAt: item.finishedAt === undefined ? undefined : String(item.finishedAt),
    unmanaged: item.unmanaged as RunRecord["unmanaged"],
    drift: item.drift as RunRecord["drift"],
    skipped: item.skipped as string[] | undefined,
    deep: item.deep === true ? true : undefined,
    updatedAt: String(item.updatedAt ?? item.startedAt),
    error: item.error === undefined ? undefined : String(item.error),
  };
}

function toHeldRemovals(item: Item): HeldRemovals {
  return {
    runId: String(item.runId),
    source: item.source as IdentitySource,
    groupId: String(item.groupId),
    userIds: (item.userIds as string[] | undefined) ?? [],
    reason: String(item.reason),
    heldAt: String(item.heldAt),
  };
}

function toSubscriptionRecord(item: Item): SubscriptionRecord {
  return {
    resource: String(item.resource),
    subscriptionId: String(item.subscriptionId),
    expiresAt: String(item.expiresAt),
    renewalError: item.renewalError as string | undefined,
    renewalFailedAt: item.renewalFailedAt as string | undefined,
  };
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

function toStatusEntry(item: Item, kind: LedgerKind, source: IdentitySource): StatusEntry {
  const id = kind === "MEMBER" ? `${item.groupId}/${item.userId}` : String(item.idpId);
  return { ...syncState(item), kind, source, id };
}
