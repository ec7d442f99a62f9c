import { type KiroCallBatch, type KiroCallHistory, recentCallsKept } from "../ports/kiro-call-history";

/** Kiro failing a call: a server error, throttling, or no answer at all (0). */
export const isKiroFailure = (status: number) => status === 0 || status === 429 || status >= 500;

/**
 * Kiro's answers as the SCIM client meets them, kept in memory (two counts and the last few
 * outcomes) until a pass records them in one write: the hot path gains nothing per call.
 */
export class KiroCallTally {
  private calls = 0;
  private failed = 0;
  private recent: number[] = [];
  private lastFailureAt: string | undefined;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** One answer: its HTTP status, or 0 when none came (timeout, dropped connection). */
  record(status: number): void {
    this.calls += 1;
    this.recent = [...this.recent, status].slice(-recentCallsKept);
    if (!isKiroFailure(status)) return;
    this.failed += 1;
    this.lastFailureAt = this.now().toISOString();
  }

  /** What was met since the last take, or undefined when no call was made. */
  take(): KiroCallBatch | undefined {
    if (this.calls === 0) return undefined;
    const batch: KiroCallBatch = {
      at: this.now().toISOString(),
      calls: this.calls,
      failed: this.failed,
      recent: this.recent,
      lastFailureAt: this.lastFailureAt,
    };
    this.calls = 0;
    this.failed = 0;
    this.recent = [];
    this.lastFailureAt = undefined;
    return batch;
  }

  /** Writes what was met since the last record; a failing write loses the batch, never the pass. */
  async recordInto(history: KiroCallHistory): Promise<void> {
    const batch = this.take();
    if (batch) await history.recordKiroCalls(batch).catch(() => undefined);
  }
}
