/**
 * Where every alarm goes, when it fires and when it clears. Subscribe the on-call pager (PagerDuty,
 * Opsgenie, Chatbot) to this topic; ALERT_EMAIL at deploy time adds an email subscription, which
 * AWS asks the recipient to confirm.
 */
export const alerts = new aws.sns.Topic("Alerts");

if (process.env.ALERT_EMAIL)
  new aws.sns.TopicSubscription("AlertsEmail", {
    topic: alerts.arn,
    protocol: "email",
    endpoint: process.env.ALERT_EMAIL,
  });

/** A CloudWatch alarm that notifies the alerts topic. */
export function alarm(name: string, args: aws.cloudwatch.MetricAlarmArgs): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(name, {
    ...args,
    alarmActions: [alerts.arn],
    okActions: [alerts.arn],
  });
}

/** Pages on the first occurrence within five minutes, and stays quiet while there is no data. */
export const onFirstOccurrence = {
  period: 300,
  evaluationPeriods: 1,
  threshold: 0,
  comparisonOperator: "GreaterThanThreshold",
  treatMissingData: "notBreaching",
} as const;
