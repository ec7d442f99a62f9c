import { eventSource } from "../core/domain/sync-events";
import { metricsNamespace, serviceName } from "../core/domain/telemetry";
import { bus, publishToBus } from "./events";
import {
  deliveryRetries,
  failureRecorderDlq,
  retrySchedules,
  scheduleRetries,
  schedulerRole,
} from "./retries";
import { entraSecret, kiroScimSecret, oktaSecret, readSecrets, statusTokenSecret } from "./secrets";
import { ledger } from "./storage";

/**
 * The Lambda functions and their IAM, each limited to what it calls. Deploy-time settings come
 * from the deploying shell's environment (SYNC_GROUPS, REMOVAL_POLICY, OKTA_ORG_URL, OKTA_APP_ID).
 */
const ledgerResources = [ledger.arn, $interpolate`${ledger.arn}/index/*`];
export const readLedger = {
  actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
  resources: ledgerResources,
};
export const writeLedger = {
  actions: [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
  ],
  resources: ledgerResources,
};

export const environment = {
  LEDGER_TABLE_NAME: ledger.name,
  EVENT_BUS_NAME: bus.name,
  KIRO_SCIM_SECRET_ID: kiroScimSecret.arn,
  OKTA_SECRET_ID: oktaSecret.arn,
  STATUS_TOKEN_SECRET_ID: statusTokenSecret.arn,
  ENTRA_SECRET_ID: entraSecret.arn,
  SYNC_GROUPS: process.env.SYNC_GROUPS ?? "",
  REMOVAL_POLICY: process.env.REMOVAL_POLICY ?? "deactivate",
  OKTA_ORG_URL: process.env.OKTA_ORG_URL ?? "",
  OKTA_APP_ID: process.env.OKTA_APP_ID ?? "",
  EVENT_BUS_ARN: bus.arn,
  SCHEDULER_GROUP_NAME: retrySchedules.name,
  SCHEDULER_ROLE_ARN: schedulerRole.arn,
  POWERTOOLS_SERVICE_NAME: serviceName,
  POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
};

/** Okta gives a hook 3 s; the function answers in milliseconds, so 10 s is only a ceiling. */
export const oktaEvents = new sst.aws.Function("OktaEvents", {
  handler: "functions/okta-events.handler",
  timeout: "10 seconds",
  memory: "512 MB",
  environment,
  permissions: [writeLedger, publishToBus, readSecrets(oktaSecret)],
});

export const status = new sst.aws.Function("Status", {
  handler: "functions/status.handler",
  timeout: "15 seconds",
  environment,
  permissions: [readLedger, readSecrets(statusTokenSecret)],
});

/**
 * Lambda's on-failure destination for the bus workers: an invocation that crashed or timed out
 * through its async retries is recorded like a retry-policy give-up (quarantine / run stopped).
 * If even that fails, the record goes to a DLQ with an alarm.
 */
export const asyncFailure = new sst.aws.Function("AsyncFailure", {
  handler: "functions/async-failure.handler",
  timeout: "30 seconds",
  environment,
  permissions: [writeLedger],
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

/**
 * A bus worker: ledger, bus and secrets access, retries through the Scheduler, Lambda's async
 * retries then the failure recorder, and a reserved concurrency that caps how hard it can hit Kiro.
 */
function busWorker(name: string, detailType: string, handler: string, reserved: number) {
  return bus.subscribe(
    name,
    {
      handler,
      timeout: "5 minutes",
      memory: "1024 MB",
      concurrency: { reserved },
      environment,
      permissions: [
        writeLedger,
        publishToBus,
        invokeRecorder,
        ...scheduleRetries,
        readSecrets(kiroScimSecret, oktaSecret, entraSecret),
      ],
      ...onFailureToRecorder,
    },
    { pattern: { source: [eventSource], detailType: [detailType] }, transform: deliveryRetries },
  );
}

/** One group per invocation under a ledger lease; 10 at once at most. */
export const syncGroupWorker = busWorker("SyncGroup", "GroupChanged", "functions/sync-group.handler", 10);

/** Chunks of reconcile and re-provisioning runs: each reads a page of the ledger and triggers groups. */
export const runChunkWorker = busWorker("RunChunk", "RunChunk", "functions/run-chunk.handler", 2);

/** Graph counts answers after 2.9 s as slow and drops notifications for slow endpoints. */
export const entraNotify = new sst.aws.Function("EntraNotify", {
  handler: "functions/entra-notify.handler",
  timeout: "10 seconds",
  memory: "512 MB",
  environment,
  permissions: [writeLedger, publishToBus, readSecrets(entraSecret)],
});

/** Renewing or recreating a subscription calls Graph, hence the Entra secret. */
export const entraLifecycle = new sst.aws.Function("EntraLifecycle", {
  handler: "functions/entra-lifecycle.handler",
  timeout: "20 seconds",
  environment,
  permissions: [writeLedger, publishToBus, readSecrets(entraSecret)],
});

/** The operator routes; they share the status token. Reconcile only marks and triggers, so it is quick. */
export const admin = new sst.aws.Function("Admin", {
  handler: "functions/admin.handler",
  timeout: "60 seconds",
  environment,
  permissions: [
    writeLedger,
    publishToBus,
    readSecrets(statusTokenSecret, oktaSecret, entraSecret, kiroScimSecret),
  ],
});
