import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import type { EventChanges } from "../../ports/ledger-records";
import type { ProcessedEvents } from "../../ports/processed-events";
import {
  chunk,
  groupTransactions,
  ingestTransactionItems,
  newestChangePerItem,
  type PlannedChange,
  writeRequestsInFlight,
} from "./change-batches";
import { key, type LedgerTableAccess, type TransactItem, unlessConditionFails } from "./ledger-table-access";

/** A batched change that is an item of its own (a name change rides on the group's item). */
type ItemChange = Exclude<PlannedChange, { kind: "name" }>;

/**
 * Event marks are items that expire (TTL), so the dedupe window keeps itself; a delivery's changes
 * and marks are written in a fixed number of rounds, however many events it carries.
 */
export class DynamoProcessedEvents implements ProcessedEvents {
  constructor(
    private readonly table: LedgerTableAccess,
    private readonly eventTtlSeconds: number,
  ) {}

  async markEventProcessed(
    source: IdentitySource,
    eventId: string,
    ttlSeconds = this.eventTtlSeconds,
  ): Promise<boolean> {
    const nowSeconds = Math.floor(this.table.now().getTime() / 1000);
    return unlessConditionFails(
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...key.event(source, eventId), kind: "EVENT", expiresAt: nowSeconds + ttlSeconds },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :nowSeconds",
          ExpressionAttributeValues: { ":nowSeconds": nowSeconds },
        }),
      ),
    );
  }

  async hasProcessedEvent(source: IdentitySource, eventId: string): Promise<boolean> {
    const result = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: "pk = :pk AND sk = :sk",
        ExpressionAttributeValues: { ":pk": key.event(source, eventId).pk, ":sk": "#EVENT" },
        ConsistentRead: true,
      }),
    );
    const expiresAt = Number(result.Items?.[0]?.expiresAt ?? 0);
    return expiresAt > Math.floor(this.table.now().getTime() / 1000);
  }

  async hasProcessedEvents(source: IdentitySource, eventIds: readonly string[]): Promise<Set<string>> {
    const prefix = key.event(source, "").pk;
    const nowSeconds = Math.floor(this.table.now().getTime() / 1000);
    const items = await this.table.batchGetAtOnce([...new Set(eventIds)].map((id) => key.event(source, id)));
    return new Set(
      items
        .filter((item) => Number(item.expiresAt ?? 0) > nowSeconds)
        .map((item) => String(item.pk).slice(prefix.length)),
    );
  }

  /**
   * Three steps: a read of the items the changes touch, which leaves out the writes their condition
   * would refuse (an older version, a user who has a profile) so a stale event does not cancel the
   * transaction it shares; the transactions, a few at a time, a group's one after another; the
   * event marks, plain batched puts, since a mark needs no condition. A condition that still fails
   * (a concurrent writer got there first) cancels its transaction, which is sent again without
   * that write.
   */
  async recordEventChanges(
    source: IdentitySource,
    events: readonly EventChanges[],
    ttlSeconds = this.eventTtlSeconds,
  ): Promise<void> {
    if (events.length === 0) return;
    const changes = await this.applicableChanges(source, newestChangePerItem(events));
    const now = this.table.iso();
    const groupChains = [...groupTransactions(changes)].map(([groupId, transactions]) => async () => {
      for (const transaction of transactions)
        await this.writeGroupTransaction(source, groupId, transaction, now);
    });
    const profileRequests = chunk(
      changes.filter((change) => change.kind === "profile"),
      ingestTransactionItems,
    ).map(
      (transaction) => () =>
        this.writeChangeTransaction(source, transaction, () => ({ items: [], changes: [] }), now),
    );
    await forEachLimited([...groupChains, ...profileRequests], writeRequestsInFlight, (write) => write());
    const expiresAt = Math.floor(this.table.now().getTime() / 1000) + ttlSeconds;
    await this.table.batchPut(
      [...new Set(events.map((event) => event.eventId))].map((eventId) => ({
        ...key.event(source, eventId),
        kind: "EVENT",
        expiresAt,
      })),
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
    const items = await this.table.batchGetAtOnce(changes.map(itemKey));
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
   * if any and counts one dirtyVersion per recorded change, as the one-at-a-time writes do. A name
   * change brings its alias item (see `aliasPuts`); it takes the slot the name would have had as an
   * item of its own, so a transaction still holds at most 100 items.
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
        const update = this.table.groupUpdate(source, groupId, {
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
        const alias = name ? this.table.aliasPuts("GROUP", [name.name], source, groupId) : [];
        return {
          items: [
            {
              Update: {
                ...update,
                ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...dirtyBy },
              },
            },
            ...alias,
          ],
          changes: [name ? [name] : [], ...alias.map(() => [])],
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
        await this.table.db.send(new TransactWriteCommand({ TransactItems: items }));
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
    if (change.kind === "member") return { Update: this.table.desiredMembershipUpdate(source, change, now) };
    const { input } = this.table.profileRequestUpdate(source, change.userId, change.version, {
      onlyIfKnown: false,
      onlyIfNoProfile: true,
    });
    return { Update: { ...input, UpdateExpression: String(input.UpdateExpression) } };
  }
}
