/**
 * The names logs and metrics carry. The functions emit under them and the dashboard and alarms
 * query them, so they are defined once: a rename on one side would silently blank the other.
 */
export const serviceName = "kiro-scim-sync";
export const metricsNamespace = "KiroScimSync";
