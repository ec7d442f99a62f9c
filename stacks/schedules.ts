import { api } from "./api";
import { publishToBus } from "./events";
import { environment, functionAlarms, onLedger, readPartitions, readStatus } from "./functions";
import { scheduledJobDlq } from "./retries";
import { entraSecret, kiroScimSecret, readSecrets } from "./secrets";
import { trustOnly } from "./trust";

const toJobDlq = { actions: ["sqs:SendMessage"], resources: [scheduledJobDlq.arn] };

/**
 * A scheduled job that nothing drops silently: Scheduler retries starting it and parks what it
 * cannot start in the jobs DLQ; a run that fails through Lambda's two async retries goes to the
 * same DLQ as an on-failure record; Errors and Throttles page; the Scheduler role it assumes
 * trusts only this account.
 */
function scheduledJob(
  name: string,
  schedule: `rate(${string})`,
  fn: sst.aws.FunctionArgs & { permissions: sst.aws.FunctionPermissionArgs[] },
) {
  const job = new sst.aws.CronV2(name, {
    schedule,
    retries: 3,
    dlq: scheduledJobDlq.arn,
    function: {
      environment,
      ...fn,
      permissions: [...fn.permissions, toJobDlq],
      retries: 2,
      transform: {
        eventInvokeConfig: (args) => {
          args.destinationConfig = { onFailure: { destination: scheduledJobDlq.arn } };
        },
      },
    },
    transform: {
      role: (args) => {
        args.assumeRolePolicy = trustOnly("scheduler.amazonaws.com");
      },
    },
  });
  functionAlarms(name, job.nodes.function.name);
  return job;
}

/**
 * Every 30 minutes: keep the Graph subscriptions alive (renewed days before their 29-day limit, so
 * a failure has time to be fixed) and run one delta round for what notifications missed. Delta
 * links expire after 7 days, so this also keeps them fresh. Entra stages only.
 */
export const entraSubscriptions = entraSecret
  ? scheduledJob("EntraSubscriptions", "rate(30 minutes)", {
      handler: "functions/entra-subscriptions.handler",
      timeout: "5 minutes",
      environment: { ...environment, ENTRA_NOTIFICATION_BASE_URL: api.url },
      permissions: [
        onLedger(["BatchGetItem", "Query", "PutItem", "UpdateItem"]),
        publishToBus,
        readSecrets(entraSecret),
      ],
    })
  : undefined;

/** Hourly: re-read every synced and in-scope group, because neither Okta nor Graph guarantees delivery. */
export const reconcile = scheduledJob("Reconcile", "rate(1 hour)", {
  handler: "functions/reconcile.handler",
  timeout: "5 minutes",
  permissions: [
    onLedger(["BatchGetItem", "PutItem"]),
    onLedger(["Query"], ["byStatus"]),
    publishToBus,
    readSecrets(kiroScimSecret),
  ],
});

/**
 * Every minute: put changes nobody is carrying (lost PutEvents, dead workers, stalled runs) back on
 * the bus. With 30-second group leases, a change a crashed worker held is moving again within about
 * a minute and a half; the extra 34,560 runs a month over a 5-minute rate cost about $0.30.
 */
export const sweep = scheduledJob("Sweep", "rate(1 minute)", {
  handler: "functions/sweep.handler",
  timeout: "2 minutes",
  permissions: [...readStatus, publishToBus],
});

/** Every minute: the /status report as CloudWatch gauges for the dashboard and its alarms. */
export const healthMetrics = scheduledJob("HealthMetrics", "rate(1 minute)", {
  handler: "functions/health-metrics.handler",
  timeout: "1 minute",
  permissions: [...readStatus, readPartitions],
});
