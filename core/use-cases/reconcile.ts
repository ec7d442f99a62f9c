import { randomUUID } from "node:crypto";
import { forEachLimited } from "../domain/concurrency";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion, type IdentitySource } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { KiroScimPort } from "../ports/kiro-scim";
import type { GroupRecord, Ledger } from "../ports/ledger";
import { ensureKiroTarget, mappedIdsMostlyGone, reprovision } from "./reprovision";

export interface ReconcileDependencies {
  ledger: Ledger;
  bus: EventBus;
  scope: GroupScope;
  directories: Partial<Record<IdentitySource, IdentityDirectory>>;
  kiro: { scim: KiroScimPort; url: string };
  now?: () => Date;
}

export interface ReconcileReport {
  startedAt: string;
  groups: Partial<Record<IdentitySource, number>>;
  runId: string;
  /** Set when this run found Kiro reset and started re-provisioning instead. */
  reprovisioning?: string;
}

/**
 * Repairs what events missed (Okta retries a hook once, Graph drops notifications after 4 h): every
 * group the ledger syncs, plus every in-scope group the IdP has that the ledger never heard of, is
 * marked for a full re-read and triggered. The worker then reads membership from the IdP and sends
 * Kiro only the difference, so a reconcile with nothing changed makes no SCIM write at all.
 */
export async function reconcileGroups(deps: ReconcileDependencies): Promise<ReconcileReport> {
  const now = (deps.now ?? (() => new Date()))();
  const runId = randomUUID();
  const report: ReconcileReport = { startedAt: now.toISOString(), runId, groups: {} };
  const sources = Object.keys(deps.directories) as IdentitySource[];
  const target = await ensureKiroTarget({ ...deps, sources }, deps.kiro.url);
  if (target === "reprovisioning") return { ...report, reprovisioning: "the Kiro SCIM endpoint changed" };
  if (await mappedIdsMostlyGone(deps.ledger, deps.kiro.scim, sources)) {
    await reprovision(
      { ...deps, sources },
      "most mapped Kiro ids answer 404",
      deps.kiro.url,
      await deps.ledger.getKiroTarget(),
    );
    return { ...report, reprovisioning: "most mapped Kiro ids answer 404" };
  }
  const version = changeVersion(now, `reconcile-${runId}`);
  let managedUsers = 0;
  for (const source of sources) managedUsers += await countManagedUsers(deps.ledger, source);
  await deps.ledger.startRun({ runId, startedAt: report.startedAt, managedUsers });
  for (const [source, directory] of Object.entries(deps.directories) as [
    IdentitySource,
    IdentityDirectory,
  ][]) {
    const { targets } = await groupsToReconcile(deps, source, directory);
    await forEachLimited(targets, 16, (groupId) =>
      deps.ledger.requestGroupRefresh(source, groupId, version, runId).then(() => undefined),
    );
    await deps.bus.publish(targets.map((groupId) => ({ type: "GroupChanged", detail: { source, groupId } })));
    report.groups[source] = targets.length;
  }
  return report;
}

/** Users this service manages in Kiro: a run's removals are measured as a share of them. */
export async function countManagedUsers(ledger: Ledger, source: IdentitySource): Promise<number> {
  let managed = 0;
  for (const status of ["synced", "pending", "failed"] as const)
    managed += await ledger.countByStatus(source, "USER", status);
  return managed;
}

/** What a reconcile covers: every group the ledger syncs, and every in-scope group the IdP lists. */
export async function groupsToReconcile(
  deps: { ledger: Ledger; scope: GroupScope },
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

/** An operator's approval: the held groups are re-read and their removals applied, from a fresh read. */
export async function approveHeldRemovals(
  deps: { ledger: Ledger; bus: EventBus },
  runId: string,
): Promise<number> {
  const held = await deps.ledger.takeHeldRemovals(runId);
  const version = changeVersion(new Date(), `approve-${runId}`);
  for (const entry of held)
    await deps.ledger.requestGroupRefresh(entry.source, entry.groupId, version, `approved:${runId}`);
  await deps.bus.publish(
    held.map((entry) => ({ type: "GroupChanged", detail: { source: entry.source, groupId: entry.groupId } })),
  );
  return held.reduce((sum, entry) => sum + entry.userIds.length, 0);
}
