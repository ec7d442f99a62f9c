import type { IdentitySource } from "../domain/identity-source";
import type { LedgerKind } from "./ledger-records";

export type LogAction =
  | "create"
  | "adopt"
  | "update"
  | "activate"
  | "deactivate"
  | "delete"
  | "rename"
  | "add-member"
  | "remove-member"
  | "failure";

export type LogResult = "success" | "failure";

/** One action on one object, as Entra's provisioning logs and Okta's push status show them. */
export interface ProvisioningLogEntry {
  at: string;
  source: IdentitySource;
  kind: LedgerKind;
  /** The IdP id; for a membership, the group's and the user's (`groupId/userId`). */
  objectId: string;
  /** The user's login or the group's name, when known. */
  name?: string | undefined;
  kiroId?: string | undefined;
  action: LogAction;
  result: LogResult;
  /** Attributes an update changed, old → new (profile fields only: a secret never reaches a profile). */
  changes?: { attribute: string; from?: string | undefined; to?: string | undefined }[] | undefined;
  /** What set the sync going: `hook:okta`, `run:<id>`, `redrive`, `sweep`, `retry`… */
  trigger?: string | undefined;
  attempt?: number | undefined;
  errorCode?: string | undefined;
  /** Kiro's message or our reason, for a failure. */
  message?: string | undefined;
  durationMs?: number | undefined;
}

/**
 * An operator's request to an `/admin` route: who made it and what came of it. Written by the Admin
 * function after it answers, so "who started the reconcile at 3 a.m." is in the same log as what
 * that reconcile did (its object entries carry `trigger: run:<runId>`).
 */
export interface OperatorLogEntry {
  at: string;
  kind: "OPERATOR";
  /** The token's role and its fingerprint (8 hex digits of its SHA-256), never the token. */
  actor: { role: "admin"; token: string };
  /** Method and path: `POST /admin/reconcile`. */
  request: string;
  /** The query parameters and the JSON body the request carried. */
  parameters?: Record<string, unknown> | undefined;
  result: LogResult;
  /** The HTTP status the operator was answered. */
  status: number;
  /** The run the request started, when it started one. */
  runId?: string | undefined;
  /** The answer's message: why a request was refused, or what a dependency said. */
  message?: string | undefined;
  durationMs?: number | undefined;
}

export type LogEntry = ProvisioningLogEntry | OperatorLogEntry;

export interface LogPage<Entry = ProvisioningLogEntry> {
  entries: Entry[];
  /** Pass back as `after` for the next page; absent on the last. */
  next?: string | undefined;
}

export interface LogWindow {
  /** ISO times; the window is at most the retention period. */
  since: string;
  until: string;
  limit: number;
  after?: string | undefined;
  /** Only successes or only failures: pages fill up with matching entries, not a page's worth filtered. */
  result?: LogResult | undefined;
}

/**
 * What the service did to each object in Kiro, kept for LOG_RETENTION_DAYS. Written in batches
 * after a pass, so no SCIM call waits on it; read newest first, one object with one query.
 */
export interface ProvisioningLog {
  appendLogEntries(entries: readonly LogEntry[]): Promise<void>;
  /** A user's entries (its own and its memberships'), or a group's (its own and its members'). */
  listObjectLog(
    source: IdentitySource,
    kind: "USER" | "GROUP",
    objectId: string,
    window: LogWindow,
  ): Promise<LogPage>;
  /** Every entry in the window, operators' requests included, newest first. */
  listLog(window: LogWindow): Promise<LogPage<LogEntry>>;
}
