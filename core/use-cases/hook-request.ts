import type { IdentitySource } from "../domain/identity-source";
import type { RejectedEvent } from "../domain/tally";
import type { HookRejection, HookRejections } from "../ports/hook-rejections";
/** The parts of an HTTP request a hook endpoint needs, whatever carried it (API Gateway, local server). */
export interface HookRequest {
  method: string;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  query?: Record<string, string | undefined>;
  body: string | undefined;
}

export interface HookAnswer {
  status: number;
  body?: unknown;
  /** Set for answers that are not JSON (Graph's validation echo is text/plain). */
  contentType?: string;
  /** Why the request was refused, for logs and metrics; never contains payload data. */
  rejection?: "unauthenticated" | "too-large" | "unsupported-media-type" | "malformed" | "method";
  summary?: IngestSummary;
}

/**
 * The checks every hook body goes through after authentication: size, content type, JSON. Returns
 * the parsed JSON, or the refusal to send.
 */
export function readJsonBody(
  request: HookRequest,
  maxBodyBytes: number,
): { json: unknown } | { refusal: HookAnswer } {
  const body = request.body ?? "";
  if (Buffer.byteLength(body, "utf8") > maxBodyBytes) {
    return {
      refusal: {
        status: 413,
        body: { message: `body larger than ${maxBodyBytes} bytes` },
        rejection: "too-large",
      },
    };
  }
  const contentType = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    return {
      refusal: {
        status: 415,
        body: { message: "content-type must be application/json" },
        rejection: "unsupported-media-type",
      },
    };
  }
  try {
    return { json: JSON.parse(body) };
  } catch {
    return { refusal: { status: 400, body: { message: "body is not valid JSON" }, rejection: "malformed" } };
  }
}

export function malformed(reasons: string[], message: string): HookAnswer {
  return { status: 400, body: { message, reasons }, rejection: "malformed" };
}

/** What one hook delivery did, by the same measure for every IdP (logged and turned into metrics). */
export interface IngestSummary {
  events: number;
  /** Kept in the inbox for the ingest worker (Okta); recorded counts come from that worker. */
  queued?: number;
  recorded: number;
  duplicates: number;
  /** Why events changed nothing, by reason (`out-of-scope`, `not-success`, `unknown-user`, …). */
  ignored: Record<string, number>;
  /** Event types we do not handle, with their counts. */
  unknownTypes: Record<string, number>;
  /**
   * Events refused as malformed (a membership event without its user or group, an id no IdP
   * sends), by uuid, so the one an operator is asked about can be found in the log; the first
   * few only, the counts in `ignored` are complete.
   */
  rejected?: RejectedEvent[];
  groupsTouched: number;
}

/** Reasons that mean the event itself is wrong, not merely of no concern: counted and listed as rejected. */
export const rejectionReasons: ReadonlySet<string> = new Set(["oversize-target", "missing-target"]);

/** How many events of a delivery were refused as malformed, whether or not their uuids were listed. */
export function rejectedEventCount(summary: IngestSummary): number {
  return [...rejectionReasons].reduce((total, reason) => total + (summary.ignored[reason] ?? 0), 0);
}

/**
 * What `/status` counts of an authenticated hook request: the request refused, or events inside
 * an accepted one refused, each kind one entry. The caller passes only requests that proved the
 * secret: one that proved nothing (a wrong or missing secret, a wrong method, a Graph request,
 * whose items alone carry the clientState) stores nothing, so a flood of them costs no write; the
 * `HookRejected_*` metrics count them.
 */
export function hookRejectionsOf(source: IdentitySource, answer: HookAnswer, now: Date): HookRejection[] {
  const at = now.toISOString();
  if (answer.rejection)
    return source === "okta"
      ? [{ at, source, reason: answer.rejection, status: answer.status, count: 1 }]
      : [];
  const count = answer.summary ? rejectedEventCount(answer.summary) : 0;
  return count > 0 ? [{ at, source, reason: "rejected-events", status: answer.status, count }] : [];
}

/** Counting a rejection must never turn the answer into a 500 (the IdP would retry a refused request). */
export async function recordHookRejections(
  rejections: readonly HookRejection[],
  ledger: HookRejections,
): Promise<void> {
  await Promise.all(rejections.map((rejection) => ledger.recordHookRejection(rejection))).catch(
    () => undefined,
  );
}
