import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { secretsMatch } from "../../core/domain/constant-time";
import type { HookAnswer, HookRequest } from "../../core/use-cases/hook-request";
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
  metrics.addMetric("EventsRecorded", MetricUnit.Count, summary.recorded);
  metrics.addMetric("EventsDuplicate", MetricUnit.Count, summary.duplicates);
  const unknown = Object.values(summary.unknownTypes).reduce((sum, count) => sum + count, 0);
  metrics.addMetric("EventsUnknownType", MetricUnit.Count, unknown);
  logger.info("hook delivery recorded", { endpoint, ...summary });
}

export function internalError(endpoint: string, error: unknown): APIGatewayProxyStructuredResultV2 {
  logger.error("hook request failed", { endpoint, error: error as Error });
  metrics.addMetric("HookFailed", MetricUnit.Count, 1);
  return {
    statusCode: 500,
    headers: { "content-type": "application/json" },
    body: '{"message":"internal error"}',
  };
}

/** The operator routes' guard: the status token as a bearer token, compared in constant time. */
export async function refuseWithoutStatusToken(
  event: APIGatewayProxyEventV2,
  statusToken: () => Promise<string>,
): Promise<APIGatewayProxyStructuredResultV2 | undefined> {
  const presented = /^Bearer (.+)$/i.exec(event.headers?.authorization ?? "")?.[1];
  if (secretsMatch(presented, await statusToken())) return undefined;
  return {
    statusCode: 401,
    headers: { "www-authenticate": "Bearer" },
    body: '{"message":"unauthenticated"}',
  };
}
