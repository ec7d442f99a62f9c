/**
 * How Kiro answered the SCIM calls a worker made since its last batch: recorded once per group
 * pass, never per call, so the hot path gains no round trip; read by `/status` to tell a Kiro that
 * fails most calls from one bad moment.
 */
export interface KiroCallBatch {
  at: string;
  calls: number;
  /** Answered 5xx or 429, or not at all (timeout, dropped connection). */
  failed: number;
  /** The last calls' outcomes, oldest first (at most {@link recentCallsKept}): the HTTP status, 0 for no answer. */
  recent: number[];
  lastFailureAt?: string | undefined;
}

/** A batch keeps the outcomes of this many of its calls, in order: enough to read "8 of the last 10". */
export const recentCallsKept = 20;

/** The recent batches of Kiro's answers; each expires after a day. */
export interface KiroCallHistory {
  recordKiroCalls(batch: KiroCallBatch): Promise<void>;

  /** Batches recorded at or after `since`, newest first, at most `limit`. */
  listKiroCalls(since: string, limit: number): Promise<KiroCallBatch[]>;
}
