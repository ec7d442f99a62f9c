import type { SyncEvent } from "../domain/sync-events";

/** Puts events on the bus (EventBridge in AWS, in-process locally). Resolves once all are accepted. */
export interface EventBus {
  publish(events: readonly SyncEvent[]): Promise<void>;
}
