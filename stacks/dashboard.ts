import { defaultPendingAgeAlarmSeconds, metricsNamespace, serviceName } from "../core/domain/telemetry";
import { deliveryAgeAlarmSeconds, stalledRunSeconds, syncHealthMetric } from "../core/use-cases/sync-health";
import { alarm, onFirstOccurrence } from "./alerts";
import { entraEnabled } from "./settings";

/**
 * Sync health in CloudWatch: the gauges HealthMetrics emits every minute, the hook and worker
 * counters, and the alarms that page. Thresholds come from the deploying shell's environment.
 */
const namespace = metricsNamespace;
const dimensions = { service: serviceName };
const pendingAgeSeconds = Number(process.env.ALARM_PENDING_AGE_SECONDS ?? defaultPendingAgeAlarmSeconds);
const subscriptionHours = Number(process.env.ALARM_SUBSCRIPTION_HOURS ?? 48);

function healthAlarm(
  name: string,
  metric: string,
  description: string,
  condition: Pick<
    aws.cloudwatch.MetricAlarmArgs,
    "statistic" | "threshold" | "comparisonOperator" | "evaluationPeriods" | "treatMissingData"
  >,
) {
  return alarm(name, {
    alarmDescription: description,
    namespace,
    metricName: metric,
    dimensions,
    period: 60,
    datapointsToAlarm: condition.evaluationPeriods,
    ...condition,
  });
}

/** Any non-zero value for this many consecutive minutes. */
const aboveZeroFor = (evaluationPeriods: number) =>
  ({
    statistic: "Maximum",
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    evaluationPeriods,
  }) as const;

const alarms = [
  healthAlarm(
    "OldestPendingAlarm",
    syncHealthMetric.oldestPendingSeconds,
    `A change has waited more than ${pendingAgeSeconds} s for Kiro, or the health job stopped reporting: see /status oldestPending and failures`,
    {
      statistic: "Maximum",
      threshold: pendingAgeSeconds,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 3,
      treatMissingData: "breaching",
    },
  ),
  healthAlarm(
    "OldestDeliveryAlarm",
    syncHealthMetric.oldestDeliverySeconds,
    `An Okta hook delivery has waited more than ${deliveryAgeAlarmSeconds} s to be recorded: the OktaIngest function fails (read its log); /status inbox and alerts`,
    {
      statistic: "Maximum",
      threshold: deliveryAgeAlarmSeconds,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 2,
    },
  ),
  healthAlarm(
    "SyncPausedAlarm",
    syncHealthMetric.syncPaused,
    "Kiro refuses our credentials (401/403): nothing syncs. Fix the token in the KiroScim secret; the pause lifts by itself",
    aboveZeroFor(2),
  ),
  healthAlarm(
    "QuarantinedAlarm",
    syncHealthMetric.quarantinedGroups,
    "A group failed past the retry limit: see /status quarantined, fix the cause, POST /admin/redrive",
    aboveZeroFor(1),
  ),
  healthAlarm(
    "HeldRemovalsAlarm",
    syncHealthMetric.heldRemovals,
    "A reconcile holds removals above REMOVAL_HOLD_SHARE: check /status heldRuns, then POST /admin/approve/{runId}",
    aboveZeroFor(1),
  ),
  healthAlarm(
    "KiroFailingAlarm",
    syncHealthMetric.kiroFailedCalls,
    "Kiro answers most SCIM calls with 5xx or 429 (or not at all): see /status kiroCalls and alerts; groups retry on their own and are quarantined at the attempt limit. Check Kiro's status if it lasts",
    aboveZeroFor(1),
  ),
  healthAlarm(
    "HookRejectionsAlarm",
    syncHealthMetric.hookRejections,
    "The Okta hook keeps refusing authenticated requests or events (malformed payloads, events no Okta sends): see /status hookRejections and the hook's log",
    aboveZeroFor(1),
  ),
  healthAlarm(
    "StalledRunAlarm",
    syncHealthMetric.stalledRuns,
    `A reconcile or re-provisioning run has not moved for ${stalledRunSeconds} s: see /status runs`,
    aboveZeroFor(5),
  ),
  healthAlarm(
    "FailedRunAlarm",
    syncHealthMetric.failedRuns,
    "The latest reconcile or re-provisioning run stopped with an error: see /status runs, fix the cause, then POST /admin/reconcile or /admin/reprovision",
    aboveZeroFor(1),
  ),
  ...(entraEnabled
    ? [
        healthAlarm(
          "SubscriptionExpiryAlarm",
          syncHealthMetric.subscriptionHoursLeft,
          `A Graph subscription expires within ${subscriptionHours} h and renewal keeps failing: see /status subscriptions`,
          {
            statistic: "Minimum",
            threshold: subscriptionHours,
            comparisonOperator: "LessThanThreshold",
            evaluationPeriods: 5,
            treatMissingData: "notBreaching",
          },
        ),
      ]
    : []),
  alarm("HookFailedAlarm", {
    alarmDescription:
      "A hook answered 5xx: Okta retries once and Graph for 4 h, then the change waits for the reconcile",
    namespace,
    metricName: "HookFailed",
    dimensions,
    statistic: "Sum",
    ...onFirstOccurrence,
  }),
];

