import type { LedgerIndexName } from "../core/adapters/dynamo/ledger-table";
import { eventSource } from "../core/domain/sync-events";
import { metricsNamespace, serviceName } from "../core/domain/telemetry";
import { alarm, onFirstOccurrence } from "./alerts";
import { bus, publishToBus } from "./events";
import {
  busDeliveryDlq,
  deliveryRetries,
  failureRecorderDlq,
  retrySchedules,
  scheduleRetries,
  schedulerRole,
} from "./retries";
import {
  adminTokenSecret,
  entraSecret,
  kiroScimSecret,
  oktaSecret,
  readSecrets,
  statusTokenSecret,
} from "./secrets";
import { okta, syncWorkerConcurrency, tuning } from "./settings";
import { ledger } from "./storage";

/**
 * The Lambda functions and their IAM. Each role allows exactly the calls its function makes, on
 * our resources only (the infra tests compare every grant with the SDK calls each bundle made in
 * the end-to-end run), and each function carries the settings of the sources this stage deploys.
 */
/**
 * Ledger access as IAM statements: actions on the table itself and on the named indexes only. The
 * ledger adapter never issues GetItem (it reads with BatchGetItem and Query), and a transaction is
 * authorised per item (UpdateItem), so neither appears here.
 */
export function onLedger(actions: string[], targets: ("table" | LedgerIndexName)[] = ["table"]) {
  return {
    actions: actions.map((action) => `dynamodb:${action}`),
    resources: targets.map((target) =>
      target === "table" ? ledger.arn : $interpolate`${ledger.arn}/index/${target}`,
    ),
  };
}
/** What /status and the health gauges read: items by key, the status and collection indexes. */
export const readStatus = [onLedger(["BatchGetItem"]), onLedger(["Query"], ["byStatus", "byCollection"])];
/**
 * Queries of one partition: `GET /log` reads a group's entries (a user's and the day's come from the
 * indexes), and looks a login, email or group name up in its alias partition; `/status` and the
 * health gauges read the recent Kiro answers and hook rejections.
 */
export const readPartitions = onLedger(["Query"]);
/** A hook records changes: dedupe reads, conditional puts and updates, a user's groups by index. */
const recordChanges = [onLedger(["Query", "PutItem", "UpdateItem"]), onLedger(["Query"], ["byCollection"])];
/** The Okta hook only keeps a delivery in the inbox: one put per part, nothing read. */
const keepOktaDeliveries = [onLedger(["PutItem"])];

/** The secrets of the sources this stage deploys, and no other. */
export const sourceSecrets = [oktaSecret, entraSecret].filter((each) => each !== undefined);

export const environment: Record<string, $util.Input<string>> = {
  LEDGER_TABLE_NAME: ledger.name,
  EVENT_BUS_NAME: bus.name,
  EVENT_BUS_ARN: bus.arn,
  SCHEDULER_GROUP_NAME: retrySchedules.name,
  SCHEDULER_ROLE_ARN: schedulerRole.arn,
  KIRO_SCIM_SECRET_ID: kiroScimSecret.arn,
  STATUS_TOKEN_SECRET_ID: statusTokenSecret.arn,
  ADMIN_TOKEN_SECRET_ID: adminTokenSecret.arn,
  SYNC_GROUPS: process.env.SYNC_GROUPS ?? "",
  REMOVAL_POLICY: process.env.REMOVAL_POLICY ?? "deactivate",
  POWERTOOLS_SERVICE_NAME: serviceName,
  POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
  ...(okta && oktaSecret
    ? { OKTA_ORG_URL: okta.orgUrl, OKTA_APP_ID: okta.appId, OKTA_SECRET_ID: oktaSecret.arn }
    : {}),
  ...(entraSecret ? { ENTRA_SECRET_ID: entraSecret.arn } : {}),
  ...tuning,
};

