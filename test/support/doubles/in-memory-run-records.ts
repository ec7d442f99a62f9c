import type {
  HeldRemovals,
  NewRun,
  RunAdvance,
  RunItem,
  RunItemCounts,
  RunItemOutcome,
  RunItemRef,
  RunRecord,
  RunStep,
} from "../../../core/ports/ledger-records";
import type { RunRecords } from "../../../core/ports/run-records";
import {
  ConditionalCheckFailed,
  compareStrings,
  copy,
  type LedgerState,
  type RunItem as StoredRun,
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
      items: { groups: noItems(), users: noItems() },
      planned: false,
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
    if (advance.tally) {
      item.items = copy(advance.tally.items);
      item.failedItems = copy(advance.tally.failedItems);
      item.planned = true;
    } else {
      if (advance.plannedGroups !== undefined) {
        item.items.groups.total = advance.plannedGroups;
        item.planned = true;
      } else item.items.groups.total += advance.queued?.groups ?? 0;
      item.items.users.total += advance.queued?.users ?? 0;
    }
    if (advance.unmanaged) item.unmanaged = copy(advance.unmanaged);
    if (advance.drift) item.drift = copy(advance.drift);
    if (advance.skipped) item.skipped = [...(item.skipped ?? []), advance.skipped];
    item.chunks += 1;
    return true;
  }

  /** Newest first; runs started at the same time come in descending run id order. */
  async listRuns(limit: number): Promise<RunRecord[]> {
    if (limit < 1) throw new Error("ValidationException: Limit must be greater than or equal to 1");
    const collectionKey = (run: StoredRun) => `${run.startedAt}#${run.runId}`;
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

  /** Items of a run that was never started are kept all the same, as the adapter's writes are. */
  async queueRunItems(runId: string, items: readonly RunItemRef[]): Promise<number> {
    const ofRun = this.itemsOf(runId);
    let queued = 0;
    for (const item of items) {
      const key = runItemKey(item);
      if (ofRun.has(key)) continue;
      ofRun.set(key, copy({ ...item, name: item.name?.slice(0, 512), state: "queued" }));
      queued += 1;
    }
    return queued;
  }

  /** An item of a run that is gone still settles; there is no run to count it on (as the adapter's conditional count). */
  async settleRunItems(runId: string, outcomes: readonly RunItemOutcome[]): Promise<RunRecord | undefined> {
    const ofRun = this.itemsOf(runId);
    const moved: RunItemOutcome[] = [];
    const now = this.state.iso();
    for (const outcome of outcomes) {
      const item = ofRun.get(runItemKey(outcome));
      if (item?.state !== "queued") continue;
      item.state = outcome.state;
      item.settledAt = now;
      if (outcome.reason !== undefined) item.reason = outcome.reason.slice(0, 1000);
      if (outcome.errorCode !== undefined) item.errorCode = outcome.errorCode;
      moved.push(outcome);
    }
    if (moved.length === 0) return undefined;
    const run = this.state.runs.get(runId);
    if (run === undefined) return undefined;
    for (const outcome of moved) run.items[outcome.kind === "GROUP" ? "groups" : "users"][outcome.state] += 1;
    run.updatedAt = now;
    return toRunRecord(run);
  }

  async listRunItems(runId: string): Promise<RunItem[]> {
    return [...this.itemsOf(runId).entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([, item]) => copy(item));
  }

  private itemsOf(runId: string): Map<string, RunItem> {
    let ofRun = this.state.runItems.get(runId);
    if (ofRun === undefined) {
      ofRun = new Map();
      this.state.runItems.set(runId, ofRun);
    }
    return ofRun;
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

const noItems = (): RunItemCounts => ({ total: 0, done: 0, failed: 0, skipped: 0 });

/** The item's sort key in its run's partition, as the adapter writes it. */
const runItemKey = (item: RunItemRef) => `${item.source}#${item.kind}#${item.id}`;
