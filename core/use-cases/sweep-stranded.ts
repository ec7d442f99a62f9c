import { IdentitySourceSchema } from "../domain/identity-source";
import type { DeliveryInbox } from "../ports/delivery-inbox";
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
      stranded.map((entry) => ({
        type: "GroupChanged",
        detail: { source, groupId: entry.id, trigger: "sweep" },
      })),
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

/**
 * Announces again the hook deliveries still waiting in the inbox after `olderThanMs`: their ingest
 * failed through Lambda's retries, or the hook's announcement never reached the bus. Ingest is
 * idempotent, so an announcement too many costs one read.
 */
export async function resendWaitingDeliveries(
  deps: { ledger: DeliveryInbox; bus: EventBus; now?: () => Date },
  options: { olderThanMs: number; limit?: number },
): Promise<number> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const cutoff = new Date(now - options.olderThanMs).toISOString();
  const waiting = (await deps.ledger.listWaitingDeliveries(options.limit ?? 1_000)).filter(
    (delivery) => delivery.receivedAt <= cutoff && delivery.source === "okta",
  );
  await deps.bus.publish(
    waiting.map((delivery) => ({
      type: "DeliveryReceived",
      detail: { source: "okta", deliveryId: delivery.deliveryId },
    })),
  );
  return waiting.length;
}
