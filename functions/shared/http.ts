import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { bearerTokenMinLength } from "../../core/config";
import { secretFingerprint, secretsMatch } from "../../core/domain/constant-time";
import { SyncError } from "../../core/domain/errors";
import {
  type HookAnswer,
  type HookRequest,
  type IngestSummary,
  rejectedEventCount,
} from "../../core/use-cases/hook-request";
import { logger, metrics } from "./powertools";

/** API Gateway HTTP API (payload 2.0) → the transport-neutral request the use cases take. */
export function toHookRequest(event: APIGatewayProxyEventV2): HookRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const body =
    event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, "base64").toString("utf8")
        : event.body;
  return {
    method: event.requestContext.http.method,
    headers,
    query: event.queryStringParameters ?? {},
    body,
  };
}

export function toHttpResult(answer: HookAnswer): APIGatewayProxyStructuredResultV2 {
  if (answer.body === undefined) return { statusCode: answer.status };
  if (answer.contentType) {
    return {
      statusCode: answer.status,
      headers: { "content-type": answer.contentType, "x-content-type-options": "nosniff" },
      body: String(answer.body),
    };
  }
  return {
    statusCode: answer.status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(answer.body),
  };
}

/** Rejections are counted by reason (alarm on a burst of `unauthenticated`), never with payload data. */
export function recordHookAnswer(endpoint: string, answer: HookAnswer): void {
  if (answer.rejection) {
    metrics.addMetric(`HookRejected_${answer.rejection}`, MetricUnit.Count, 1);
    logger.warn("hook request rejected", { endpoint, status: answer.status, rejection: answer.rejection });
    return;
  }
  const summary = answer.summary;
  if (!summary) return;
  metrics.addMetric("EventsReceived", MetricUnit.Count, summary.events);
  if (summary.queued === undefined) {
    metrics.addMetric("EventsRecorded", MetricUnit.Count, summary.recorded);
    metrics.addMetric("EventsDuplicate", MetricUnit.Count, summary.duplicates);
  }
  const unknown = Object.values(summary.unknownTypes).reduce((sum, count) => sum + count, 0);
  metrics.addMetric("EventsUnknownType", MetricUnit.Count, unknown);
  recordRejectedEvents(endpoint, summary);
  logger.info(summary.queued === undefined ? "hook delivery recorded" : "hook delivery kept", {
    endpoint,
    ...summary,
  });
}

/** Events refused as malformed: a metric, and a warning that names them by uuid (never their payload). */
export function recordRejectedEvents(endpoint: string, summary: IngestSummary): void {
  const rejected = rejectedEventCount(summary);
  metrics.addMetric("EventsRejected", MetricUnit.Count, rejected);
  if (rejected > 0) logger.warn("events rejected", { endpoint, rejected, events: summary.rejected ?? [] });
}

/**
 * Nothing was recorded, so the IdP must deliver again: 5xx. A deployment whose secrets are not
 * filled in yet answers 503 "not configured" (and says which secret in its log) rather than a
 * crash; the caller learns nothing about the configuration either way.
 */
export function internalError(endpoint: string, error: unknown): APIGatewayProxyStructuredResultV2 {
  const notConfigured = error instanceof SyncError && error.code.startsWith("CONFIG.");
  logger.error(notConfigured ? "hook not configured" : "hook request failed", {
    endpoint,
    error: error as Error,
  });
  metrics.addMetric("HookFailed", MetricUnit.Count, 1);
  return {
    statusCode: notConfigured ? 503 : 500,
    headers: { "content-type": "application/json" },
    body: notConfigured ? '{"message":"not configured"}' : '{"message":"internal error"}',
  };
}

type Result = APIGatewayProxyStructuredResultV2;

/** The bearer token of a request, if it carries one. */
const presentedToken = (event: APIGatewayProxyEventV2) =>
  /^Bearer (.+)$/i.exec(event.headers?.authorization ?? "")?.[1];

/** The expected token, or the configuration error that says it is not set (or too short) yet. */
async function expectedToken(read: () => Promise<string>): Promise<string | SyncError> {
  return read().catch((error: unknown) => {
    if (error instanceof SyncError && error.code.startsWith("CONFIG.")) return error;
    throw error;
  });
}

/**
 * A token that is not set, or not valid, refuses every caller with 503 and the secret to fill: a
 * short token in Secrets Manager is treated as none, never accepted. The log names the secret id.
 */
function notConfigured(role: "status" | "admin", error: SyncError): Result {
  const [secret, variable] =
    role === "admin" ? ["AdminToken", "ADMIN_TOKEN"] : ["StatusToken", "STATUS_TOKEN"];
  logger.error(`${role} token not configured`, { error });
  return {
    statusCode: 503,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      message: `not configured: put {"token": "<at least ${bearerTokenMinLength} random characters>"} in the ${secret} secret (locally: ${variable})`,
    }),
  };
}

const unauthenticated: Result = {
  statusCode: 401,
  headers: { "www-authenticate": "Bearer", "content-type": "application/json" },
  body: '{"message":"unauthenticated"}',
};

/** The read routes' guard: the status token as a bearer token, compared in constant time. */
export async function refuseWithoutStatusToken(
  event: APIGatewayProxyEventV2,
  statusToken: () => Promise<string>,
): Promise<Result | undefined> {
  const expected = await expectedToken(statusToken);
  if (expected instanceof SyncError) return notConfigured("status", expected);
  return secretsMatch(presentedToken(event), expected) ? undefined : unauthenticated;
}

/** Who an admin request came from, for the log: the role and a fingerprint of the token, never the token. */
export interface AdminCaller {
  role: "admin";
  token: string;
}

/**
 * The `/admin/*` guard: the admin token as a bearer token, compared in constant time. The status
 * token only reads, so it is refused with 403 and told which token acts; no token or any other is
 * 401. Every refusal is a warning in the log (with the status token's fingerprint, never a token).
 */
export async function admitAdmin(
  event: APIGatewayProxyEventV2,
  tokens: { adminToken(): Promise<string>; statusToken(): Promise<string> },
): Promise<{ caller: AdminCaller } | { refusal: Result }> {
  const route = `${event.requestContext.http.method} ${event.requestContext.http.path}`;
  const expected = await expectedToken(() => tokens.adminToken());
  if (expected instanceof SyncError) return { refusal: notConfigured("admin", expected) };
  const presented = presentedToken(event);
  if (presented !== undefined && secretsMatch(presented, expected))
    return { caller: { role: "admin", token: secretFingerprint(presented) } };
  const statusToken = await expectedToken(() => tokens.statusToken());
  if (presented !== undefined && typeof statusToken === "string" && secretsMatch(presented, statusToken)) {
    logger.warn("admin request refused", {
      route,
      status: 403,
      role: "status",
      token: secretFingerprint(presented),
    });
    return {
      refusal: {
        statusCode: 403,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          message:
            "the status token only reads; /admin needs the admin token (the AdminToken secret; locally ADMIN_TOKEN, printed by npm start)",
        }),
      },
    };
  }
  logger.warn("admin request refused", {
    route,
    status: 401,
    reason: presented === undefined ? "no bearer token" : "not a token of this service",
  });
  return { refusal: unauthenticated };
}
