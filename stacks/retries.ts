import { alarm, onFirstOccurrence } from "./alerts";
import { bus } from "./events";
import { trustOnly } from "./trust";

/**
 * Delayed retries are one-time EventBridge Scheduler schedules created at runtime in this group,
 * which put the event back on our bus; the role Scheduler assumes may do exactly that and nothing else.
 */
export const retrySchedules = new aws.scheduler.ScheduleGroup("RetrySchedules", {
  name: `${$app.name}-${$app.stage}-retries`,
});

export const schedulerRole = new aws.iam.Role("RetrySchedulerRole", {
  assumeRolePolicy: trustOnly("scheduler.amazonaws.com"),
  inlinePolicies: [
    {
      name: "put-events-on-sync-bus",
      policy: bus.arn.apply((arn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "events:PutEvents", Resource: arn }],
        }),
      ),
    },
  ],
});

/** What a bus worker needs to schedule its own retry. */
export const scheduleRetries = [
  {
    actions: ["scheduler:CreateSchedule"],
    resources: [$interpolate`arn:aws:scheduler:*:*:schedule/${retrySchedules.name}/*`],
  },
  { actions: ["iam:PassRole"], resources: [schedulerRole.arn] },
];

/**
 * Last-resort queues: events EventBridge could not deliver to a worker, and on-failure records the
 * recorder itself could not store. Either holding a message means a change may be stranded, so
 * each has an alarm on its first message.
 */
function deadLetterQueue(name: string, description: string) {
  const queue = new aws.sqs.Queue(name, { messageRetentionSeconds: 14 * 86_400 });
  alarm(`${name}Alarm`, {
    alarmDescription: description,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queue.name },
    statistic: "Maximum",
    ...onFirstOccurrence,
  });
  return queue;
}

export const busDeliveryDlq = deadLetterQueue(
  "BusDeliveryDlq",
  "EventBridge could not deliver a sync event to its worker: redrive the queue's messages onto the bus",
);
export const failureRecorderDlq = deadLetterQueue(
  "FailureRecorderDlq",
  "A worker's failure could not be recorded in the ledger: read the message, then POST /admin/redrive or reconcile",
);

export const scheduledJobDlq = deadLetterQueue(
  "ScheduledJobDlq",
  "A scheduled job (reconcile, sweep, health gauges, Entra subscriptions) could not be started or failed through its retries: read the message and the function's log group",
);

/** Bus subscription settings: EventBridge retries delivery for an hour, then parks the event in the DLQ. */
export const deliveryRetries = {
  target: (args: aws.cloudwatch.EventTargetArgs): undefined => {
    args.retryPolicy = { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 3600 };
    args.deadLetterConfig = { arn: busDeliveryDlq.arn };
    return undefined;
  },
};