/** Lambda's Errors and Throttles of one function, both paging: either means a change may be waiting. */
export function functionAlarms(label: string, functionName: $util.Input<string>) {
  for (const [metric, meaning] of [
    ["Errors", "failed (crash, timeout or unhandled error): read its log group"],
    ["Throttles", "was throttled: raise the account's Lambda concurrency or SYNC_WORKER_CONCURRENCY"],
  ] as const)
    alarm(`${label}${metric}Alarm`, {
      alarmDescription: `${label} ${meaning}`,
      namespace: "AWS/Lambda",
      metricName: metric,
      dimensions: { FunctionName: functionName },
      statistic: "Sum",
      ...onFirstOccurrence,
    });
}

function monitoredFunction(name: string, args: sst.aws.FunctionArgs): sst.aws.Function {
  const fn = new sst.aws.Function(name, { environment, ...args });
  functionAlarms(name, fn.name);
  return fn;
}

/** Okta gives a hook 3 s; the function answers in milliseconds, so 10 s is only a ceiling. */
export const oktaEvents = oktaSecret
  ? monitoredFunction("OktaEvents", {
      handler: "functions/okta-events.handler",
      timeout: "10 seconds",
      memory: "512 MB",
      permissions: [...keepOktaDeliveries, publishToBus, readSecrets(oktaSecret)],
    })
  : undefined;

/**
 * `?live=true` on `/users/{id}` and `/groups/{id}` reads Kiro and the object's IdP, hence their
 * secrets, within the 20 s an operator's read may take: it stops at 29 s, under API Gateway's 30.
 */
export const status = monitoredFunction("Status", {
  handler: "functions/status.handler",
  timeout: "29 seconds",
  permissions: [
    ...readStatus,
    readPartitions,
    readSecrets(statusTokenSecret, kiroScimSecret, ...sourceSecrets),
  ],
});

/**
 * Lambda's on-failure destination for the bus workers: an invocation that crashed or timed out
 * through its async retries is recorded like a retry-policy give-up (quarantine / run stopped).
 * If even that fails, the record goes to a DLQ with an alarm, which its role may send to.
 */
export const asyncFailure = monitoredFunction("AsyncFailure", {
  handler: "functions/async-failure.handler",
  timeout: "30 seconds",
  permissions: [
    onLedger(["UpdateItem"]),
    { actions: ["sqs:SendMessage"], resources: [failureRecorderDlq.arn] },
  ],
  retries: 2,
  transform: {
    eventInvokeConfig: (args) => {
      args.destinationConfig = { onFailure: { destination: failureRecorderDlq.arn } };
    },
  },
});

/** Async retries twice, then the failure recorder; its invocation needs this on the worker's role. */
const onFailureToRecorder = {
  retries: 2,
  transform: {
    eventInvokeConfig: (args: aws.lambda.FunctionEventInvokeConfigArgs): undefined => {
      args.maximumEventAgeInSeconds = 3600;
      args.destinationConfig = { onFailure: { destination: asyncFailure.arn } };
      return undefined;
    },
  },
};
const invokeRecorder = { actions: ["lambda:InvokeFunction"], resources: [asyncFailure.arn] };

/** What a worker that talks to Kiro and the IdPs needs beyond the ledger: Scheduler retries and the secrets. */
const syncAccess = [...scheduleRetries, readSecrets(kiroScimSecret, ...sourceSecrets)];

/**
 * A bus worker: its ledger and other access, the bus, Lambda's async retries then the failure
 * recorder. Concurrency is reserved only when SYNC_WORKER_CONCURRENCY asks.
 */
function busWorker(
  name: string,
  detailType: string,
  handler: string,
  access: sst.aws.FunctionPermissionArgs[],
  reserved: number | undefined,
) {
  const subscriber = bus.subscribe(
    name,
    {
      handler,
      timeout: "5 minutes",
      memory: "1024 MB",
      ...(reserved ? { concurrency: { reserved } } : {}),
      environment,
      permissions: [...access, publishToBus, invokeRecorder],
      ...onFailureToRecorder,
    },
    { pattern: { source: [eventSource], detailType: [detailType] }, transform: deliveryRetries },
  );
  functionAlarms(name, subscriber.nodes.function.name);
  return subscriber;
}

