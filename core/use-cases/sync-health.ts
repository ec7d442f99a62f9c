import { describeScopeMismatch, unmatchedEverywhere } from "../domain/group-scope";
import { defaultPendingAgeAlarmSeconds } from "../domain/telemetry";
import type { StatusReport } from "./build-status-report";
import {
  failureLabel,
  hookRejectionAlerts,
  hookRejectionsAlerting,
  kiroFailingReason,
} from "./recurring-failures";

/**
 * The gauges the dashboard draws and the alarms page on. Named once here, so the function that
 * emits them and the stack that alarms on them cannot drift apart.
 */
export const syncHealthMetric = {
  oldestPendingSeconds: "OldestPendingSeconds",
  oldestDeliverySeconds: "OldestDeliverySeconds",
  pendingChanges: "PendingChanges",
  failedItems: "FailedItems",
  quarantinedGroups: "QuarantinedGroups",
  syncPaused: "SyncPaused",
  heldRemovals: "HeldRemovals",
  stalledRuns: "StalledRuns",
  failedRuns: "FailedRuns",
  unmanagedObjects: "UnmanagedObjects",
  kiroFailedCalls: "KiroFailedCalls",
  hookRejections: "HookRejections",
  subscriptionHoursLeft: "SubscriptionHoursLeft",
} as const;

export type SyncHealthMetric = (typeof syncHealthMetric)[keyof typeof syncHealthMetric];

export interface SyncHealthGauge {
  name: SyncHealthMetric;
  unit: "Seconds" | "Count";
  value: number;
}

/** A run that has not moved for this long is stuck: the sweep re-publishes it every 5 minutes. */
export const stalledRunSeconds = 900;

/**
 * Turns the status report into numbers a metric alarm can watch. Every gauge is emitted on every
 * run, zeros included, so "no data" always means the health job itself stopped. The Graph
 * subscription gauge is the one exception: without Entra there is nothing to expire.
 */
export function syncHealthGauges(report: StatusReport): SyncHealthGauge[] {
  const counts = Object.values(report.counts);
  const sum = (pick: (count: StatusReport["counts"][string]) => number) =>
    counts.reduce((total, count) => total + pick(count), 0);
  const gauges: SyncHealthGauge[] = [
    {
      name: syncHealthMetric.oldestPendingSeconds,
      unit: "Seconds",
      value: report.oldestPending?.ageSeconds ?? 0,
    },
    {
      name: syncHealthMetric.oldestDeliverySeconds,
      unit: "Seconds",
      value: report.inbox.oldestAgeSeconds,
    },
    {
      name: syncHealthMetric.pendingChanges,
      unit: "Count",
      value: sum((count) => count.users.pending + count.groups.pending + count.memberships.pending),
    },
    {
      name: syncHealthMetric.failedItems,
      unit: "Count",
      value: sum((count) => count.users.failed + count.groups.failed + count.memberships.failed),
    },
    {
      name: syncHealthMetric.quarantinedGroups,
      unit: "Count",
      value: sum((count) => count.groups.quarantined),
    },
    { name: syncHealthMetric.syncPaused, unit: "Count", value: report.paused ? 1 : 0 },
    { name: syncHealthMetric.heldRemovals, unit: "Count", value: report.heldRuns.length },
    {
      name: syncHealthMetric.stalledRuns,
      unit: "Count",
      value: report.runs.filter(
        (run) => !run.finishedAt && !run.error && run.stalledSeconds >= stalledRunSeconds,
      ).length,
    },
    { name: syncHealthMetric.failedRuns, unit: "Count", value: latestRunsFailed(report.runs) },
    {
      name: syncHealthMetric.unmanagedObjects,
      unit: "Count",
      value: report.unmanaged ? report.unmanaged.users + report.unmanaged.groups : 0,
    },
    /* Non-zero exactly while `/status` alerts on it, so the alarm and the alert come and go together. */
    {
      name: syncHealthMetric.kiroFailedCalls,
      unit: "Count",
      value: report.kiroCalls.failing ? report.kiroCalls.failed : 0,
    },
    {
      name: syncHealthMetric.hookRejections,
      unit: "Count",
      value: report.hookRejections.count >= hookRejectionsAlerting ? report.hookRejections.count : 0,
    },
  ];
  if (report.subscriptions.length > 0)
    gauges.push({
      name: syncHealthMetric.subscriptionHoursLeft,
      unit: "Count",
      value: Math.min(...report.subscriptions.map((subscription) => subscription.expiresInHours)),
    });
  return gauges;
}

/**
 * A stopped run matters until a newer run of its kind replaces it: a failed re-provisioning leaves
 * Kiro short of users, a failed reconcile leaves drift unrepaired. Runs come newest first.
 */
function latestRunsFailed(runs: StatusReport["runs"]): number {
  const latest = new Map<string, StatusReport["runs"][number]>();
  for (const run of runs) if (!latest.has(run.kind)) latest.set(run.kind, run);
  return [...latest.values()].filter((run) => run.error !== undefined).length;
}

/** A kept Okta delivery not recorded after this long has been through its retries and a sweep. */
export const deliveryAgeAlarmSeconds = 300;

export type HealthVerdict = "ok" | "degraded" | "failing";

export interface SyncHealth {
  verdict: HealthVerdict;
  /** In words, with names: what makes it degraded or failing, the worst first. */
  reasons: string[];
}

