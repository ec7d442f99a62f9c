import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { metricsNamespace, serviceName } from "../../core/domain/telemetry";

/**
 * One logger and one metrics instance for every function, configured once, so log fields and
 * metric names match across the service (dashboards key on them). Payloads and secrets are never
 * passed to the logger: only ids, counts and error codes.
 */
export const logger = new Logger({ serviceName });
/** Its own warnings (e.g. an invocation that recorded no metric) go through the structured logger. */
export const metrics = new Metrics({ namespace: metricsNamespace, serviceName, logger });
