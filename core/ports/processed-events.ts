import type { IdentitySource } from "../domain/identity-source";
import type { EventChanges } from "./ledger-records";

/** Which IdP events were already recorded (the dedupe window), and a delivery's changes recorded together with their marks. */
export interface ProcessedEvents {
  /** True the first time an event id is seen (within the dedupe window), false for a redelivery. */
  markEventProcessed(source: IdentitySource, eventId: string, ttlSeconds?: number): Promise<boolean>;

  hasProcessedEvent(source: IdentitySource, eventId: string): Promise<boolean>;

  /**
   * The ids among these already processed (within the dedupe window), read at once: a hook
   * delivery must cost a bounded number of round trips, not one per event.
   */
  hasProcessedEvents(source: IdentitySource, eventIds: readonly string[]): Promise<Set<string>>;

  /**
   * Records many events' changes with the semantics of the one-at-a-time writes (newer wins per
   * item, in any arrival order; a refused change never holds back the others), then marks every
   * event processed, so a crash before the marks leaves the whole batch to the redelivery.
   */
  recordEventChanges(
    source: IdentitySource,
    events: readonly EventChanges[],
    ttlSeconds?: number,
  ): Promise<void>;
}
