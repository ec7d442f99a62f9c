import { tuningSettings } from "../core/config";

/**
 * What this stage deploys, read from the deploying shell once. `OKTA_ORG_URL` turns the Okta
 * source on and `ENTRA_ENABLED=true` the Entra one; a stage deploys the functions, routes,
 * schedules, secrets and grants of the sources it has and no other, so an Okta-only stage never
 * holds Entra settings nor calls Graph. The tuning variables pass through when set.
 */
export const okta = process.env.OKTA_ORG_URL
  ? { orgUrl: process.env.OKTA_ORG_URL, appId: process.env.OKTA_APP_ID ?? "" }
  : undefined;

export const entraEnabled = process.env.ENTRA_ENABLED === "true";

if (!okta && !entraEnabled)
  throw new Error(
    "no identity source to deploy: set OKTA_ORG_URL (Okta) and/or ENTRA_ENABLED=true (Entra) in the deploying shell",
  );

export const tuning: Record<string, string> = Object.fromEntries(
  tuningSettings.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
);

/**
 * Reserved concurrency is opt-in: reserving it fails a deploy in an account whose unreserved pool
 * would drop below 100. `SYNC_WORKER_CONCURRENCY` caps the SCIM worker when Kiro needs it.
 */
export const syncWorkerConcurrency = process.env.SYNC_WORKER_CONCURRENCY
  ? Number(process.env.SYNC_WORKER_CONCURRENCY)
  : undefined;
