import type { IdentitySource } from "../../../core/domain/identity-source";
import type { ItemSyncState, LedgerKind, StatusEntry, SyncStatus } from "../../../core/ports/ledger-records";
import type { StatusQueries } from "../../../core/ports/status-queries";
import {
  compareStrings,
  type GroupItem,
  type LedgerState,
  syncState,
  type UserItem,
} from "./in-memory-state";

/** One item as the byStatus index would hold it. */
interface Indexed {
  entry: StatusEntry;
  /** The index's sort key: when the change landed (pending, failed, quarantined) or was synced. */
  since: string;
  /** The item's table key, for ties on `since` (DynamoDB does not promise an order for them). */
  tableKey: string;
}

/**
 * {@link StatusQueries} over {@link LedgerState}, reading the user, group and membership items the
 * other ports write. Where DynamoLedger keeps an item in the byStatus index is derived from the
 * item itself, as the adapter's writes set the index keys: any item with a status is indexed under
 * it, by `pendingSince` (pending, failed, quarantined: when its oldest waiting change landed) or by
 * `syncedAt` (synced); a synced membership leaves the index.
 */
export class InMemoryStatusQueries implements StatusQueries {
  constructor(private readonly state: LedgerState) {}

  /** Oldest first; a limit below 1 is refused, as DynamoDB refuses it. */
  async listByStatus(
    source: IdentitySource,
    kind: LedgerKind,
    status: SyncStatus,
    limit: number,
  ): Promise<StatusEntry[]> {
    if (limit < 1) throw new Error("ValidationException: Limit must be greater than or equal to 1");
    return indexed(this.state, source, kind, status)
      .sort((a, b) => compareStrings(a.since, b.since) || compareStrings(a.tableKey, b.tableKey))
      .slice(0, limit)
      .map((found) => found.entry);
  }

  async countByStatus(source: IdentitySource, kind: LedgerKind, status: SyncStatus): Promise<number> {
    if (kind === "MEMBER" && status === "synced") {
      throw new Error("synced memberships are not indexed by status (sparse index); count them per group");
    }
    return indexed(this.state, source, kind, status).length;
  }

  /**
   * Ids of the users or groups a change was recorded for (not bare items a bookkeeping update
   * made), in id order after `after`. `last` is set whenever the page is full, even when no id
   * follows (DynamoDB stops at the limit without looking further): the next page is then empty.
   */
  async pageIds(
    source: IdentitySource,
    kind: "USER" | "GROUP",
    page: { after?: string | undefined; limit: number },
  ): Promise<{ ids: string[]; last: string | undefined }> {
    if (page.limit < 1) throw new Error("ValidationException: Limit must be greater than or equal to 1");
    const items: ReadonlyMap<string, UserItem | GroupItem> =
      kind === "USER" ? this.state.users : this.state.groups;
    const after = page.after;
    const ids = [...items.entries()]
      .filter(([itemKey, item]) => item.listed && sourceOf(itemKey) === source)
      .map(([, item]) => String(item.idpId))
      .filter((id) => after === undefined || compareStrings(id, after) > 0)
      .sort(compareStrings)
      .slice(0, page.limit);
    return { ids, last: ids.length === page.limit ? ids.at(-1) : undefined };
  }
}

/** The items of one byStatus partition, `{source}#{kind}#{status}`, unsorted. */
function indexed(
  state: LedgerState,
  source: IdentitySource,
  kind: LedgerKind,
  status: SyncStatus,
): Indexed[] {
  const found: Indexed[] = [];
  const add = (item: Partial<ItemSyncState>, id: string, tableKey: string) => {
    if (item.status !== status) return;
    if (kind === "MEMBER" && status === "synced") return;
    const since = status === "synced" ? item.syncedAt : item.pendingSince;
    if (since === undefined) return;
    found.push({ entry: { ...syncState(item), kind, source, id }, since, tableKey });
  };
  if (kind === "USER" || kind === "GROUP") {
    const items: ReadonlyMap<string, UserItem | GroupItem> = kind === "USER" ? state.users : state.groups;
    for (const [itemKey, item] of items) {
      if (sourceOf(itemKey) === source) add(item, String(item.idpId), itemKey);
    }
    return found;
  }
  for (const [groupKey, members] of state.memberships) {
    if (sourceOf(groupKey) !== source) continue;
    for (const [userId, item] of members) {
      add(item, `${item.groupId}/${item.userId}`, `${groupKey}\u0000${userId}`);
    }
  }
  return found;
}

/** The source of an item key (`source#id`): sources hold no `#`. */
const sourceOf = (itemKey: string) => itemKey.slice(0, itemKey.indexOf("#"));
