import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SyncError } from "../../core/domain/errors";
import { metricsNamespace, serviceName } from "../../core/domain/telemetry";

/**
 * One logger and one metrics instance for every function, configured once, so log fields and
 * metric names match across the service (dashboards key on them). Payloads and secrets are never
 * passed to the logger: only ids, counts and error codes.
 */
export const logger = new Logger({ serviceName });

/**
 * Publishes only what an invocation recorded. Powertools warns on every invocation that recorded
 * nothing (a status read, Graph's validation handshake), a WARN line per request that buries the
 * ones that say something; its only switch, `throwOnEmptyMetrics`, fails the invocation instead.
 */
class RecordedMetrics extends Metrics {
  override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) return super.publishStoredMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

/** Its own warnings go through the structured logger. */
export const metrics: Metrics = new RecordedMetrics({ namespace: metricsNamespace, serviceName, logger });

/**
 * A scheduled job that needs a secret nobody has filled in yet (the minutes between `sst deploy`
 * and the put-secret-value steps) skips its run with a warning and a `NotConfigured` count, rather
 * than failing through its retries into the jobs DLQ and paging. Any other error still fails it.
 */
export async function unlessSecretsEmpty<T>(
  job: string,
  run: () => Promise<T>,
): Promise<T | { skipped: string }> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof SyncError) || error.code !== "CONFIG.SECRET_EMPTY") throw error;
    metrics.addMetric("NotConfigured", MetricUnit.Count, 1);
    logger.warn("scheduled job skipped: a secret is not filled in yet", { job, reason: error.message });
    return { skipped: error.message };
  }
}
