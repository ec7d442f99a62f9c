import type { IdentitySource } from "../domain/identity-source";
import type { HookRejections } from "../ports/hook-rejections";
import type { KiroCallHistory } from "../ports/kiro-call-history";
import type { StatusEntry } from "../ports/ledger-records";
import type { UserRecords } from "../ports/user-records";
import { isKiroFailure } from "./kiro-call-tally";

/** Failures that recur are alerted on from what happened in this window; older ones no longer count. */
export const recentWindowSeconds = 300;
/** How many of Kiro's latest calls are read: the alert names how many of them failed. */
const kiroCallsRead = 10;
/** Fewer calls than this say nothing about Kiro (one 500 is a bad moment). */
const kiroCallsNeeded = 3;
/** Rejected hook requests (or events) in the window that make an alert; a stray one does not. */
export const hookRejectionsAlerting = 3;

/** How Kiro answered its latest calls, newest first, and whether that is Kiro failing. */
export interface KiroCallHealth {
  /** Of the latest calls in the window (at most 10): how many were made and how many failed. */
  calls: number;
  failed: number;
  /** The failed ones by answer: `500`, `429`, `no answer`. */
  failures: Record<string, number>;
  lastFailureAt: string | null;
  /**
   * Most of the latest calls failed, the newest among them: Kiro is failing now. Clears with the
   * next successful call that tips the balance, or when the window passes without calls.
   */
  failing: boolean;
}

/** Hook requests and events refused in the window, by source and answer. */
export interface RecentHookRejections {
  count: number;
  /** e.g. `{ okta: { "401 unauthenticated": 12 } }`. */
  bySource: Partial<Record<IdentitySource, Record<string, number>>>;
  lastAt: string | null;
}

/** A group or user whose last two attempts or more failed, named. */
export interface RepeatedFailure {
  kind: "GROUP" | "USER";
  source: IdentitySource;
  id: string;
  name?: string | undefined;
  attempts: number;
  errorCode?: string | undefined;
  reason?: string | undefined;
}

const windowStart = (now: Date) => new Date(now.getTime() - recentWindowSeconds * 1000).toISOString();

export async function kiroCallHealth(ledger: KiroCallHistory, now: Date): Promise<KiroCallHealth> {
  const batches = await ledger.listKiroCalls(windowStart(now), 50);
  const latest = batches.flatMap((batch) => [...batch.recent].reverse()).slice(0, kiroCallsRead);
  const failed = latest.filter(isKiroFailure);
  const failures: Record<string, number> = {};
  for (const status of failed) {
    const answer = status === 0 ? "no answer" : String(status);
    failures[answer] = (failures[answer] ?? 0) + 1;
  }
  return {
    calls: latest.length,
    failed: failed.length,
    failures,
    lastFailureAt: batches.find((batch) => batch.lastFailureAt)?.lastFailureAt ?? null,
    failing:
      latest.length >= kiroCallsNeeded && failed.length * 2 > latest.length && isKiroFailure(latest[0]!),
  };
}

/** "Kiro is failing: 8 of the last 10 calls answered 500/429 (the last at …)", while it is. */
export function kiroFailingReason(kiro: KiroCallHealth): string | undefined {
  if (!kiro.failing) return undefined;
  const answers = Object.keys(kiro.failures).join("/");
  return `Kiro is failing: ${kiro.failed} of the last ${kiro.calls} calls answered ${answers} (the last at ${kiro.lastFailureAt})`;
}

export function kiroFailingAlert(kiro: KiroCallHealth): string | undefined {
  const reason = kiroFailingReason(kiro);
  return (
    reason &&
    `${reason}; groups retry on their own and are quarantined after RETRY_MAX_ATTEMPTS, nothing to do unless it lasts`
  );
}

