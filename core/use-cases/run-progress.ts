import { changeVersion, type IdentitySource, IdentitySourceSchema } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import {
  type GroupRecord,
  type RunItem,
  type RunItemCounts,
  type RunItemOutcome,
  type RunRecord,
  type RunStep,
  runFailedItemsKept,
} from "../ports/ledger-records";
import type { RunRecords } from "../ports/run-records";
import type { StatusQueries } from "../ports/status-queries";
import type { UserRecords } from "../ports/user-records";

/** The version every refresh of one reconcile run carries: the same for a redelivered chunk. */
export function reconcileVersion(run: { runId: string; startedAt: string }): string {
  return changeVersion(new Date(run.startedAt), `reconcile-${run.runId}`);
}

/** How a group sync a run queued ended, as the run counts it. */
export type GroupSettlement = Pick<RunItemOutcome, "state" | "reason" | "errorCode">;

const settled = (counts: RunItemCounts) => counts.done + counts.failed + counts.skipped;

/**
 * A group sync settled (its pass finished, Kiro refused the group, or it was quarantined): the run
 * that queued it counts it, once, and forgets to wait for it. The report that settles a run's last
 * group wakes the run's settle step, which finishes it; a report lost to a crash is made up by
 * that step's recount when the sweep wakes it.
 */
export async function reportGroupToRun(
  group: GroupRecord,
  settlement: GroupSettlement,
  deps: { ledger: RunRecords & GroupRecords; bus: EventBus },
): Promise<void> {
  const runId = group.queuedByRun;
  if (!runId) return;
  const run = await deps.ledger.settleRunItems(runId, [
    { source: group.source, kind: "GROUP", id: group.idpId, name: group.name, ...settlement },
  ]);
  await deps.ledger.clearQueuedByRun(group.source, group.idpId, runId);
  if (run?.step?.phase === "settle" && run.planned && settled(run.items.groups) >= run.items.groups.total)
    await deps.bus.publish([{ type: "RunChunk", detail: { runId, step: run.step } }]);
}

/**
 * Whether a group a run queued has settled, read from the group itself, for the recount: the
 * reconcile's re-read must have happened (a newer request's counts too) and the pass after it
 * ended; quarantine or a refusal without a scheduled retry is a failure; a retry still to come
 * is not settled.
 */
export function groupSettlement(run: RunRecord, group: GroupRecord | undefined): GroupSettlement | undefined {
  if (!group) return { state: "skipped", reason: "no longer in the ledger" };
  const failure = { state: "failed", reason: group.reason, errorCode: group.errorCode } as const;
  if (group.status === "quarantined") return failure;
  const reread = run.kind === "reprovision" || (group.refreshedVersion ?? "") >= reconcileVersion(run);
  if (!reread) return undefined;
  if (group.status === "synced" || group.errorCode === "REMOVALS.HELD") return { state: "done" };
  if (group.status === "failed" && !group.retryAt) return failure;
  return undefined;
}

/**
 * The settle step of a run: every item it queued must have settled before it says finished.
 * Items whose report never came (a crash, a newer request that carried the group) are settled
 * from the groups themselves; while any still waits, the run waits (its last report, or the
 * sweep, wakes this step again). Then the final tally: the groups from their items and, for a
 * re-provisioning, its users (those Kiro refused, named; those no group brought back, skipped).
 */
export async function settleRun(
  run: RunRecord,
  step: RunStep,
  deps: { ledger: RunRecords & GroupRecords & StatusQueries & UserRecords },
): Promise<"finished" | "waiting" | "duplicate"> {
  const queued = (await deps.ledger.listRunItems(run.runId)).filter((item) => item.state === "queued");
  const outcomes: RunItemOutcome[] = [];
  for (const [source, items] of bySource(queued)) {
    const groups = await deps.ledger.getGroups(
      source,
      items.map((item) => item.id),
    );
    for (const item of items) {
      const settlement = groupSettlement(run, groups.get(item.id));
      if (settlement) outcomes.push({ ...reference(item), ...settlement });
    }
  }
  if (outcomes.length > 0) await deps.ledger.settleRunItems(run.runId, outcomes);
  if (outcomes.length < queued.length) return "waiting";
  const items = await deps.ledger.listRunItems(run.runId);
  const groups = tally(items);
  const users = run.kind === "reprovision" ? await tallyUsers(run, deps) : { counts: tally([]), failed: [] };
  const failedItems = [
    ...items.filter((item) => item.state === "failed").map((item) => failedOutcome(item)),
    ...users.failed,
  ].slice(0, runFailedItemsKept);
  const finished = await deps.ledger.advanceRun(run.runId, step, {
    next: undefined,
    tally: { items: { groups, users: users.counts }, failedItems },
  });
  return finished ? "finished" : "duplicate";
}