const region = aws.getRegionOutput().region;
const gauge = (metric: string) => [namespace, metric, "service", dimensions.service];
/** Counters named per outcome (HookRejected_unauthenticated, Delivery_done, …): one line each. */
const search = (token: string) => ({
  id: token.toLowerCase(),
  expression: `SEARCH('{${namespace},service} MetricName=${token}', 'Sum', 300)`,
  label: "",
});

export const dashboard = new aws.cloudwatch.Dashboard("SyncDashboard", {
  dashboardName: `${$app.name}-${$app.stage}`,
  dashboardBody: $jsonStringify({
    widgets: [
      {
        type: "metric",
        x: 0,
        y: 0,
        width: 24,
        height: 4,
        properties: {
          title: "Sync health now",
          view: "singleValue",
          region,
          stat: "Maximum",
          period: 60,
          metrics: Object.values(syncHealthMetric).map(gauge),
        },
      },
      {
        type: "metric",
        x: 0,
        y: 4,
        width: 12,
        height: 6,
        properties: {
          title: "Age of the oldest change not yet in Kiro (s)",
          view: "timeSeries",
          region,
          stat: "Maximum",
          period: 60,
          metrics: [
            gauge(syncHealthMetric.oldestPendingSeconds),
            gauge(syncHealthMetric.oldestDeliverySeconds),
          ],
          annotations: { horizontal: [{ label: "alarm", value: pendingAgeSeconds }] },
        },
      },
      {
        type: "metric",
        x: 12,
        y: 4,
        width: 12,
        height: 6,
        properties: {
          title: "Pending, failed, quarantined",
          view: "timeSeries",
          region,
          stat: "Maximum",
          period: 60,
          metrics: [
            gauge(syncHealthMetric.pendingChanges),
            gauge(syncHealthMetric.failedItems),
            gauge(syncHealthMetric.quarantinedGroups),
          ],
        },
      },
      {
        type: "metric",
        x: 0,
        y: 10,
        width: 12,
        height: 6,
        properties: {
          title: "Hook events (5 min)",
          view: "timeSeries",
          region,
          stat: "Sum",
          period: 300,
          metrics: [
            ...["EventsReceived", "EventsRecorded", "EventsDuplicate", "EventsUnknownType", "HookFailed"].map(
              gauge,
            ),
            [search("HookRejected")],
          ],
        },
      },
      {
        type: "metric",
        x: 12,
        y: 10,
        width: 12,
        height: 6,
        properties: {
          title: "Worker outcomes and sweep (5 min)",
          view: "timeSeries",
          region,
          stat: "Sum",
          period: 300,
          metrics: [[search("Delivery")], ...["SweptGroups", "SweptRuns", "AsyncFailures"].map(gauge)],
        },
      },
      {
        type: "alarm",
        x: 0,
        y: 16,
        width: 24,
        height: 3,
        properties: { title: "Alarms", alarms: alarms.map((each) => each.arn) },
      },
    ],
  }),
});
