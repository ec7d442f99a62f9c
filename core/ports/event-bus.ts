import type { SyncEvent } from "../domain/sync-events";

/** Puts events on the bus (EventBridge in AWS, in-process locally). Resolves once all are accepted. */
export interface EventBus {
  publish(events: readonly SyncEvent[]): Promise<void>;
  /**
   * Proves the bus exists and may be used, without putting an event on it. Absent on a bus that is
   * not configured (EVENT_BUS_NAME unset), which the preflight reports as skipped.
   */
  probe?(): Promise<void>;
}