export async function recentHookRejections(ledger: HookRejections, now: Date): Promise<RecentHookRejections> {
  const rejections = await ledger.listHookRejections(windowStart(now), 1_000);
  const recent: RecentHookRejections = { count: 0, bySource: {}, lastAt: rejections[0]?.at ?? null };
  for (const rejection of rejections) {
    recent.count += rejection.count;
    const ofSource = recent.bySource[rejection.source] ?? {};
    const answer = `${rejection.status} ${rejection.reason}`;
    ofSource[answer] = (ofSource[answer] ?? 0) + rejection.count;
    recent.bySource[rejection.source] = ofSource;
  }
  return recent;
}

/** What to check for each kind of rejection, in the alert. */
const rejectionAdvice: Record<string, string> = {
  unauthenticated:
    "the hook's secret in the IdP differs from the one we hold (Okta: the Okta secret's hookSecret)",
  "bad-client-state": "Graph sends another clientState than the Entra secret's",
  "rejected-events": "read the hook's `events rejected` log lines",
};

export function hookRejectionAlerts(recent: RecentHookRejections): string[] {
  if (recent.count < hookRejectionsAlerting) return [];
  return Object.entries(recent.bySource).map(([source, answers]) => {
    const total = Object.values(answers).reduce((sum, count) => sum + count, 0);
    const listed = Object.entries(answers)
      .map(([answer, count]) => `${answer}: ${count}`)
      .join(", ");
    const advice = Object.keys(answers)
      .map(
        (answer) =>
          rejectionAdvice[answer.replace(/^\d+ /, "")] ?? "read the hook's `hook request rejected` log lines",
      )
      .filter((line, index, all) => all.indexOf(line) === index)
      .join("; ");
    return `${source} hook: ${total} requests or events rejected in the last ${recentWindowSeconds / 60} minutes (${listed}), the last at ${recent.lastAt}: ${advice}`;
  });
}

/**
 * Groups and users whose last two attempts or more failed, in the order of `failures` (oldest
 * change first), users named by their login (one batch read per source).
 */
export async function repeatedFailures(
  failures: readonly StatusEntry[],
  ledger: UserRecords,
  groupName: (source: IdentitySource, id: string) => string | undefined,
): Promise<RepeatedFailure[]> {
  const repeated = failures.filter(
    (entry): entry is StatusEntry & { kind: "GROUP" | "USER" } =>
      entry.kind !== "MEMBER" && entry.attempts >= 2,
  );
  const logins = new Map<string, string | undefined>();
  for (const source of new Set(
    repeated.filter((entry) => entry.kind === "USER").map((entry) => entry.source),
  )) {
    const ids = repeated
      .filter((entry) => entry.kind === "USER" && entry.source === source)
      .map((entry) => entry.id);
    for (const [id, user] of await ledger.getUsers(source, ids))
      logins.set(`${source}#${id}`, user.profile?.userName);
  }
  return repeated.map((entry) => ({
    kind: entry.kind,
    source: entry.source,
    id: entry.id,
    name:
      entry.kind === "USER" ? logins.get(`${entry.source}#${entry.id}`) : groupName(entry.source, entry.id),
    attempts: entry.attempts,
    errorCode: entry.errorCode,
    reason: entry.reason,
  }));
}

/** An object as an operator reads it: its name, with the source and id that find it. */
export const failureLabel = (failure: RepeatedFailure) =>
  failure.name ? `${failure.name} (${failure.source} ${failure.id})` : `${failure.source} ${failure.id}`;

export function repeatedUserFailureAlert(failures: readonly RepeatedFailure[]): string | undefined {
  const users = failures.filter((failure) => failure.kind === "USER");
  if (users.length === 0) return undefined;
  const first = users[0]!;
  const why = [first.errorCode, first.reason].filter(Boolean).join(" ");
  return `${users.length} user${users.length === 1 ? "" : "s"} Kiro refused twice in a row or more, e.g. ${failureLabel(first)}: ${why}; fix the profile in the IdP (each is sent again after its back-off, or at once on a profile change)`;
}
