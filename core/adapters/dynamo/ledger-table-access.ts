import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import {
  type AttemptRecord,
  type GroupRecord,
  type LedgerKind,
  lookupNameMaxBytes,
  type SyncFailure,
  type SyncStatus,
} from "../../ports/ledger-records";
import { chunk, writeRequestsInFlight } from "./change-batches";

export type Item = Record<string, unknown>;
export type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

export const key = {
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
  health: (subject: IdentitySource | "kiro") => ({ pk: "SYNC#HEALTH", sk: subject }),
  scopeCheck: (source: IdentitySource) => ({ pk: "SYNC#SCOPE", sk: source }),
  run: (runId: string) => ({ pk: `RUN#${runId}`, sk: "#RUN" }),
  delivery: (source: IdentitySource, deliveryId: string, part: number) => ({
    pk: `${source}#DELIVERY#${deliveryId}`,
    sk: `PART#${String(part).padStart(4, "0")}`,
  }),
  runItem: (runId: string, source: IdentitySource, kind: "GROUP" | "USER", id: string) => ({
    pk: `RUN#${runId}`,
    sk: `ITEM#${source}#${kind}#${id}`,
  }),
  kiroCalls: (at: string, id: string) => ({ pk: "KIRO#CALLS", sk: `${at}#${id}` }),
  hookRejection: (at: string, id: string) => ({ pk: "HOOK#REJECTED", sk: `${at}#${id}` }),
  held: (runId: string, source: IdentitySource, groupId: string) => ({
    pk: `RUN#${runId}`,
    sk: `HELD#${source}#${groupId}`,
  }),
  /** A user's login or email, or a group's name, in lower case: one partition holds every object so named. */
  alias: (kind: "USER" | "GROUP", name: string) => `ALIAS#${kind}#${name.toLowerCase()}`,
};

export const statusKey = (source: IdentitySource, kind: LedgerKind, status: SyncStatus) =>
  `${source}#${kind}#${status}`;

/**
 * Shared update fragments. A change moves an item to pending and into the byStatus index under the
 * time the *first* unsynced change landed (`if_not_exists`), so the age ops see is the age of the
 * oldest change still waiting, not of the latest retry.
 */
export const toPending =
  "#status = :pending, pendingSince = if_not_exists(pendingSince, :now), gsi1pk = :pendingKey, gsi1sk = if_not_exists(pendingSince, :now), updatedAt = :now";
export const toFailed =
  "#status = :failed, reason = :reason, errorCode = :errorCode, lastAttemptAt = :now, attempts = if_not_exists(attempts, :zero) + :one, pendingSince = if_not_exists(pendingSince, :now), gsi1pk = :failedKey, gsi1sk = if_not_exists(pendingSince, :now), updatedAt = :now";
export const toSynced =
  "#status = :synced, syncedAt = :now, lastAttemptAt = :now, attempts = :zero, updatedAt = :now";

export interface LedgerTableOptions {
  tableName: string;
  client: DynamoDBClient;
  now?: () => Date;
}

/** One per ledger: its modules send through the same DocumentClient and agree on the clock. */
export class LedgerTableAccess {
  readonly db: DynamoDBDocumentClient;
  readonly name: string;
  readonly now: () => Date;

  constructor(options: LedgerTableOptions) {
    this.db = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.name = options.tableName;
    this.now = options.now ?? (() => new Date());
  }

  iso(): string {
    return this.now().toISOString();
  }

