import { IdentitySourceSchema } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { StatusEntry } from "../ports/ledger-records";
import type { RunRecords } from "../ports/run-records";
import type { StatusQueries } from "../ports/status-queries";

export interface SweepReport {
  groups: number;
  runs: number;
}

/**
 * Finds changes nobody is carrying to Kiro any more and puts them back on the bus: groups pending
 * longer than `olderThanMs` (the process died between the ledger write and PutEvents, or a worker
 * died holding the lease), failed groups whose scheduled retry is overdue, and runs that stopped
 * moving. Duplicates are harmless (lease + ledger diff), so the sweep errs on publishing.
 */
export async function sweepStranded(
  deps: { ledger: RunRecords & StatusQueries; bus: EventBus; now?: () => Date },
  options: { olderThanMs: number; limit?: number },
): Promise<SweepReport> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const limit = options.limit ?? 1_000;
  const cutoff = new Date(now - options.olderThanMs).toISOString();
  const report: SweepReport = { groups: 0, runs: 0 };
  for (const source of IdentitySourceSchema.options) {
    const pending = await deps.ledger.listByStatus(source, "GROUP", "pending", limit);
    const failed = await deps.ledger.listByStatus(source, "GROUP", "failed", limit);
    const stranded = [
      ...pending.filter((entry) => lastTouched(entry) <= cutoff),
      ...failed.filter((entry) => entry.retryAt !== undefined && entry.retryAt <= cutoff),
    ];
    await deps.bus.publish(
      stranded.map((entry) => ({ type: "GroupChanged", detail: { source, groupId: entry.id } })),
    );
    report.groups += stranded.length;
  }
  const stalled = (await deps.ledger.listRuns(20)).filter(
    (run) => run.step && !run.error && run.updatedAt <= cutoff,
  );
  await deps.bus.publish(
    stalled.map((run) => ({ type: "RunChunk", detail: { runId: run.runId, step: run.step! } })),
  );
  report.runs = stalled.length;
  return report;
}

const lastTouched = (entry: StatusEntry) => entry.updatedAt ?? entry.pendingSince ?? "";
