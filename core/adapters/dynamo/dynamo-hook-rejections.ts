import { randomUUID } from "node:crypto";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { IdentitySource } from "../../domain/identity-source";
import type { HookRejection, HookRejections } from "../../ports/hook-rejections";
import { type Item, key, type LedgerTableAccess } from "./ledger-table-access";

/** One put per rejection, in one partition sorted by time: the recent ones are one Query. */
export class DynamoHookRejections implements HookRejections {
  constructor(private readonly table: LedgerTableAccess) {}

  async recordHookRejection(rejection: HookRejection): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...key.hookRejection(rejection.at, randomUUID()),
          kind: "HOOKREJECTION",
          ...rejection,
          expiresAt: Math.floor(Date.parse(rejection.at) / 1000) + 86_400,
        },
      }),
    );
  }

  async listHookRejections(since: string, limit: number): Promise<HookRejection[]> {
    const result = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: "pk = :pk AND sk >= :since",
        ExpressionAttributeValues: { ":pk": key.hookRejection(since, "").pk, ":since": since },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map(toHookRejection);
  }
}

function toHookRejection(item: Item): HookRejection {
  return {
    at: String(item.at),
    source: item.source as IdentitySource,
    reason: String(item.reason),
    status: Number(item.status),
    count: Number(item.count ?? 1),
  };
}
