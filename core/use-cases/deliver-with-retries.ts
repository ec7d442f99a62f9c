import { createHash } from "node:crypto";
import { ScimError, SyncError } from "../domain/errors";
import { hasAttemptsLeft, maxRetryAfterMs, type RetryPolicy, retryDelayMs } from "../domain/retry-policy";
import type { SyncEvent } from "../domain/sync-events";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { AttemptRecord } from "../ports/ledger-records";
import type { RetryScheduler } from "../ports/retry-scheduler";
import type { RunRecords } from "../ports/run-records";
import type { StatusQueries } from "../ports/status-queries";
import type { SyncControl } from "../ports/sync-control";
import { reportGroupToRun } from "./run-progress";
import { sweepStranded } from "./sweep-stranded";

export interface RetryDependencies {
  ledger: GroupRecords & GroupSyncState & RunRecords & StatusQueries & SyncControl;
  bus: EventBus;
  retries: RetryScheduler;
  policy: RetryPolicy;
  /** One cheap authenticated call: while paused, a success lifts the pause before any work is done. */
  probeCredentials?: () => Promise<unknown>;
  /** How often a paused sync tries the credentials again. */
  pauseProbeMs?: number;
  now?: () => Date;
}

export type Delivery<T> =
  | { outcome: "done"; result: T }
  | { outcome: "retry-scheduled"; attempt: number; at: string; errorCode: string }
  | { outcome: "quarantined"; errorCode: string; reason: string }
  | { outcome: "paused"; reason: string };

/**
 * Runs the work an event asks for under the one retry policy. A retryable failure puts the event
 * back on the bus later with attempt+1 (Retry-After is a floor); past the attempt limit, or on a
 * permanent failure, the group is quarantined (a run is stopped) with its attempt history. Refused
 * credentials pause the whole sync instead: one worker per interval probes, the others leave their
 * change pending, and the first success lifts the pause and drains the backlog.
 */
export async function deliverWithRetries<T>(
  event: SyncEvent,
  work: () => Promise<T>,
  deps: RetryDependencies,
): Promise<Delivery<T>> {
  const now = (deps.now ?? (() => new Date()))();
  const probeMs = deps.pauseProbeMs ?? 60_000;
  const touchesKiro = event.type === "GroupChanged";
  const pause = touchesKiro ? await deps.ledger.getSyncPause() : undefined;
  try {
    if (pause) {
      if (!(await deps.ledger.claimPauseProbe(now.toISOString(), later(now, probeMs))))
        return { outcome: "paused", reason: pause.reason };
      await deps.probeCredentials?.();
      await deps.ledger.clearSyncPause();
      await sweepStranded(deps, { olderThanMs: 0 });
    }
    const result = await work();
    return { outcome: "done", result };
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    const attempt = event.detail.attempt ?? 1;
    const record: AttemptRecord = {
      attempt,
      at: now.toISOString(),
      errorCode: error.code,
      reason: error.message,
    };
    if (touchesKiro && (error.code.endsWith(".AUTH") || asksForLongWait(error))) {
      const probeAt = later(now, asksForLongWait(error) ? maxRetryAfterMs : probeMs);
      await deps.ledger.pauseSync({
        reason: error.message,
        errorCode: error.code,
        since: now.toISOString(),
        probeAt,
      });
      await deps.retries.schedule(event, new Date(probeAt), scheduleName(event, `probe-${probeAt}`), {
        safetyNet: true,
      });
      return { outcome: "paused", reason: error.message };
    }
    if (error.retryable && hasAttemptsLeft(deps.policy, attempt)) {
      const retryAfterMs = error instanceof ScimError ? error.retryAfterMs : undefined;
      const at = new Date(now.getTime() + retryDelayMs(deps.policy, attempt, retryAfterMs));
      await recordRetry(event, record, at.toISOString(), deps.ledger);
      const next = { ...event, detail: { ...event.detail, attempt: attempt + 1 } } as SyncEvent;
      await deps.retries.schedule(next, at, scheduleName(event, `attempt-${attempt + 1}`));
      return {
        outcome: "retry-scheduled",
        attempt: attempt + 1,
        at: at.toISOString(),
        errorCode: error.code,
      };
    }
    await giveUp(event, record, deps.ledger);
    if (event.type === "GroupChanged") {
      const group = await deps.ledger.getGroup(event.detail.source, event.detail.groupId);
      if (group)
        await reportGroupToRun(
          group,
          { state: "failed", reason: error.message, errorCode: error.code },
          deps,
        );
    }
    return { outcome: "quarantined", errorCode: error.code, reason: error.message };
  }
}

