import type { StatusReport } from "./build-status-report";

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
