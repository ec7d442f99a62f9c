import type { SyncEvent } from "../domain/sync-events";

/**
 * Puts an event back on the bus later (EventBridge Scheduler one-time schedules in AWS, timers
 * locally). `name` is deterministic, so scheduling the same retry twice creates one schedule.
 */
export interface RetryScheduler {
  schedule(event: SyncEvent, at: Date, name: string): Promise<void>;
  /**
   * Proves the schedule group exists and may be read, without creating a schedule. Absent when no
   * scheduler is configured, which the preflight reports as skipped.
   */
  probe?(): Promise<void>;
}
