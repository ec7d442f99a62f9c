import type {
  HeldRemovals,
  NewRun,
  RunAdvance,
  RunRecord,
  RunStep,
} from "../../../core/ports/ledger-records";
import type { RunRecords } from "../../../core/ports/run-records";
import {
  ConditionalCheckFailed,
  compareStrings,
  copy,
  type LedgerState,
  type RunItem,
  stepKey,
  toHeldRemovals,
  toRunRecord,
} from "./in-memory-state";

/** {@link RunRecords} over {@link LedgerState}: runs and their held removals. */
export class InMemoryRunRecords implements RunRecords {
  constructor(private readonly state: LedgerState) {}

  /** Rejects a run id already started. */
  async startRun(run: NewRun): Promise<void> {
    if (this.state.runs.has(run.runId)) throw new ConditionalCheckFailed();
    this.state.runs.set(run.runId, {
      ...copy(run),
      stepKey: stepKey(run.step),
      removals: 0,
      chunks: 0,
      itemsDone: 0,
      updatedAt: run.startedAt,
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const item = this.state.runs.get(runId);
    return item ? toRunRecord(item) : undefined;
  }

  async advanceRun(runId: string, from: RunStep, advance: RunAdvance): Promise<boolean> {
    const item = this.state.runs.get(runId);
    if (item?.stepKey !== stepKey(from)) return false;
    const now = this.state.iso();
    item.stepKey = stepKey(advance.next);
    item.updatedAt = now;
    if (advance.next) item.step = copy(advance.next);
    else {
      item.finishedAt = now;
      delete item.step;
    }
    if (advance.unmanaged) item.unmanaged = copy(advance.unmanaged);
    if (advance.drift) item.drift = copy(advance.drift);
    if (advance.skipped) item.skipped = [...(item.skipped ?? []), advance.skipped];
    item.chunks += 1;
    item.itemsDone += advance.itemsDone;
    return true;
  }

  /** Newest first; runs started at the same time come in descending run id order. */
  async listRuns(limit: number): Promise<RunRecord[]> {
    if (limit < 1) throw new Error("ValidationException: Limit must be greater than or equal to 1");
    const collectionKey = (run: RunItem) => `${run.startedAt}#${run.runId}`;
    return [...this.state.runs.values()]
      .sort((a, b) => compareStrings(collectionKey(b), collectionKey(a)))
      .slice(0, limit)
      .map(toRunRecord)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Rejects an unknown run. */
  async countRunRemovals(runId: string, count: number): Promise<{ total: number; managedUsers: number }> {
    const item = this.state.runs.get(runId);
    if (item === undefined) throw new ConditionalCheckFailed();
    item.removals += count;
    return { total: item.removals, managedUsers: item.managedUsers };
  }

  /** Records the error only: the run keeps its step and no finishedAt (as the adapter does). Rejects an unknown run. */
  async failRun(runId: string, reason: string): Promise<void> {
    const item = this.state.runs.get(runId);
    if (item === undefined) throw new ConditionalCheckFailed();
    item.error = reason.slice(0, 1000);
    item.updatedAt = this.state.iso();
  }

  /** One entry per run, source and group: holding again replaces it. */
  async holdRemovals(held: HeldRemovals): Promise<void> {
    const ofRun = this.state.held.get(held.runId) ?? new Map<string, HeldRemovals>();
    ofRun.set(`${held.source}#${held.groupId}`, copy(held));
    this.state.held.set(held.runId, ofRun);
  }

  /** Oldest first (DynamoLedger's batch read does not promise an order). */
  async listHeldRemovals(): Promise<HeldRemovals[]> {
    const collectionKey = (held: HeldRemovals) => `${held.heldAt}#${held.runId}#${held.groupId}`;
    return [...this.state.held.values()]
      .flatMap((ofRun) => [...ofRun.values()])
      .sort((a, b) => compareStrings(collectionKey(a), collectionKey(b)))
      .map(toHeldRemovals);
  }

  /** In source and group id order. */
  async takeHeldRemovals(runId: string): Promise<HeldRemovals[]> {
    const ofRun = this.state.held.get(runId);
    if (ofRun === undefined) return [];
    this.state.held.delete(runId);
    return [...ofRun.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([, held]) => toHeldRemovals(held));
  }
}
