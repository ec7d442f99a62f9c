/**
 * The names logs and metrics carry. The functions emit under them and the dashboard and alarms
 * query them, so they are defined once: a rename on one side would silently blank the other.
 */
export const serviceName = "kiro-scim-sync";
export const metricsNamespace = "KiroScimSync";

/** OldestPendingAlarm's threshold unless the stage sets ALARM_PENDING_AGE_SECONDS; the health verdict turns failing past it too. */
export const defaultPendingAgeAlarmSeconds = 900;
