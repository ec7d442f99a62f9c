import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { secretsMatch } from "../../core/domain/constant-time";
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

/** The operator routes' guard: the status token as a bearer token, compared in constant time. */
export async function refuseWithoutStatusToken(
  event: APIGatewayProxyEventV2,
  statusToken: () => Promise<string>,
): Promise<APIGatewayProxyStructuredResultV2 | undefined> {
  const presented = /^Bearer (.+)$/i.exec(event.headers?.authorization ?? "")?.[1];
  const expected = await statusToken().catch((error: unknown) => {
    if (error instanceof SyncError && error.code.startsWith("CONFIG.")) return error;
    throw error;
  });
  if (expected instanceof SyncError) {
    logger.error("status token not configured", { error: expected });
    return {
      statusCode: 503,
      headers: { "content-type": "application/json" },
      body: '{"message":"not configured"}',
    };
  }
  if (secretsMatch(presented, expected)) return undefined;
  return {
    statusCode: 401,
    headers: { "www-authenticate": "Bearer" },
    body: '{"message":"unauthenticated"}',
  };
}
