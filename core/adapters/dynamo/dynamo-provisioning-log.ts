import { randomUUID } from "node:crypto";
import { QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { IdentitySource } from "../../domain/identity-source";
import type {
  LogEntry,
  LogPage,
  LogWindow,
  ProvisioningLog,
  ProvisioningLogEntry,
} from "../../ports/provisioning-log";
import type { Item, LedgerTableAccess } from "./ledger-table-access";

const logKey = (source: IdentitySource, kind: "USER" | "GROUP", id: string) => `LOG#${source}#${kind}#${id}`;
const dayKey = (iso: string) => `LOG#${iso.slice(0, 10)}`;
const operatorKey = "LOG#OPERATOR";

/**
 * Entries live in their object's partition: a user's under the user, a group's and its members'
 * under the group, with a membership's also indexed under its user (byCollection), so one object's
 * history is one query. Operators' requests share one partition of their own. The byStatus index
 * holds every entry by day, for the whole log by time. Items expire after the retention period (TTL).
 */
export class DynamoProvisioningLog implements ProvisioningLog {
  constructor(
    private readonly table: LedgerTableAccess,
    private readonly retentionDays: number,
  ) {}

  async appendLogEntries(entries: readonly LogEntry[]): Promise<void> {
    await this.table.batchPut(entries.map((entry) => this.toItem(entry)));
  }

  async listObjectLog(
    source: IdentitySource,
    kind: "USER" | "GROUP",
    objectId: string,
    window: LogWindow,
  ): Promise<LogPage> {
    const range = { ":since": window.since, ":until": `${window.until}~` };
    if (kind === "GROUP") {
      return this.page(
        {
          TableName: this.table.name,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :since AND :until",
          ExpressionAttributeValues: { ":pk": logKey(source, "GROUP", objectId), ...range },
        },
        window,
        false,
      );
    }
    return this.page(
      {
        TableName: this.table.name,
        IndexName: "byCollection",
        KeyConditionExpression: "gsi2pk = :pk AND gsi2sk BETWEEN :since AND :until",
        ExpressionAttributeValues: { ":pk": logKey(source, "USER", objectId), ...range },
      },
      window,
      true,
    );
  }

  async listLog(window: LogWindow): Promise<LogPage<LogEntry>> {
    const cursor = window.after ? decode<{ day: string; key?: Item }>(window.after) : undefined;
    const entries: LogEntry[] = [];
    for (
      let day = cursor?.day ?? window.until.slice(0, 10);
      day >= window.since.slice(0, 10);
      day = previousDay(day)
    ) {
      let startKey = day === cursor?.day ? cursor.key : undefined;
      do {
        const result = await this.table.db.send(
          new QueryCommand({
            TableName: this.table.name,
            IndexName: "byStatus",
            KeyConditionExpression: "gsi1pk = :pk AND gsi1sk BETWEEN :since AND :until",
            ...(window.result
              ? {
                  FilterExpression: "#entry.#result = :result",
                  ExpressionAttributeNames: { "#entry": "entry", "#result": "result" },
                }
              : {}),
            ExpressionAttributeValues: {
              ":pk": dayKey(day),
              ":since": window.since,
              ":until": `${window.until}~`,
              ...(window.result ? { ":result": window.result } : {}),
            },
            ScanIndexForward: false,
            Limit: window.limit - entries.length,
            ExclusiveStartKey: startKey,
          }),
        );
        entries.push(...(result.Items ?? []).map((item) => toEntry<LogEntry>(item)));
        startKey = result.LastEvaluatedKey;
        if (entries.length >= window.limit)
          return { entries, next: encode({ day: startKey ? day : previousDay(day), key: startKey }) };
      } while (startKey);
    }
    return { entries };
  }

  private async page(input: QueryCommandInput, window: LogWindow, keysOnly: boolean): Promise<LogPage> {
    const result = await this.table.db.send(
      new QueryCommand({
        ...input,
        ScanIndexForward: false,
        Limit: window.limit,
        ExclusiveStartKey: window.after ? decode<Item>(window.after) : undefined,
      }),
    );
    const found = keysOnly
      ? await this.table.batchGet((result.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk })))
      : (result.Items ?? []);
    const entries = found
      .sort((a, b) => String(b.sk).localeCompare(String(a.sk)))
      .map((item) => toEntry(item));
    return { entries, next: result.LastEvaluatedKey ? encode(result.LastEvaluatedKey) : undefined };
  }

  private toItem(entry: LogEntry): Item {
    const sortKey = `${entry.at}#${randomUUID().slice(0, 8)}`;
    const expiresAt = Math.floor(Date.parse(entry.at) / 1000) + this.retentionDays * 86_400;
    if (entry.kind === "OPERATOR")
      return {
        pk: operatorKey,
        sk: sortKey,
        kind: "LOG",
        entry,
        gsi1pk: dayKey(entry.at),
        gsi1sk: sortKey,
        expiresAt,
      };
    const [groupId, userId] =
      entry.kind === "MEMBER" ? entry.objectId.split("/") : [entry.objectId, entry.objectId];
    const partition =
      entry.kind === "USER"
        ? logKey(entry.source, "USER", entry.objectId)
        : logKey(entry.source, "GROUP", groupId!);
    const userIndex =
      entry.kind === "GROUP" ? {} : { gsi2pk: logKey(entry.source, "USER", userId!), gsi2sk: sortKey };
    return {
      pk: partition,
      sk: sortKey,
      kind: "LOG",
      entry,
      gsi1pk: dayKey(entry.at),
      gsi1sk: sortKey,
      ...userIndex,
      expiresAt,
    };
  }
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const decode = <T>(cursor: string) => JSON.parse(Buffer.from(cursor, "base64url").toString()) as T;

function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - 86_400_000).toISOString().slice(0, 10);
}

function toEntry<Entry extends LogEntry = ProvisioningLogEntry>(item: Item): Entry {
  return item.entry as Entry;
}
