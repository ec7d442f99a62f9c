import type { EventChanges } from "../../ports/ledger-records";

/** One conditional write of a batch, with the version that decides it (newer wins). */
export type PlannedChange =
  | { kind: "member"; groupId: string; userId: string; desired: boolean; version: string }
  | { kind: "profile"; userId: string; version: string }
  | { kind: "name"; groupId: string; name: string; version: string };

/**
 * Items per transaction the ingest writes: a quarter of TransactWriteItems' limit of 100. A
 * transaction is all or nothing, so a conflict with one concurrent writer cancels and re-sends all
 * of it; and a store that serialises writes (DynamoDB Local, under the local runtime and the tests)
 * keeps every other write waiting until the whole transaction commits, the Okta hook's one PutItem
 * included: with 100 items that wait alone came near Okta's budget while a sync ran.
 */
export const ingestTransactionItems = 25;

/**
 * Write requests one batched write keeps in flight. Sent all at once, a 400-event delivery's 16
 * transactions queued ahead of every other writer of a serialising store for their whole sum.
 */
export const writeRequestsInFlight = 4;

/**
 * Of several changes to one item, only the newest can win, whichever arrived first; the older
 * ones would be refused by the item's condition anyway. Keeping one change per item is also what
 * a transaction needs: it may name an item only once.
 */
export function newestChangePerItem(events: readonly EventChanges[]): PlannedChange[] {
  const newest = new Map<string, PlannedChange>();
  const keep = (itemKey: string, change: PlannedChange) => {
    const held = newest.get(itemKey);
    if (!held || held.version < change.version) newest.set(itemKey, change);
  };
  for (const event of events) {
    if (event.membership)
      keep(`member|${event.membership.groupId}|${event.membership.userId}`, {
        kind: "member",
        ...event.membership,
      });
    if (event.profileRequest)
      keep(`user|${event.profileRequest.userId}`, { kind: "profile", ...event.profileRequest });
    if (event.groupName) keep(`group|${event.groupName.groupId}`, { kind: "name", ...event.groupName });
  }
  return [...newest.values()];
}

/**
 * A group's membership changes and name, in transactions that each also update the group item
 * once (so the group is dirty exactly when one of them is recorded). They are sent one after
 * another: transactions naming the same item at once would cancel each other.
 */
export function groupTransactions(changes: readonly PlannedChange[]): Map<string, PlannedChange[][]> {
  const byGroup = new Map<string, PlannedChange[]>();
  for (const change of changes) {
    if (change.kind === "profile") continue;
    byGroup.set(change.groupId, [...(byGroup.get(change.groupId) ?? []), change]);
  }
  return new Map(
    [...byGroup].map(([groupId, ofGroup]) => [groupId, chunk(ofGroup, ingestTransactionItems - 1)]),
  );
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}