/**
 * A group found busy under another worker's lease is looked at again just after that lease ends:
 * a live holder will have finished it (the re-check finds nothing to do), a dead one would leave it
 * to the sweep. The name is the lease's end, so every delivery that met the same lease makes one.
 */
export async function recheckWhenLeaseEnds(
  event: SyncEvent,
  leaseEndsAt: string,
  retries: RetryScheduler,
): Promise<void> {
  await retries.schedule(
    event,
    new Date(Date.parse(leaseEndsAt) + 1_000),
    scheduleName(event, `recheck-${leaseEndsAt}`),
    { safetyNet: true },
  );
}

/**
 * Kiro asking for a wait of 15 minutes or more (the most a Retry-After is honoured) throttles the
 * whole endpoint, not one group: the sync pauses, visibly (`/status`, the SyncPaused alarm), and
 * one probe after the wait resumes it, instead of every group retrying into the same 429.
 */
function asksForLongWait(error: SyncError): boolean {
  return (
    error instanceof ScimError && error.kind === "throttled" && (error.retryAfterMs ?? 0) >= maxRetryAfterMs
  );
}

/** What a Lambda on-failure destination (crash, timeout) records: the same as giving up. */
export async function recordAsyncFailure(
  event: SyncEvent,
  reason: string,
  ledger: GroupSyncState & RunRecords & StatusQueries & SyncControl,
): Promise<void> {
  const record: AttemptRecord = {
    attempt: event.detail.attempt ?? 1,
    at: new Date().toISOString(),
    errorCode: "LAMBDA.ASYNC_FAILURE",
    reason,
  };
  await giveUp(event, record, ledger);
}

async function recordRetry(
  event: SyncEvent,
  record: AttemptRecord,
  at: string,
  ledger: GroupSyncState & RunRecords & StatusQueries & SyncControl,
) {
  if (event.type === "GroupChanged")
    await ledger.recordGroupRetry(event.detail.source, event.detail.groupId, record, at);
}

/** A kept delivery is never given up: it waits in the inbox, visible, and the sweep sends it again. */
async function giveUp(
  event: SyncEvent,
  record: AttemptRecord,
  ledger: GroupSyncState & RunRecords & StatusQueries & SyncControl,
) {
  if (event.type === "GroupChanged")
    await ledger.quarantineGroup(event.detail.source, event.detail.groupId, record);
  else if (event.type === "RunChunk")
    await ledger.failRun(event.detail.runId, `${record.errorCode}: ${record.reason}`);
}

const later = (now: Date, ms: number) => new Date(now.getTime() + ms).toISOString();

/** Scheduler names allow 64 characters of [0-9a-zA-Z-_.]: a readable prefix and a hash of the rest. */
export function scheduleName(event: SyncEvent, suffix: string): string {
  const [prefix, subject] =
    event.type === "GroupChanged"
      ? ["group", `${event.detail.source}|${event.detail.groupId}`]
      : event.type === "RunChunk"
        ? [
            "run",
            `${event.detail.runId}|${event.detail.step.phase}|${event.detail.step.source ?? ""}|${event.detail.step.cursor ?? ""}`,
          ]
        : ["delivery", `${event.detail.source}|${event.detail.deliveryId}`];
  const hash = createHash("sha256").update(`${event.type}|${subject}|${suffix}`).digest("hex").slice(0, 40);
  return `${prefix}-${hash}`;
}
