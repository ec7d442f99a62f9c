import type { IdentitySource } from "../domain/identity-source";
import type { DeliveryInbox } from "../ports/delivery-inbox";
import type { EntraSyncState } from "../ports/entra-sync-state";
import type { GroupRecords } from "../ports/group-records";
import type { HookRejections } from "../ports/hook-rejections";
import type { KiroCallHistory } from "../ports/kiro-call-history";
import type {
  DriftReport,
  GroupRecord,
  LedgerKind,
  RunItemCounts,
  RunItemOutcome,
  RunRecord,
  ScopeCheck,
  SourceHealth,
  StatusEntry,
  SyncStatus,
} from "../ports/ledger-records";
import type { RunRecords } from "../ports/run-records";
import type { StatusQueries } from "../ports/status-queries";
import type { SyncControl } from "../ports/sync-control";
import type { UserRecords } from "../ports/user-records";
import {
  hookRejectionAlerts,
  type KiroCallHealth,
  kiroCallHealth,
  kiroFailingAlert,
  type RecentHookRejections,
  type RepeatedFailure,
  recentHookRejections,
  repeatedFailures,
  repeatedUserFailureAlert,
} from "./recurring-failures";
import { describeRun } from "./run-progress";
import { groupLabel, healthVerdict, type SyncHealth } from "./sync-health";

export interface StatusReport {
  /** The one answer first: ok, degraded (it syncs, something needs a person) or failing, and why. */
  health: SyncHealth;
  generatedAt: string;
  /** True while a configured source fails: the others keep syncing; `sources` says which and why. */
  degraded: boolean;
  sources: Partial<Record<IdentitySource, SourceHealth>>;
  /** Kiro as the local runtime's dependency check last met it (null: never checked, as in AWS). */
  kiro: SourceHealth | null;
  /** Per source, the `SYNC_GROUPS` entries that matched none of its groups when they were last listed. */
  scope: Partial<Record<IdentitySource, ScopeCheck>>;
  counts: Record<
    string,
    {
      users: Record<Exclude<SyncStatus, "quarantined">, number>;
      groups: Record<SyncStatus, number>;
      memberships: Record<"pending" | "failed", number>;
    }
  >;
  /**
   * The pending change that has waited longest for Kiro, with its age: the number to alarm on.
   * Failed changes are counted apart: a refused user waits for a fix in the IdP, not for us.
   */
  oldestPending: (StatusEntry & { ageSeconds: number }) | null;
  /** Changes whose last attempt failed (groups retrying, users and memberships Kiro refused), and the oldest of them. */
  failed: { count: number; oldest: (StatusEntry & { ageSeconds: number }) | null };
  /**
   * Hook deliveries kept but not yet recorded. They are recorded within seconds; one that waits
   * longer means the ingest fails (the sweep sends it again every minute), and its changes wait too.
   */
  inbox: { waiting: number; oldestReceivedAt: string | null; oldestAgeSeconds: number };
  /** The last error of failing items, newest failures not first but oldest changes first. */
  failures: StatusEntry[];
  /** Graph subscriptions with their expiry; renewal errors stay until a renewal succeeds. */
  subscriptions: {
    resource: string;
    subscriptionId: string;
    expiresAt: string;
    expiresInHours: number;
    renewalError?: string | undefined;
  }[];
  /** Conditions that need a human now, in words. */
  alerts: string[];
  /** How Kiro answered its latest calls (at most 10, in the last 5 minutes); `failing` when most failed, the newest too. */
  kiroCalls: KiroCallHealth;
  /** Hook requests and events refused in the last 5 minutes, by source and answer. */
  hookRejections: RecentHookRejections;
  /** Groups and users whose last two attempts or more failed, named: the failures that keep recurring. */
  repeatedFailures: RepeatedFailure[];
  /** Set while Kiro or an IdP refuses our credentials: nothing syncs until they work again. */
  paused: { reason: string; errorCode: string; since: string; nextProbeAt: string } | null;
  /** Groups the retry policy gave up on, with their attempt history: `POST /admin/redrive` sends them back. */
  quarantined: StatusEntry[];
  /** Removals a reconcile run may not apply alone, waiting for `POST /admin/approve/{runId}`. */
  heldRuns: {
    runId: string;
    source: IdentitySource;
    groupId: string;
    removals: number;
    reason: string;
    heldAt: string;
  }[];
  /** The Kiro profile the ledger's ids belong to, and a re-provisioning run's progress. */
  kiroTarget: {
    url: string;
    since: string;
    /**
     * The users a re-provisioning brings back. While it runs, `done` is the users Kiro has again so
     * far; once its groups have settled, the run's tally: done + failed + skipped = total.
     */
    reprovision?: {
      runId: string;
      reason: string;
      phase: string;
      state: string;
      startedAt: string;
      total: number;
      done: number;
      failed: number;
      skipped: number;
      waiting: number;
      perSecond: number;
      etaSeconds: number | null;
    };
  } | null;
  /** Reconcile and re-provisioning runs, newest first; a run whose `stalledSeconds` grows is stuck. */
  runs: {
    runId: string;
    kind: string;
    reason: string;
    startedAt: string;
    finishedAt: string | undefined;
    phase: string;
    /** In words: running, waiting for the group syncs it queued, finished, or finished with N failed (named, and where to read more). */
    state: string;
    chunks: number;
    /**
     * The group syncs it queued and, for a re-provisioning, the users it forgot: done + failed +
     * skipped + waiting = total, each item counted once. `planned`: the total is final.
     */
    items: {
      total: number;
      done: number;
      failed: number;
      skipped: number;
      waiting: number;
      planned: boolean;
    };
    /** A finished run's failed items, named, with the reason (the first 20; the log has them all). */
    failedItems?: RunItemOutcome[] | undefined;
    removals: number;
    error: string | undefined;
    stalledSeconds: number;
    /** Sources whose phases the run skipped (an IdP down or refusing us), with the reason. */
    skipped?: string[] | undefined;
    /** A deep audit's findings so far, each repaired (see repair-kiro-drift.ts); absent on other runs. */
    drift?: DriftReport | undefined;
  }[];
  /** Kiro objects no ledger entry maps (made by hand or another tool), as of the last reconcile audit. */
  unmanaged: { users: number; groups: number; examples: string[]; auditedAt: string } | null;
  groups: {
    source: IdentitySource;
    id: string;
    name: string | undefined;
    status: SyncStatus;
    lastSyncedAt: string | undefined;
    dirty: boolean;
    reason: string | undefined;
  }[];
}

