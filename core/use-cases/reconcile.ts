import { randomUUID } from "node:crypto";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion, type IdentitySource } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { KiroScimPort } from "../ports/kiro-scim";
import type { GroupRecord } from "../ports/ledger-records";
import type { RunRecords } from "../ports/run-records";
import type { SyncControl } from "../ports/sync-control";
import { countManagedUsers } from "./managed-users";
import type { InlineRetry } from "./read-with-retries";
import { ensureKiroTarget, type KiroEndpoint, mappedIdsMostlyGone, reprovision } from "./reprovision";
import { type RunLedger, startRun } from "./run-chunks";

export interface ReconcileDependencies {
  ledger: RunLedger & SyncControl;
  bus: EventBus;
  scope: GroupScope;
  directories: Partial<Record<IdentitySource, IdentityDirectory>>;
  kiro: KiroEndpoint & { scim: KiroScimPort };
  /**
   * Set when an operator's request waits for the answer: the Kiro checks below read Kiro before the
   * run starts, and a dropped connection there must not fail the request.
   */
  retryRead?: InlineRetry | undefined;
  now?: () => Date;
}

export interface ReconcileReport {
  startedAt: string;
  runId: string;
  /** Groups the ledger syncs at the start; the IdP's in-scope groups it never saw are added on the way. */
  groups: number;
  /** Set when this run found Kiro reset and started re-provisioning instead. */
  reprovisioning?: string;
  /** A deep audit: Kiro's users and their groups are read and drift repaired (see repair-kiro-drift.ts). */
  deep: boolean;
}

/**
 * Whether the scheduled reconcile starting at `now` is the day's deep audit: one SCIM read per Kiro
 * user is too dear for every hour, so only the run in the UTC hour DEEP_AUDIT_HOUR_UTC names is deep
 * (`undefined`, the setting's `off`: none).
 */
export function isDeepAuditHour(now: Date, deepAuditHourUtc: number | undefined): boolean {
  return deepAuditHourUtc !== undefined && now.getUTCHours() === deepAuditHourUtc;
}

/**
 * Repairs what events missed (Okta retries a hook once, Graph drops notifications after 4 h): a run
 * re-reads every group the ledger syncs plus every in-scope group the IdP has that the ledger never
 * heard of, then audits Kiro for objects we do not manage. It works in chunks (see run-chunks.ts)
 * so any directory size fits the Lambda timeout; the worker diffs each group and sends Kiro only
 * the difference, so a reconcile with nothing changed makes no SCIM write at all.
 */
export async function reconcileGroups(
  deps: ReconcileDependencies,
  options: { deep?: boolean } = {},
): Promise<ReconcileReport> {
  const now = (deps.now ?? (() => new Date()))();
  const runId = randomUUID();
  const sources = Object.keys(deps.directories) as IdentitySource[];
  const deep = options.deep === true;
  const report: ReconcileReport = { startedAt: now.toISOString(), runId, groups: 0, deep };
  const target = await ensureKiroTarget({ ...deps, sources, scim: deps.kiro.scim }, deps.kiro);
  if (target === "reprovisioning") return { ...report, reprovisioning: "the Kiro SCIM endpoint changed" };
  if (await mappedIdsMostlyGone(deps.ledger, deps.kiro.scim, sources, { retryRead: deps.retryRead })) {
    const reason = "most mapped Kiro ids answer 404";
    await reprovision({ ...deps, sources }, reason, deps.kiro, await deps.ledger.getKiroTarget());
    return { ...report, reprovisioning: reason };
  }
  let managedUsers = 0;
  for (const source of sources) {
    managedUsers += await countManagedUsers(deps.ledger, source);
    for (const status of ["synced", "pending", "failed"] as const)
      report.groups += await deps.ledger.countByStatus(source, "GROUP", status);
  }
  await startRun(
    deps,
    {
      runId,
      kind: "reconcile",
      reason: "reconcile",
      startedAt: report.startedAt,
      managedUsers,
      deep,
    },
    sources,
  );
  return report;
}

/** What a reconcile covers: every group the ledger syncs, and every in-scope group the IdP lists. */
export async function groupsToReconcile(
  deps: {
    ledger: RunLedger & SyncControl;
    scope: GroupScope;
  },
  source: IdentitySource,
  directory: IdentityDirectory,
): Promise<{ targets: string[]; known: Map<string, GroupRecord> }> {
  const known = new Map(
    (await deps.ledger.listGroups(source, 100_000))
      .filter((group) => !group.deleted)
      .map((group) => [group.idpId, group]),
  );
  const fromIdp = (await directory.listGroups())
    .filter((group) => deps.scope.includes(group))
    .map((group) => group.id);
  return { targets: [...new Set([...known.keys(), ...fromIdp])], known };
}

/**
 * Applies the removals a run held for an operator: each held group is re-read under the approval
 * and its removals go through. An unknown run, or one with nothing held (already approved, or it
 * held nothing), is said so instead of answering "0 approved" as if something happened.
 */
export async function approveHeldRemovals(
  deps: { ledger: GroupRecords & RunRecords; bus: EventBus },
  runId: string,
): Promise<{ outcome: "approved"; removalsApproved: number } | { outcome: "unknown-run" | "nothing-held" }> {
  if (!(await deps.ledger.getRun(runId))) return { outcome: "unknown-run" };
  const held = await deps.ledger.takeHeldRemovals(runId);
  if (held.length === 0) return { outcome: "nothing-held" };
  const version = changeVersion(new Date(), `approve-${runId}`);
  for (const entry of held)
    await deps.ledger.requestGroupRefresh(entry.source, entry.groupId, version, `approved:${runId}`);
  await deps.bus.publish(
    held.map((entry) => ({
      type: "GroupChanged",
      detail: { source: entry.source, groupId: entry.groupId, trigger: `approved:${runId}` },
    })),
  );
  return {
    outcome: "approved",
    removalsApproved: held.reduce((sum, entry) => sum + entry.userIds.length, 0),
  };
}