  /** BatchGetItem in chunks of 100, re-asking for unprocessed keys with a short backoff. */
  async batchGet(keys: readonly Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let start = 0; start < keys.length; start += 100) {
      let pending: Item[] = keys.slice(start, start + 100);
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const result = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending, ConsistentRead: true } } }),
        );
        found.push(...(result.Responses?.[this.name] ?? []));
        pending = (result.UnprocessedKeys?.[this.name]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return found;
  }

  /** BatchGetItem's chunks of 100 keys sent at once, so a read of any size is one round trip deep. */
  async batchGetAtOnce(keys: readonly Item[]): Promise<Item[]> {
    return (await Promise.all(chunk(keys, 100).map((keysOfChunk) => this.batchGet(keysOfChunk)))).flat();
  }

  /**
   * Unconditional puts, BatchWriteItem's 25 at a time, a few requests in flight, re-sending what
   * DynamoDB left unprocessed with a short backoff. For items that need no condition and no
   * atomicity: they cost half a transaction's write units.
   */
  async batchPut(items: readonly Item[]): Promise<void> {
    await forEachLimited(chunk(items, 25), writeRequestsInFlight, (batch) => this.batchPutChunk(batch));
  }

  private async batchPutChunk(items: readonly Item[]): Promise<void> {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
      const result = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.name]: pending } }));
      pending = (result.UnprocessedItems?.[this.name] ?? []) as typeof pending;
    }
  }

  async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const result = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      items.push(...(result.Items ?? []));
      ExclusiveStartKey = result.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  /** Every item of a small collection: its keys from the byCollection index, then the items. */
  async collection(collectionKey: string): Promise<Item[]> {
    const keys = await this.queryAll({
      TableName: this.name,
      IndexName: "byCollection",
      KeyConditionExpression: "gsi2pk = :pk",
      ExpressionAttributeValues: { ":pk": collectionKey },
    });
    return this.batchGet(keys.map((item) => ({ pk: item.pk, sk: item.sk })));
  }

  /** Removes a claim (lease, creation claim) only if `holder` still holds it. */
  async releaseClaim(itemKey: Item, holderAttribute: string, expiryAttribute: string, holder: string) {
    await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.name,
          Key: itemKey,
          UpdateExpression: `REMOVE ${holderAttribute}, ${expiryAttribute}`,
          ConditionExpression: `${holderAttribute} = :holder`,
          ExpressionAttributeValues: { ":holder": holder },
        }),
      ),
    );
  }

  /**
   * The alias items that let a user be found by login or email and a group by name with one Query
   * on the table (`ALIAS#{kind}#{name}` → `{source}#{id}`), written in the same transaction as the
   * record that carries the name. Alias items, rather than a GSI on the record: a user has two names
   * (login and email) and one GSI key attribute holds one, so a GSI would take two indexes and two
   * queries per lookup; the aliases need no schema change, and the base table answers consistently.
   * A rename leaves the old alias behind (deleting it would need a read of the old name first, on
   * the write path): readers check each candidate's current name, so a stale alias only costs a
   * key in the batch read. Names past {@link lookupNameMaxBytes} get none.
   */
  aliasPuts(
    kind: "USER" | "GROUP",
    names: readonly (string | undefined)[],
    source: IdentitySource,
    idpId: string,
  ): TransactItem[] {
    const usable = names.filter(
      (name): name is string =>
        name !== undefined && name !== "" && Buffer.byteLength(name) <= lookupNameMaxBytes,
    );
    return [...new Set(usable.map((name) => key.alias(kind, name)))].map((pk) => ({
      Put: { TableName: this.name, Item: { pk, sk: `${source}#${idpId}`, kind: "ALIAS", source, idpId } },
    }));
  }

  /**
   * A conditional update together with its alias items, all or nothing: false when the update's
   * condition refused it (then no alias is written either). A transaction that met another one on
   * the same item is sent again after a short backoff.
   */
  async updateWithAliases(
    update: UpdateCommandInput & { UpdateExpression: string },
    aliases: readonly TransactItem[],
  ): Promise<boolean> {
    if (aliases.length === 0) return unlessConditionFails(this.db.send(new UpdateCommand(update)));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...aliases] }));
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (codes[0] === "ConditionalCheckFailed") return false;
        if (!codes.some((code) => code === "TransactionConflict") || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
      }
    }
  }

  /** The items named `name` (their keys from the alias partition, then the items, read consistently). */
  async itemsByAlias(kind: "USER" | "GROUP", name: string): Promise<Item[]> {
    if (name === "" || Buffer.byteLength(name) > lookupNameMaxBytes) return [];
    const aliases = await this.queryAll({
      TableName: this.name,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": key.alias(kind, name) },
      ConsistentRead: true,
    });
    const itemKey = kind === "USER" ? key.user : key.group;
    const items = await this.batchGet(
      aliases.map((alias) => itemKey(alias.source as IdentitySource, String(alias.idpId))),
    );
    return items.sort((a, b) => `${a.source}#${a.idpId}`.localeCompare(`${b.source}#${b.idpId}`));
  }

  pendingValues(source: IdentitySource, kind: LedgerKind): Item {
    return { ":pending": "pending", ":now": this.iso(), ":pendingKey": statusKey(source, kind, "pending") };
  }

  userUpdate(
    source: IdentitySource,
    idpId: string,
    change: { set: string; condition: string; values: Item },
  ): UpdateCommand {
    return new UpdateCommand({
      TableName: this.name,
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

  profileRequestUpdate(
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

  /** A change to a group (or to one of its memberships) bumps dirtyVersion so the worker loops. */
  groupUpdate(
    source: IdentitySource,
    idpId: string,
    change: { set: string; values: Item; condition?: string; names?: Record<string, string>; now?: string },
  ): UpdateCommandInput & { UpdateExpression: string } {
    return {
      TableName: this.name,
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

  desiredMembershipUpdate(
    source: IdentitySource,
    change: { groupId: string; userId: string; desired: boolean; version: string },
    now: string,
  ): UpdateCommandInput & { UpdateExpression: string } {
    return {
      TableName: this.name,
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

  failureUpdate(itemKey: Item, failedKey: string, failure: SyncFailure): UpdateCommand {
    return new UpdateCommand({
      TableName: this.name,
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
}

/** Resolves true when the write happened, false when its condition said "not newer / not yours". */
export async function unlessConditionFails(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export function syncState(item: Item) {
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

export function toGroupRecord(item: Item): GroupRecord {
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
    queuedByRun: item.queuedByRun as string | undefined,
    nestedGroupCount: Number(item.nestedGroupCount ?? 0),
    deleted: item.deleted === true,
    scimId: item.scimId as string | undefined,
    createdByUs: item.createdByUs === true,
    dirtyVersion: Number(item.dirtyVersion ?? 0),
    syncedVersion: Number(item.syncedVersion ?? 0),
    lastSyncedAt: item.lastSyncedAt as string | undefined,
    patchIntent: item.patchIntent as GroupRecord["patchIntent"],
    lease:
      item.leaseOwner === undefined
        ? undefined
        : { owner: String(item.leaseOwner), expiresAt: new Date(Number(item.leaseExpiresAt)).toISOString() },
  };
}
