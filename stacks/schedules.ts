import { api } from "./api";
import { publishToBus } from "./events";
import { environment, readLedger as readLedgerOnly, writeLedger } from "./functions";
import { entraSecret, kiroScimSecret, oktaSecret, readSecrets } from "./secrets";

/**
 * Every 30 minutes: keep the Graph subscriptions alive (renewed days before their 29-day limit, so
 * a failure has time to be fixed) and run one delta round for what notifications missed. Delta
 * links expire after 7 days, so this also keeps them fresh. Deployed when ENTRA_ENABLED=true.
 */
export const entraSubscriptions =
  process.env.ENTRA_ENABLED === "true"
    ? new sst.aws.CronV2("EntraSubscriptions", {
        schedule: "rate(30 minutes)",
        function: {
          handler: "functions/entra-subscriptions.handler",
          timeout: "5 minutes",
          environment: { ...environment, ENTRA_NOTIFICATION_BASE_URL: api.url },
          permissions: [writeLedger, publishToBus, readSecrets(entraSecret)],
        },
      })
    : undefined;

/** Hourly: re-read every synced and in-scope group, because neither Okta nor Graph guarantees delivery. */
export const reconcile = new sst.aws.CronV2("Reconcile", {
  schedule: "rate(1 hour)",
  function: {
    handler: "functions/reconcile.handler",
    timeout: "5 minutes",
    environment,
    permissions: [writeLedger, publishToBus, readSecrets(oktaSecret, entraSecret, kiroScimSecret)],
  },
});

/** Every 5 minutes: put changes nobody is carrying (lost PutEvents, dead workers, stalled runs) back on the bus. */
export const sweep = new sst.aws.CronV2("Sweep", {
  schedule: "rate(5 minutes)",
  function: {
    handler: "functions/sweep.handler",
    timeout: "2 minutes",
    environment,
    permissions: [readLedgerOnly, publishToBus],
  },
});

/** Every minute: the /status report as CloudWatch gauges for the dashboard and its alarms. */
export const healthMetrics = new sst.aws.CronV2("HealthMetrics", {
  schedule: "rate(1 minute)",
  function: {
    handler: "functions/health-metrics.handler",
    timeout: "1 minute",
    environment,
    permissions: [readLedgerOnly],
  },
});
