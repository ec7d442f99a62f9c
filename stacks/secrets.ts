import { entraEnabled, okta } from "./settings";

/**
 * Secrets live in Secrets Manager as JSON, never in code or state; set each one after the first
 * deploy with `aws secretsmanager put-secret-value --secret-id <arn> --secret-string '…'`. Functions
 * re-read them every five minutes, so a rotation needs no redeploy.
 */
const secret = (name: string, description: string) =>
  new aws.secretsmanager.Secret(name, {
    namePrefix: `${$app.name}-${$app.stage}-${name.toLowerCase()}-`,
    description,
    recoveryWindowInDays: $app.stage === "production" ? 30 : 0,
  });

/**
 * Kiro's SCIM endpoint URL and bearer token together, `{"url": "...", "token": "..."}`, so recreating
 * a Kiro profile (new tenant URL and new token) is one atomic change.
 */
export const kiroScimSecret = secret(
  "KiroScim",
  "kiro-scim-sync: Kiro SCIM endpoint and token, JSON {url, token}",
);

/**
 * `{"hookSecret": "...", "apiToken": "..."}` or, for an OAuth service app, `clientId` + `privateKey`
 * (+ `keyId`). Okta stages only.
 */
export const oktaSecret = okta
  ? secret("Okta", "kiro-scim-sync: Okta hook secret and API credentials")
  : undefined;

/** `{"token": "..."}`: the bearer token that reads `/status` and `/log` (at least 32 characters). */
export const statusTokenSecret = secret(
  "StatusToken",
  "kiro-scim-sync: bearer token for /status and /log (reads)",
);

/**
 * `{"token": "..."}`: the bearer token for every `/admin/*` action (at least 32 characters, not the
 * status token). Only the Admin function may read it.
 */
export const adminTokenSecret = secret("AdminToken", "kiro-scim-sync: bearer token for /admin (actions)");

/** IAM statement for reading exactly the named secrets. */
export const readSecrets = (...secrets: aws.secretsmanager.Secret[]) => ({
  actions: ["secretsmanager:GetSecretValue"],
  resources: secrets.map((each) => each.arn),
});

/**
 * `{"tenantId", "clientId", "clientSecret", "clientState"}`, Entra stages only: the Entra app (application permissions
 * Group.Read.All and User.Read.All) and the secret Graph echoes in every notification (16–128 chars).
 */
export const entraSecret = entraEnabled
  ? secret("Entra", "kiro-scim-sync: Entra app credentials and notification clientState")
  : undefined;
