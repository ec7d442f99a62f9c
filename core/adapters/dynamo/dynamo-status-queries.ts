import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { IdentitySource } from "../../domain/identity-source";
import type { LedgerKind, StatusEntry, SyncStatus } from "../../ports/ledger-records";
import type { StatusQueries } from "../../ports/status-queries";
import { type Item, key, type LedgerTableAccess, statusKey, syncState } from "./ledger-table-access";

/**
 * Reads through the indexes only: byStatus for ages and counts, byCollection (keys only) for paging
 * ids without reading the items.
 */
export class DynamoStatusQueries implements StatusQueries {
  constructor(private readonly table: LedgerTableAccess) {}

  async listByStatus(
    source: IdentitySource,
    kind: LedgerKind,
    status: SyncStatus,
    limit: number,
  ): Promise<StatusEntry[]> {
    const result = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
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
      const result = await this.table.db.send(
        new QueryCommand({
          TableName: this.table.name,
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
      const result = await this.table.db.send(
        new QueryCommand({
          TableName: this.table.name,
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
}

function toStatusEntry(item: Item, kind: LedgerKind, source: IdentitySource): StatusEntry {
  const id = kind === "MEMBER" ? `${item.groupId}/${item.userId}` : String(item.idpId);
  return { ...syncState(item), kind, source, id };
}
