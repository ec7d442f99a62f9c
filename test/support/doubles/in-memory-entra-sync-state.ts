import type { EntraSyncState } from "../../../core/ports/entra-sync-state";
import type { SubscriptionRecord } from "../../../core/ports/ledger-records";
import { compareStrings, copy, type LedgerState } from "./in-memory-state";

/**
 * {@link EntraSyncState} in memory: subscriptions and delta links, which no other port reads (so
 * they live here; the {@link LedgerState} gives the clock).
 */
export class InMemoryEntraSyncState implements EntraSyncState {
  private readonly subscriptions = new Map<string, SubscriptionRecord>();
  private readonly deltaLinks = new Map<string, { deltaLink?: string; updatedAt: string }>();

  constructor(private readonly state: LedgerState) {}

  async getSubscription(resource: string): Promise<SubscriptionRecord | undefined> {
    const record = this.subscriptions.get(resource);
    return record ? toSubscriptionRecord(record) : undefined;
  }

  /** Replaces the resource's record whole, so a renewal error not named again is gone. */
  async recordSubscription(record: SubscriptionRecord): Promise<void> {
    this.subscriptions.set(record.resource, copy(record));
  }

  /** In resource order, as the collection index holds them (DynamoLedger's batch read does not promise an order). */
  async listSubscriptions(): Promise<SubscriptionRecord[]> {
    return [...this.subscriptions.values()]
      .sort((a, b) => compareStrings(a.resource, b.resource))
      .map(toSubscriptionRecord);
  }

  async getDeltaLink(name: string): Promise<string | undefined> {
    return this.deltaLinks.get(name)?.deltaLink;
  }

  /** No link (or an empty one) clears the name's link. */
  async recordDeltaLink(name: string, deltaLink: string | undefined): Promise<void> {
    this.deltaLinks.set(name, { updatedAt: this.state.iso(), ...(deltaLink ? { deltaLink } : {}) });
  }
}

function toSubscriptionRecord(record: SubscriptionRecord): SubscriptionRecord {
  return {
    resource: record.resource,
    subscriptionId: record.subscriptionId,
    expiresAt: record.expiresAt,
    renewalError: record.renewalError,
    renewalFailedAt: record.renewalFailedAt,
  };
}