/**
 * One verdict from the numbers the alarms page on. Failing: changes do not reach Kiro (the sync is
 * paused, Kiro fails most calls, a change or a hook delivery waits past its alarm). Degraded: it
 * syncs, but something needs a person (Kiro or a source failing its check, a SYNC_GROUPS entry
 * that selects nothing, groups or users failing twice in a row, groups quarantined, users Kiro
 * refuses, hook requests rejected, removals held, a run stuck or failed, a subscription about to
 * lapse).
 */
export function healthVerdict(
  report: StatusReport,
  pendingAgeAlarmSeconds = defaultPendingAgeAlarmSeconds,
): SyncHealth {
  const gauges = Object.fromEntries(syncHealthGauges(report).map((gauge) => [gauge.name, gauge.value]));
  const failing: string[] = [];
  const degraded: string[] = [];
  const nameOf = (source: string, id: string) => groupLabel(report, source, id);
  if (report.paused) failing.push(`sync paused since ${report.paused.since}: ${report.paused.reason}`);
  const oldest = report.oldestPending;
  if (oldest && oldest.ageSeconds > pendingAgeAlarmSeconds)
    failing.push(
      `a change has waited ${oldest.ageSeconds} s for Kiro: ${oldest.kind.toLowerCase()} ${oldest.kind === "GROUP" ? nameOf(oldest.source, oldest.id) : `${oldest.source} ${oldest.id}`}`,
    );
  const kiroFailing = kiroFailingReason(report.kiroCalls);
  if (kiroFailing) failing.push(kiroFailing);
  if (report.inbox.oldestAgeSeconds > deliveryAgeAlarmSeconds)
    failing.push(
      `${report.inbox.waiting} Okta hook deliveries not recorded, the oldest for ${report.inbox.oldestAgeSeconds} s`,
    );
  if (report.kiro?.state === "degraded")
    degraded.push(`Kiro SCIM degraded: ${report.kiro.code ?? "?"} ${report.kiro.reason ?? ""}`.trim());
  for (const [source, health] of Object.entries(report.sources))
    if (health.state === "degraded")
      degraded.push(`${source} degraded: ${health.code ?? "?"} ${health.reason ?? ""}`.trim());
  const scopeChecked = Object.entries(report.scope);
  const unmatched = unmatchedEverywhere(
    Object.fromEntries(scopeChecked.map(([source, check]) => [source, check.unmatched])),
  );
  for (const mismatch of unmatched)
    degraded.push(
      describeScopeMismatch(
        mismatch,
        scopeChecked.map(([source]) => source),
      ),
    );
  if (gauges[syncHealthMetric.quarantinedGroups]! > 0)
    degraded.push(
      `${gauges[syncHealthMetric.quarantinedGroups]} groups quarantined: ${report.quarantined
        .slice(0, 3)
        .map((entry) => nameOf(entry.source, entry.id))
        .join(", ")}`,
    );
  const failingGroups = report.failures.filter((entry) => entry.kind === "GROUP" && entry.attempts >= 2);
  if (failingGroups.length > 0)
    degraded.push(
      `${failingGroups.length} groups failing repeatedly: ${failingGroups
        .slice(0, 3)
        .map((entry) => `${nameOf(entry.source, entry.id)} ${entry.errorCode ?? ""}`.trim())
        .join(", ")}`,
    );
  const repeatedUsers = report.repeatedFailures.filter((failure) => failure.kind === "USER");
  if (repeatedUsers.length > 0)
    degraded.push(
      `${repeatedUsers.length} users Kiro refused twice in a row or more: ${repeatedUsers
        .slice(0, 3)
        .map((failure) => `${failureLabel(failure)} ${failure.errorCode ?? ""}`.trim())
        .join(", ")}`,
    );
  degraded.push(...hookRejectionAlerts(report.hookRejections));
  const refused = report.failures.filter((entry) => entry.kind !== "GROUP");
  if (refused.length > 0)
    degraded.push(
      `${refused.length} users or memberships Kiro refuses (fix them in the IdP), e.g. ${refused[0]!.source} ${refused[0]!.id}: ${refused[0]!.reason ?? refused[0]!.errorCode ?? ""}`.trim(),
    );
  for (const held of report.heldRuns)
    degraded.push(
      `run ${held.runId} holds ${held.removals} removals of ${nameOf(held.source, held.groupId)} for approval`,
    );
  if (gauges[syncHealthMetric.stalledRuns]! > 0)
    degraded.push(`${gauges[syncHealthMetric.stalledRuns]} runs have not moved for ${stalledRunSeconds} s`);
  if (gauges[syncHealthMetric.failedRuns]! > 0)
    degraded.push(
      `the latest run stopped with an error: ${report.runs.find((run) => run.error)?.error ?? "see runs"}`,
    );
  for (const subscription of report.subscriptions)
    if (subscription.renewalError && subscription.expiresInHours < 24)
      degraded.push(
        `Graph subscription for ${subscription.resource} expires in ${subscription.expiresInHours} h and its renewal fails`,
      );
  const verdict: HealthVerdict = failing.length > 0 ? "failing" : degraded.length > 0 ? "degraded" : "ok";
  return { verdict, reasons: [...failing, ...degraded] };
}

/** A group as an operator reads it: its name, with the source and id that find it. */
export function groupLabel(report: Pick<StatusReport, "groups">, source: string, id: string): string {
  const name = report.groups.find((group) => group.source === source && group.id === id)?.name;
  return name ? `${name} (${source} ${id})` : `${source} ${id}`;
}