const statuses: SyncStatus[] = ["pending", "synced", "failed", "quarantined"];

/** Deliveries counted in /status; past it the count reads "1000+". */
const inboxCountLimit = 1_000;
/** A delivery is recorded within seconds; one still waiting after its async retries and a sweep is an alert. */
const inboxAlertSeconds = 180;

/** A report with nothing in it yet: what a fresh deployment shows before its first change. */
export function emptyStatusReport(now: Date): StatusReport {
  return {
    health: { verdict: "ok", reasons: [] },
    generatedAt: now.toISOString(),
    degraded: false,
    sources: {},
    kiro: null,
    scope: {},
    counts: {},
    oldestPending: null,
    failed: { count: 0, oldest: null },
    inbox: { waiting: 0, oldestReceivedAt: null, oldestAgeSeconds: 0 },
    failures: [],
    subscriptions: [],
    alerts: [],
    kiroCalls: { calls: 0, failed: 0, failures: {}, lastFailureAt: null, failing: false },
    hookRejections: { count: 0, bySource: {}, lastAt: null },
    repeatedFailures: [],
    paused: null,
    quarantined: [],
    heldRuns: [],
    kiroTarget: null,
    runs: [],
    unmanaged: null,
    groups: [],
  };
}

/**
 * The `/status` document for dashboards and for the engineer paged at 3 a.m.: how many items are
 * where, the age of the oldest change still waiting, why things fail, and when each group last
 * reached Kiro. Every figure is a Query on an index; nothing scans.
 */
