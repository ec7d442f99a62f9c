import type { IdentitySource } from "../../../core/domain/identity-source";
import type { DeliveryInbox, WaitingDelivery } from "../../../core/ports/delivery-inbox";
import { compareStrings, copy, type LedgerState } from "./in-memory-state";

/**
 * {@link DeliveryInbox} in memory: kept deliveries by source and id, listed by arrival as the
 * adapter's index sorts them (`receivedAt#source#id`). No other port reads them, so they live here.
 */
export class InMemoryDeliveryInbox implements DeliveryInbox {
  private readonly deliveries = new Map<
    string,
    WaitingDelivery & { events: unknown[]; rejectedEvents: number }
  >();

  constructor(private readonly state: LedgerState) {}

  async keepDelivery(
    source: IdentitySource,
    deliveryId: string,
    events: readonly unknown[],
    rejectedEvents = 0,
  ): Promise<void> {
    this.deliveries.set(`${source}#${deliveryId}`, {
      source,
      deliveryId,
      receivedAt: this.state.iso(),
      events: copy([...events]),
      rejectedEvents,
    });
  }

  async readDelivery(
    source: IdentitySource,
    deliveryId: string,
  ): Promise<{ receivedAt: string; events: unknown[]; rejectedEvents: number } | undefined> {
    const kept = this.deliveries.get(`${source}#${deliveryId}`);
    return kept
      ? { receivedAt: kept.receivedAt, events: copy(kept.events), rejectedEvents: kept.rejectedEvents }
      : undefined;
  }

  async forgetDelivery(source: IdentitySource, deliveryId: string): Promise<void> {
    this.deliveries.delete(`${source}#${deliveryId}`);
  }

  async listWaitingDeliveries(limit: number): Promise<WaitingDelivery[]> {
    const sortKey = (delivery: WaitingDelivery) =>
      `${delivery.receivedAt}#${delivery.source}#${delivery.deliveryId}`;
    return [...this.deliveries.values()]
      .sort((a, b) => compareStrings(sortKey(a), sortKey(b)))
      .slice(0, limit)
      .map(({ source, deliveryId, receivedAt }) => ({ source, deliveryId, receivedAt }));
  }
}
