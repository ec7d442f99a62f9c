/**
 * Kiro's SCIM endpoint URL and bearer token live together in one Secrets Manager secret,
 * `{"url": "...", "token": "..."}`, so recreating a Kiro profile (new tenant URL and new token) is one
 * atomic change. The value is never in code or state: set it after the first deploy with
 * `aws secretsmanager put-secret-value --secret-id <KiroScimSecretArn> --secret-string '{"url":"…","token":"…"}'`.
 * Functions re-read it every few minutes, so a rotation needs no redeploy.
 */
export const kiroScimSecret = new aws.secretsmanager.Secret("KiroScimCredentials", {
  namePrefix: `${$app.name}-${$app.stage}-kiro-scim-`,
  description: "Kiro SCIM endpoint and bearer token for kiro-scim-sync: JSON {url, token}",
  recoveryWindowInDays: $app.stage === "production" ? 30 : 0,
});

/** IAM statement for functions that call Kiro: read this one secret, nothing else. */
export const readKiroScimSecret = {
  actions: ["secretsmanager:GetSecretValue"],
  resources: [kiroScimSecret.arn],
};
