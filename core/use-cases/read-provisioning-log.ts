import { type IdentitySource, IdentitySourceSchema } from "../domain/identity-source";
import type { GroupRecords } from "../ports/group-records";
import type { LogEntry, LogPage, ProvisioningLog } from "../ports/provisioning-log";
import type { UserRecords } from "../ports/user-records";
import { findGroups, findUsers } from "./find-objects";

export interface LogAnswer {
  status: number;
  contentType: string;
  body: string;
}

const formats = ["json", "csv", "ndjson"] as const;
const known = new Set(["object", "source", "result", "since", "until", "limit", "after", "format"]);
const day = 86_400_000;

/** The log, and the lookups that turn a login, email or group name into the object it names. */
export interface LogReadDependencies {
  log: ProvisioningLog;
  ledger: Pick<UserRecords, "getUsers" | "findUsers"> & Pick<GroupRecords, "getGroups" | "findGroupsByName">;
}

/**
 * `GET /log`: the provisioning log, newest first. `object` (an IdP id, a login, an email or a group
 * name) reads that user's entries (its own and its memberships') and that group's (its own and its
 * members'), one query each; without it, every entry between `since` (default: a day ago) and
 * `until` (default: now). `result` keeps successes or failures; `format=csv|ndjson` exports.
 * Parameters are checked strictly: a typo answers 400, never a different log. Operators' `/admin`
 * requests are in the timeline (`kind: OPERATOR`, with who and what); they belong to no source or
 * object, so `source` and `object` leave them out.
 */
export async function readProvisioningLog(
  query: Record<string, string | undefined>,
  deps: LogReadDependencies,
  retentionDays: number,
  now: Date = new Date(),
): Promise<LogAnswer> {
  const { log } = deps;
  const unknown = Object.keys(query).filter((name) => !known.has(name));
  if (unknown.length > 0) return refuse(`unknown parameter ${unknown.join(", ")}`);
  const format = query.format ?? "json";
  if (!(formats as readonly string[]).includes(format)) return refuse("format is json, csv or ndjson");
  const source = query.source === undefined ? undefined : IdentitySourceSchema.safeParse(query.source);
  if (source && !source.success) return refuse("source is okta or entra");
  if (query.result !== undefined && query.result !== "success" && query.result !== "failure")
    return refuse("result is success or failure");
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return refuse("limit is 1 to 1000");
  const until = query.until ?? now.toISOString();
  const since = query.since ?? new Date(Date.parse(until) - day).toISOString();
  if (Number.isNaN(Date.parse(since)) || Number.isNaN(Date.parse(until)) || since > until)
    return refuse("since and until are ISO times, since before until");
  const window = {
    since: maxIso(since, new Date(now.getTime() - retentionDays * day).toISOString()),
    until,
    limit,
    after: query.after,
  };
  const page: LogPage<LogEntry> = query.object
    ? await objectLog(deps, query.object, source?.data, window)
    : await log.listLog({ ...window, result: query.result as "success" | "failure" | undefined });
  const entries = page.entries.filter(
    (entry) =>
      (!query.result || entry.result === query.result) &&
      (!source || (entry.kind !== "OPERATOR" && entry.source === source.data)),
  );
  if (format === "csv") return { status: 200, contentType: "text/csv; charset=utf-8", body: toCsv(entries) };
  if (format === "ndjson")
    return {
      status: 200,
      contentType: "application/x-ndjson",
      body: entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""),
    };
  return { status: 200, contentType: "application/json", body: JSON.stringify({ entries, next: page.next }) };
}

/**
 * The log of every object the identifier names (a user by id, login or email, a group by id or
 * name), merged newest first. An id the ledger no longer knows is still read as both a user's and
 * a group's, of one source or both: its entries outlive its records.
 */
async function objectLog(
  deps: LogReadDependencies,
  identifier: string,
  source: IdentitySource | undefined,
  window: { since: string; until: string; limit: number },
): Promise<LogPage> {
  const [users, groups] = await Promise.all([
    findUsers(deps.ledger, identifier, source),
    findGroups(deps.ledger, identifier, source),
  ]);
  const named = [
    ...users.map((user) => ({ source: user.source, kind: "USER" as const, id: user.idpId })),
    ...groups.map((group) => ({ source: group.source, kind: "GROUP" as const, id: group.idpId })),
  ];
  const views =
    named.length > 0
      ? named
      : (source ? [source] : IdentitySourceSchema.options).flatMap((each) =>
          (["USER", "GROUP"] as const).map((kind) => ({ source: each, kind, id: identifier })),
        );
  const pages = await Promise.all(
    views.map((view) => deps.log.listObjectLog(view.source, view.kind, view.id, window)),
  );
  const entries = pages
    .flatMap((page) => page.entries)
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, window.limit);
  return { entries };
}

const columns = [
  "at",
  "source",
  "kind",
  "objectId",
  "name",
  "kiroId",
  "action",
  "result",
  "changes",
  "trigger",
  "attempt",
  "errorCode",
  "message",
  "durationMs",
  "actor",
  "request",
  "parameters",
  "status",
  "runId",
] as const;

/** RFC 4180: every field quoted, quotes doubled; a leading = + - @ is neutralised for spreadsheets. */
function toCsv(entries: readonly LogEntry[]): string {
  const field = (value: unknown) => {
    const text = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
    const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
    return `"${safe.replaceAll('"', '""')}"`;
  };
  const rows = entries.map((entry) =>
    columns
      .map((column) => field((entry as Partial<Record<(typeof columns)[number], unknown>>)[column]))
      .join(","),
  );
  return `${columns.join(",")}\r\n${rows.map((row) => `${row}\r\n`).join("")}`;
}

const maxIso = (a: string, b: string) => (a > b ? a : b);

const refuse = (message: string): LogAnswer => ({
  status: 400,
  contentType: "application/json",
  body: JSON.stringify({ message }),
});
