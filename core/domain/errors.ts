/**
 * Every failure that crosses a port carries a stable `code` (for dashboards, alarms and tests) and
 * says whether trying again later can help. Callers decide on retry/quarantine/pause from these two
 * fields alone, never from messages or HTTP statuses.
 */
export class SyncError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "SyncError";
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** How a SCIM failure must be handled; see {@link ScimError}. */
export type ScimErrorKind =
  | "throttled"
  | "server-error"
  | "timeout"
  | "connection"
  | "conflict"
  | "not-found"
  | "auth"
  | "invalid"
  | "bad-response";

const scimCodes: Record<ScimErrorKind, { code: string; retryable: boolean }> = {
  throttled: { code: "SCIM.THROTTLED", retryable: true },
  "server-error": { code: "SCIM.SERVER_ERROR", retryable: true },
  timeout: { code: "SCIM.TIMEOUT", retryable: true },
  connection: { code: "SCIM.CONNECTION", retryable: true },
  conflict: { code: "SCIM.CONFLICT", retryable: false },
  "not-found": { code: "SCIM.NOT_FOUND", retryable: false },
  auth: { code: "SCIM.AUTH", retryable: false },
  invalid: { code: "SCIM.INVALID", retryable: false },
  "bad-response": { code: "SCIM.BAD_RESPONSE", retryable: true },
};

/**
 * A SCIM call that Kiro refused or that never got an answer. `auth` must stop the whole sync (a
 * revoked or expired token fails every request alike, so retrying item by item only hammers Kiro);
 * `invalid` fails one item and lets the batch go on; `conflict` is resolved by adopting the existing
 * object; the retryable kinds go back through the retry policy, honouring `retryAfterMs`.
 * `bad-response` is an answer that cannot be Kiro's (not the JSON the call expects, too large, a
 * redirect): retryable, because the usual source is a proxy or load balancer in a bad moment, and a
 * repeated create only meets a 409 that adoption resolves.
 */
export class ScimError extends SyncError {
  readonly kind: ScimErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly detail: string;

  constructor(
    kind: ScimErrorKind,
    detail: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    const { code, retryable } = scimCodes[kind];
    super(code, options.status ? `Kiro SCIM ${options.status}: ${detail}` : `Kiro SCIM: ${detail}`, {
      retryable,
      cause: options.cause,
    });
    this.name = "ScimError";
    this.kind = kind;
    this.detail = detail;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A profile that can never be accepted by Kiro as it stands; fixing it needs a change in the IdP. */
export class InvalidProfileError extends SyncError {
  readonly reasons: string[];

  constructor(reasons: string[]) {
    super("USER.INVALID_PROFILE", `profile rejected before sending: ${reasons.join("; ")}`, {
      retryable: false,
    });
    this.name = "InvalidProfileError";
    this.reasons = reasons;
  }
}

/** Narrows `unknown` in catch blocks without losing non-Error throwables. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** An error as the ledger keeps it: the stable code (UNEXPECTED for what is not a SyncError) and its message. */
export function failureOf(error: unknown): { errorCode: string; reason: string } {
  return {
    errorCode: error instanceof SyncError ? error.code : "UNEXPECTED",
    reason: asError(error).message,
  };
}