/** One group per invocation under a ledger lease. */
export const syncGroupWorker = busWorker(
  "SyncGroup",
  "GroupChanged",
  "functions/sync-group.handler",
  [
    onLedger(["BatchGetItem", "BatchWriteItem", "Query", "PutItem", "UpdateItem", "DeleteItem"]),
    onLedger(["Query"], ["byStatus", "byCollection"]),
    ...syncAccess,
  ],
  syncWorkerConcurrency,
);

/**
 * Chunks of reconcile and re-provisioning runs: each reads a page of the ledger and triggers groups;
 * a re-read that finds a changed profile writes it with its login and email aliases (PutItem); a
 * re-provisioning's last chunk reads the users Kiro refused or no group brought back (byStatus).
 */
export const runChunkWorker = busWorker(
  "RunChunk",
  "RunChunk",
  "functions/run-chunk.handler",
  [
    onLedger(["BatchGetItem", "Query", "PutItem", "UpdateItem"]),
    onLedger(["Query"], ["byStatus", "byCollection"]),
    ...syncAccess,
  ],
  syncWorkerConcurrency ? 2 : undefined,
);

/**
 * Records the Okta deliveries the hook kept: dedupe reads and item reads in batches, changes in
 * transactions (authorised as their updates, and a renamed group's alias as a put), event marks
 * in batched puts, then the delivery's parts read and deleted.
 * No SCIM, no IdP, no secret.
 */
export const oktaIngestWorker = oktaSecret
  ? busWorker(
      "OktaIngest",
      "DeliveryReceived",
      "functions/okta-ingest.handler",
      [
        onLedger(["BatchGetItem", "BatchWriteItem", "Query", "PutItem", "UpdateItem", "DeleteItem"]),
        onLedger(["Query"], ["byCollection"]),
      ],
      undefined,
    )
  : undefined;

/**
 * EventBridge parks an event it could not deliver to a worker in the delivery DLQ; only our two
 * rules may write there.
 */
new aws.sqs.QueuePolicy("BusDeliveryDlqPolicy", {
  queueUrl: busDeliveryDlq.url,
  policy: $jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: busDeliveryDlq.arn,
        Condition: {
          ArnEquals: {
            "aws:SourceArn": [syncGroupWorker, runChunkWorker, oktaIngestWorker].flatMap((worker) =>
              worker ? [worker.nodes.rule.arn] : [],
            ),
          },
        },
      },
    ],
  }),
});

/** Graph counts answers after 2.9 s as slow and drops notifications for slow endpoints. */
export const entraNotify = entraSecret
  ? monitoredFunction("EntraNotify", {
      handler: "functions/entra-notify.handler",
      timeout: "10 seconds",
      memory: "512 MB",
      permissions: [...recordChanges, publishToBus, readSecrets(entraSecret)],
    })
  : undefined;

/** Renewing or recreating a subscription calls Graph, hence the Entra secret. */
export const entraLifecycle = entraSecret
  ? monitoredFunction("EntraLifecycle", {
      handler: "functions/entra-lifecycle.handler",
      timeout: "20 seconds",
      permissions: [
        onLedger(["BatchGetItem", "PutItem", "UpdateItem"]),
        onLedger(["Query"], ["byCollection"]),
        publishToBus,
        readSecrets(entraSecret),
      ],
    })
  : undefined;

/**
 * The operator routes, behind the admin token (the status token is read too, to tell a caller who
 * sent it that it only reads); each request is written to the provisioning log (BatchWriteItem),
 * and so are the entries of a provisioning on demand, which syncs an object as a worker would.
 * API Gateway gives an integration 30 s, so the function stops at 29: a reconcile only marks and
 * triggers, and the doctor's checks time out first.
 */
export const admin = monitoredFunction("Admin", {
  handler: "functions/admin.handler",
  timeout: "29 seconds",
  permissions: [
    onLedger(["BatchGetItem", "BatchWriteItem", "Query", "PutItem", "UpdateItem", "DeleteItem"]),
    onLedger(["Query"], ["byStatus", "byCollection"]),
    publishToBus,
    { actions: ["events:DescribeEventBus"], resources: [bus.arn] },
    { actions: ["scheduler:GetScheduleGroup"], resources: [retrySchedules.arn] },
    readSecrets(adminTokenSecret, statusTokenSecret, kiroScimSecret, ...sourceSecrets),
  ],
});
