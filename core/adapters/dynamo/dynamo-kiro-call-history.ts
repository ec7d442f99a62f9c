import { randomUUID } from "node:crypto";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { KiroCallBatch, KiroCallHistory } from "../../ports/kiro-call-history";
import { type Item, key, type LedgerTableAccess } from "./ledger-table-access";

/** One partition, sorted by time: the recent batches are one Query, newest first. */
export class DynamoKiroCallHistory implements KiroCallHistory {
  constructor(private readonly table: LedgerTableAccess) {}

  async recordKiroCalls(batch: KiroCallBatch): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...key.kiroCalls(batch.at, randomUUID()),
          kind: "KIROCALLS",
          ...batch,
          expiresAt: Math.floor(Date.parse(batch.at) / 1000) + 86_400,
        },
      }),
    );
  }

  async listKiroCalls(since: string, limit: number): Promise<KiroCallBatch[]> {
    const result = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: "pk = :pk AND sk >= :since",
        ExpressionAttributeValues: { ":pk": key.kiroCalls(since, "").pk, ":since": since },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map(toKiroCallBatch);
  }
}

function toKiroCallBatch(item: Item): KiroCallBatch {
  return {
    at: String(item.at),
    calls: Number(item.calls ?? 0),
    failed: Number(item.failed ?? 0),
    recent: ((item.recent as number[] | undefined) ?? []).map(Number),
    lastFailureAt: item.lastFailureAt === undefined ? undefined : String(item.lastFailureAt),
  };
}
