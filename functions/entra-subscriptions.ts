import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import type { EventBus } from "../core/ports/event-bus";
import { recordingSourceHealth } from "../core/use-cases/source-health";
import { syncEntraDelta } from "../core/use-cases/sync-entra-delta";
import { eventBridgeBus } from "./shared/bus-dependencies";
import { type EntraDependencies, entraDependencies } from "./shared/entra-dependencies";
import { type LedgerDependencies, ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger, metrics, unlessSecretsEmpty } from "./shared/powertools";
import { secretsManager } from "./shared/secret-dependencies";

export type EntraSubscriptionsDependencies = LedgerDependencies & EntraDependencies & { bus: EventBus };

export interface EntraSubscriptionsOptions {
  /**
   * False where Graph cannot reach the service (a local run with no public HTTPS base URL): Graph
   * would refuse the subscriptions at its validation handshake, so the delta round alone carries the
   * sync. The deployed function keeps the default, since the stack always gives it the API's URL.
   */
  subscriptions?: boolean;
}

/**
 * Scheduled: keeps the /groups and /users subscriptions alive, then runs one delta round so that
 * whatever Graph failed to notify (it drops notifications after 4 h) still reaches Kiro.
 */
export function createEntraSubscriptionsHandler(
  dependencies: () => EntraSubscriptionsDependencies,
  { subscriptions = true }: EntraSubscriptionsOptions = {},
) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () =>
      unlessSecretsEmpty("entra-subscriptions", async () => {
        const deps = dependencies();
        return recordingSourceHealth(deps.ledger, "entra", async () => {
          const run = subscriptions
            ? await (await deps.entraSubscriptions()).ensure()
            : { created: [], renewed: [], failed: [] };
          metrics.addMetric("SubscriptionRenewalFailed", MetricUnit.Count, run.failed.length);
          const delta = await syncEntraDelta({ ...deps, reader: await deps.entraDirectory() });
          logger.info("entra subscriptions and delta", { ...run, ...delta });
          return { ...run, ...delta };
        });
      }),
    );
}

export const handler = createEntraSubscriptionsHandler(
  once(() => {
    const config = loadConfig();
    const base = ledgerDependencies(config);
    return {
      ...base,
      ...entraDependencies(config, secretsManager(), base.ledger),
      bus: eventBridgeBus(config),
    };
  }),
);