export async function buildStatusReport(
  ledger: DeliveryInbox &
    EntraSyncState &
    GroupRecords &
    HookRejections &
    KiroCallHistory &
    RunRecords &
    StatusQueries &
    SyncControl &
    UserRecords,
  sources: readonly IdentitySource[],
  now: Date = new Date(),
  limits: { failures: number; groups: number; runs: number } = { failures: 50, groups: 200, runs: 5 },
  pendingAgeAlarmSeconds?: number,
): Promise<StatusReport> {
  const report = emptyStatusReport(now);
  const sourceHealth = await ledger.getSourceHealth();
  report.sources = sourceHealth;
  for (const [source, health] of Object.entries(sourceHealth)) {
    if (health.state !== "degraded") continue;
    report.degraded = true;
    report.alerts.push(
      `${source} degraded since ${health.since ?? health.checkedAt}: ${health.code ?? "?"} ${health.reason ?? ""} (the other sources keep syncing)`.trim(),
    );
  }
  report.kiro = (await ledger.getKiroHealth()) ?? null;
  if (report.kiro?.state === "degraded") {
    report.degraded = true;
    report.alerts.push(
      `Kiro SCIM failing its check since ${report.kiro.since ?? report.kiro.checkedAt}: ${report.kiro.code ?? "?"} ${report.kiro.reason ?? ""} (checked again every minute; npm run doctor says what to do)`.trim(),
    );
  }
  report.scope = await ledger.getScopeChecks();
  for (const subscription of await ledger.listSubscriptions()) {
    const expiresInHours =
      Math.round(((Date.parse(subscription.expiresAt) - now.getTime()) / 3_600_000) * 10) / 10;
    report.subscriptions.push({ ...subscription, expiresInHours });
    if (subscription.renewalError && expiresInHours < 24) {
      report.alerts.push(
        `Graph subscription for ${subscription.resource} expires in ${expiresInHours} h and renewal failed: ${subscription.renewalError}`,
      );
    }
  }
  for (const source of sources) {
    const count = (kind: LedgerKind, status: SyncStatus) => ledger.countByStatus(source, kind, status);
    const [users, groups, memberships] = await Promise.all([
      Promise.all(statuses.slice(0, 3).map((status) => count("USER", status))),
      Promise.all(statuses.map((status) => count("GROUP", status))),
      Promise.all(["pending", "failed"].map((status) => count("MEMBER", status as SyncStatus))),
    ]);
    report.counts[source] = {
      users: { pending: users[0]!, synced: users[1]!, failed: users[2]! },
      groups: { pending: groups[0]!, synced: groups[1]!, failed: groups[2]!, quarantined: groups[3]! },
      memberships: { pending: memberships[0]!, failed: memberships[1]! },
    };
    for (const kind of ["USER", "GROUP", "MEMBER"] as const) {
      /* Only pending changes hold OldestPendingSeconds up (that alarm pages a person at night). A
         failed one is counted apart: a group retrying has the failing-group alert and quarantine,
         a refused user or membership waits for a fix in the IdP and is in `failures`. */
      const [oldest] = await ledger.listByStatus(source, kind, "pending", 1);
      report.oldestPending = older(report.oldestPending, oldest, now);
      const failed = await ledger.listByStatus(source, kind, "failed", limits.failures);
      report.failed.oldest = older(report.failed.oldest, failed[0], now);
      report.failures.push(...failed);
    }
    report.failed.count += users[2]! + groups[2]! + memberships[1]!;
    report.quarantined.push(...(await ledger.listByStatus(source, "GROUP", "quarantined", limits.failures)));
    const groupRecords = await ledger.listGroups(source, limits.groups);
    report.groups.push(...groupRecords.map((group) => toGroupStatus(group)));
  }
  const pause = await ledger.getSyncPause();
  if (pause) {
    report.paused = {
      reason: pause.reason,
      errorCode: pause.errorCode,
      since: pause.since,
      nextProbeAt: pause.probeAt,
    };
    const remedy = pause.errorCode.endsWith(".AUTH")
      ? "fix the credentials; the backlog then drains"
      : `Kiro asked for a long wait; one probe at ${pause.probeAt} resumes the sync by itself`;
    report.alerts.push(`sync paused since ${pause.since}: ${pause.reason} (${remedy})`);
  }
  const waiting = await ledger.listWaitingDeliveries(inboxCountLimit);
  const oldestDelivery = waiting[0];
  if (oldestDelivery) {
    const ageSeconds = Math.max(
      0,
      Math.round((now.getTime() - Date.parse(oldestDelivery.receivedAt)) / 1000),
    );
    report.inbox = {
      waiting: waiting.length,
      oldestReceivedAt: oldestDelivery.receivedAt,
      oldestAgeSeconds: ageSeconds,
    };
    if (ageSeconds >= inboxAlertSeconds)
      report.alerts.push(
        `${waiting.length}${waiting.length === inboxCountLimit ? "+" : ""} Okta hook deliveries wait to be recorded, the oldest since ${oldestDelivery.receivedAt}: the OktaIngest function fails (read its log); the sweep sends them again every minute`,
      );
  }
  report.kiroCalls = await kiroCallHealth(ledger, now);
  const kiroFailing = kiroFailingAlert(report.kiroCalls);
  if (kiroFailing) report.alerts.push(kiroFailing);
  const failing = report.failures.filter((entry) => entry.kind === "GROUP" && entry.attempts >= 2);
  if (failing.length > 0) {
    const first = failing[0]!;
    report.alerts.push(
      `${failing.length} group${failing.length === 1 ? "" : "s"} failing ${first.attempts === 2 ? "twice" : `${first.attempts} times`} in a row or more, e.g. ${groupLabel(report, first.source, first.id)}: ${first.errorCode} ${first.reason ?? ""}; retries go on (see failures), quarantine at the attempt limit`,
    );
  }
  report.repeatedFailures = await repeatedFailures(
    report.failures,
    ledger,
    (source, id) => report.groups.find((group) => group.source === source && group.id === id)?.name,
  );
  const usersFailing = repeatedUserFailureAlert(report.repeatedFailures);
  if (usersFailing) report.alerts.push(usersFailing);
  report.hookRejections = await recentHookRejections(ledger, now);
  report.alerts.push(...hookRejectionAlerts(report.hookRejections));
  if (report.quarantined.length > 0)
    report.alerts.push(
      `${report.quarantined.length} groups quarantined after the retry limit: POST /admin/redrive`,
    );
  for (const held of await ledger.listHeldRemovals()) {
    const { userIds, ...rest } = held;
    report.heldRuns.push({ ...rest, removals: userIds.length });
  }
  for (const runId of new Set(report.heldRuns.map((held) => held.runId))) {
    const removals = report.heldRuns
      .filter((held) => held.runId === runId)
      .reduce((sum, held) => sum + held.removals, 0);
    report.alerts.push(
      `reconcile run ${runId} holds ${removals} removals for approval: POST /admin/approve/${runId}`,
    );
  }
  const runs = await ledger.listRuns(limits.runs);
  report.runs = runs.map((run) => ({
    runId: run.runId,
    kind: run.kind,
    reason: run.reason,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    phase: run.step ? `${run.step.phase}${run.step.source ? ` (${run.step.source})` : ""}` : "finished",
    state: describeRun(run),
    chunks: run.chunks,
    items: runItems(run),
    ...(run.failedItems?.length ? { failedItems: run.failedItems } : {}),
    removals: run.removals,
    error: run.error,
    stalledSeconds: run.step ? Math.round((now.getTime() - Date.parse(run.updatedAt)) / 1000) : 0,
    ...(run.deep ? { drift: run.drift } : {}),
    ...(run.skipped ? { skipped: run.skipped } : {}),
  }));
  const audited = runs.find((run) => run.kind === "reconcile" && run.finishedAt && run.unmanaged);
  if (audited?.unmanaged) report.unmanaged = { ...audited.unmanaged, auditedAt: audited.finishedAt! };
  const target = await ledger.getKiroTarget();
  if (target) {
    report.kiroTarget = { url: target.url, since: target.since };
    const run = target.reprovisionRunId ? await ledger.getRun(target.reprovisionRunId) : undefined;
    if (run) {
      const users = run.items.users;
      const synced = Object.values(report.counts).reduce((sum, count) => sum + count.users.synced, 0);
      const invalidating = run.step?.phase === "users";
      const tallied = run.finishedAt !== undefined;
      const done = tallied ? users.done : invalidating ? 0 : Math.min(users.total, synced);
      const waiting = users.total - done - users.failed - users.skipped;
      const elapsed = Math.max(1, (now.getTime() - Date.parse(run.startedAt)) / 1000);
      const perSecond = Math.round((done / elapsed) * 100) / 100;
      report.kiroTarget.reprovision = {
        runId: run.runId,
        reason: run.reason,
        startedAt: run.startedAt,
        phase: tallied ? "finished" : invalidating ? "forgetting old Kiro ids" : "creating in Kiro",
        state: describeRun(run),
        total: users.total,
        done,
        failed: users.failed,
        skipped: users.skipped,
        waiting,
        perSecond,
        etaSeconds: waiting <= 0 ? 0 : perSecond > 0 ? Math.round(waiting / perSecond) : null,
      };
    }
  }
  report.failures = report.failures
    .sort((a, b) => (a.pendingSince ?? "").localeCompare(b.pendingSince ?? ""))
    .slice(0, limits.failures);
  report.groups.sort((a, b) => (a.lastSyncedAt ?? "").localeCompare(b.lastSyncedAt ?? ""));
  report.health = healthVerdict(report, pendingAgeAlarmSeconds);
  return report;
}

/** Whichever of two changes has waited longer, with its age. */
function older(
  current: (StatusEntry & { ageSeconds: number }) | null,
  candidate: StatusEntry | undefined,
  now: Date,
): (StatusEntry & { ageSeconds: number }) | null {
  if (!candidate?.pendingSince || (current && current.pendingSince! <= candidate.pendingSince))
    return current;
  const ageSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(candidate.pendingSince)) / 1000));
  return { ...candidate, ageSeconds };
}

/** A run's items of both kinds, added up; what has not settled is waiting. */
function runItems(run: RunRecord): StatusReport["runs"][number]["items"] {
  const { groups, users } = run.items;
  const sum = (field: keyof RunItemCounts) => groups[field] + users[field];
  const [total, done, failed, skipped] = [sum("total"), sum("done"), sum("failed"), sum("skipped")];
  return { total, done, failed, skipped, waiting: total - done - failed - skipped, planned: run.planned };
}

function toGroupStatus(group: GroupRecord): StatusReport["groups"][number] {
  return {
    source: group.source,
    id: group.idpId,
    name: group.name,
    status: group.status,
    lastSyncedAt: group.lastSyncedAt,
    dirty: group.dirtyVersion > group.syncedVersion,
    reason: group.reason,
  };
}
