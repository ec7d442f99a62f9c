import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/**
 * One logger and one metrics instance for every function, configured once, so log fields and
 * metric names match across the service (dashboards key on them). Payloads and secrets are never
 * passed to the logger: only ids, counts and error codes.
 */
export const logger = new Logger({ serviceName: "kiro-scim-sync" });
/** Its own warnings (e.g. an invocation that recorded no metric) go through the structured logger. */
export const metrics = new Metrics({ namespace: "KiroScimSync", serviceName: "kiro-scim-sync", logger });
