import type { SyncEvent } from "../domain/sync-events";

export interface ScheduleOptions {
  /**
   * Not work in flight but a later look: a re-check that only matters if a worker died (a busy
   * group's lease ending), or a paused sync's probe (up to 15 minutes out). Nothing waits for it
   * (the local bus's `idle()` does not) until it fires.
   */
  safetyNet?: boolean;
}

/**
 * Puts an event back on the bus later (EventBridge Scheduler one-time schedules in AWS, timers
 * locally). `name` is deterministic, so scheduling the same retry twice creates one schedule.
 */
export interface RetryScheduler {
  schedule(event: SyncEvent, at: Date, name: string, options?: ScheduleOptions): Promise<void>;
  /**
   * Proves the schedule group exists and may be read, without creating a schedule. Absent when no
   * scheduler is configured, which the preflight reports as skipped.
   */
  probe?(): Promise<void>;
}
