import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { z } from "zod";
import { SyncError } from "../../core/domain/errors";
import type { RetryPolicy } from "../../core/domain/retry-policy";
import { type InlineRetry, inlineRetry, retryAfterSeconds } from "../../core/use-cases/read-with-retries";
import { logger } from "./powertools";

export type Result = APIGatewayProxyStructuredResultV2;

/** An operator's answer: JSON, never cached (it says how things stand now). */
export const json = (statusCode: number, body: unknown): Result => ({
  statusCode,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(body ?? {}),
});

/** A few quick attempts, answered well inside the 29 s the API functions and API Gateway give a request. */
const inlineAttempts = 3;
const inlineBudgetMs = 20_000;

/** The retry policy, shortened to what an operator's request can wait for. */
export const retryReadFor = (policy: RetryPolicy): InlineRetry =>
  inlineRetry({ policy, maxAttempts: inlineAttempts, budgetMs: inlineBudgetMs });

/**
 * Kiro or an IdP failing under a request is the dependency's fault, not ours: the operator gets 503,
 * the stable code and, while trying again can help, a Retry-After; a 500 would read as a bug here.
 */
export function unavailable(policy: RetryPolicy, error: SyncError): Result {
  logger.warn("request met a failing dependency", { code: error.code, error });
  const retryAfter = retryAfterSeconds(policy, inlineAttempts, error);
  return {
    statusCode: 503,
    headers: {
      "content-type": "application/json",
      ...(error.retryable ? { "retry-after": String(retryAfter) } : {}),
    },
    body: JSON.stringify({
      message: error.retryable
        ? "a dependency is unavailable; try again later"
        : "a dependency refused the call",
      code: error.code,
      retryable: error.retryable,
      cause: error.message,
    }),
  };
}

/** The answer, or {@link unavailable} when a dependency failed under it with a SyncError. */
export async function unlessUnavailable(policy: RetryPolicy, answer: () => Promise<Result>): Promise<Result> {
  try {
    return await answer();
  } catch (error) {
    if (error instanceof SyncError) return unavailable(policy, error);
    throw error;
  }
}

/**
 * The route's query flags, each `true` or `false` and nothing else, plus the plain `values` it also
 * takes, and no other parameter: a `?dryRun=TRUE` or a misspelt `?dryrun=true` once started a real
 * reconcile that writes to Kiro.
 */
export function readFlags<Name extends string, Value extends string = never>(
  event: { queryStringParameters?: Record<string, string | undefined> | null },
  names: readonly Name[],
  values: readonly Value[] = [],
):
  | { ok: true; flags: Record<Name, boolean>; values: Partial<Record<Value, string>> }
  | { ok: false; answer: Result } {
  const query = event.queryStringParameters ?? {};
  const known: readonly string[] = [...names, ...values];
  const unknown = Object.keys(query).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    return {
      ok: false,
      answer: json(400, {
        message: `unknown query parameter ${unknown[0]}; this route takes ${known.join(", ")}`,
      }),
    };
  const flags = {} as Record<Name, boolean>;
  for (const name of names) {
    const value = query[name];
    if (value !== undefined && value !== "true" && value !== "false")
      return { ok: false, answer: json(400, { message: `${name} must be true or false` }) };
    flags[name] = value === "true";
  }
  const given: Partial<Record<Value, string>> = {};
  for (const name of values) if (query[name] !== undefined) given[name] = query[name];
  return { ok: true, flags, values: given };
}

/** The JSON body checked against `schema` (no body reads as `{}`), or the 400 that says what is wrong. */
export function readJsonBody<Schema extends z.ZodType>(
  event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">,
  schema: Schema,
): { ok: true; body: z.infer<Schema> } | { ok: false; answer: Result } {
  let body: unknown = {};
  try {
    body = event.body
      ? JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : event.body)
      : {};
  } catch {
    return { ok: false, answer: json(400, { message: "the body is not JSON" }) };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    return { ok: false, answer: json(400, { message: parsed.error.issues[0]?.message ?? "invalid body" }) };
  return { ok: true, body: parsed.data };
}