/**
 * A re-provisioning's users, once its groups have settled: every user it forgot either came back
 * (a group pass created it), was refused by Kiro (failed, still marked with the run), or was
 * never pushed because no group it is in wants it any more (pending, no Kiro id: skipped).
 * Only the refused and the skipped are read (from the status index); the rest are done.
 */
async function tallyUsers(
  run: RunRecord,
  deps: { ledger: StatusQueries & UserRecords },
): Promise<{ counts: RunItemCounts; failed: RunItemOutcome[] }> {
  const failed: RunItemOutcome[] = [];
  let skipped = 0;
  for (const source of IdentitySourceSchema.options)
    for (const status of ["failed", "pending"] as const) {
      const entries = await deps.ledger.listByStatus(source, "USER", status, usersTallyLimit);
      const users = await deps.ledger.getUsers(
        source,
        entries.map((entry) => entry.id),
      );
      for (const user of users.values()) {
        if (user.queuedByRun !== run.runId) continue;
        if (status === "failed")
          failed.push({
            source,
            kind: "USER",
            id: user.idpId,
            name: user.profile?.userName,
            state: "failed",
            reason: user.reason,
            errorCode: user.errorCode,
          });
        else if (!user.scimId) skipped += 1;
      }
    }
  const total = run.items.users.total;
  return {
    counts: { total, done: Math.max(0, total - failed.length - skipped), failed: failed.length, skipped },
    failed,
  };
}
const usersTallyLimit = 10_000;

function tally(items: readonly RunItem[]): RunItemCounts {
  const count = (state: RunItem["state"]) => items.filter((item) => item.state === state).length;
  return { total: items.length, done: count("done"), failed: count("failed"), skipped: count("skipped") };
}

function bySource(items: readonly RunItem[]): Map<IdentitySource, RunItem[]> {
  const grouped = new Map<IdentitySource, RunItem[]>();
  for (const item of items) grouped.set(item.source, [...(grouped.get(item.source) ?? []), item]);
  return grouped;
}

const reference = (item: RunItem) => ({ source: item.source, kind: item.kind, id: item.id, name: item.name });

const failedOutcome = (item: RunItem): RunItemOutcome => ({
  ...reference(item),
  state: "failed",
  reason: item.reason,
  errorCode: item.errorCode,
});

/** Where an operator reads more about a run's failures. */
export const runFailuresQuery = (run: Pick<RunRecord, "startedAt">) =>
  `GET /log?result=failure&since=${run.startedAt}`;

/**
 * A run's state in words: what it is doing, or how it ended, with the failed items named and
 * where to read more.
 */
export function describeRun(run: RunRecord): string {
  const groups = run.items.groups;
  if (run.error) return `stopped: ${run.error}`;
  if (run.step?.phase === "settle")
    return `waiting for ${groups.total - settled(groups)} of the ${groups.total} group syncs it queued`;
  if (run.step)
    return run.planned
      ? `running (${run.step.phase}): ${settled(groups)} of ${groups.total} group syncs settled`
      : `running (${run.step.phase}): ${groups.total} group syncs queued so far, ${settled(groups)} settled`;
  const failed = groups.failed + run.items.users.failed;
  if (failed === 0) return "finished";
  const named = (run.failedItems ?? [])
    .slice(0, 3)
    .map((item) =>
      `${item.kind.toLowerCase()} ${item.name ? `${item.name} (${item.source} ${item.id})` : `${item.source} ${item.id}`}: ${item.reason ?? item.errorCode ?? "failed"}`.trim(),
    );
  const more = failed > named.length ? `, and ${failed - named.length} more` : "";
  return `finished with ${failed} failed: ${named.join("; ")}${more}; see ${runFailuresQuery(run)}`;
}
