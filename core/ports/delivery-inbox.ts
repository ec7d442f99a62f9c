import type { IdentitySource } from "../domain/identity-source";

/** A delivery the hook kept, as the ingest worker and the sweep see it. */
export interface WaitingDelivery {
  source: IdentitySource;
  deliveryId: string;
  receivedAt: string;
}

/**
 * Hook deliveries between their acknowledgement and their ingest. Keeping one is the only write a
 * hook makes, so its answer costs one round trip whatever the delivery's size or the load on the
 * ledger; a delivery stays until ingested (no expiry), so a failing ingest is retried, never lost.
 */
export interface DeliveryInbox {
  /**
   * Keeping the same id again (an IdP retry) replaces it: the delivery is held once. `rejectedEvents`:
   * events the hook refused and did not keep, counted by the ingest (the hook writes nothing else).
   */
  keepDelivery(
    source: IdentitySource,
    deliveryId: string,
    events: readonly unknown[],
    rejectedEvents?: number,
  ): Promise<void>;

  /** The kept events, or undefined once the delivery is ingested (or never was kept). */
  readDelivery(
    source: IdentitySource,
    deliveryId: string,
  ): Promise<{ receivedAt: string; events: unknown[]; rejectedEvents: number } | undefined>;

  forgetDelivery(source: IdentitySource, deliveryId: string): Promise<void>;

  /** Deliveries still waiting, oldest first, at most `limit`. */
  listWaitingDeliveries(limit: number): Promise<WaitingDelivery[]>;
}
