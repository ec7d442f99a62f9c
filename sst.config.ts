/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Infra is split one file per concern under stacks/. Each file creates its resources at module
 * scope, so it must be imported inside run(), where the sst and aws globals exist.
 */
export default $config({
  app(input) {
    return {
      name: "kiro-scim-sync",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
      home: "aws",
    };
  },
  async run() {
    $transform(sst.aws.Function, (args) => {
      args.runtime ??= "nodejs22.x";
      args.architecture ??= "arm64";
    });
    const storage = await import("./stacks/storage");
    const secrets = await import("./stacks/secrets");
    await import("./stacks/events");
    await import("./stacks/functions");
    const { api } = await import("./stacks/api");
    await import("./stacks/schedules");
    const { dashboard } = await import("./stacks/dashboard");
    return {
      oktaHookUrl: $interpolate`${api.url}/okta/events`,
      statusUrl: $interpolate`${api.url}/status`,
      entraNotificationUrl: $interpolate`${api.url}/entra/notifications`,
      entraSecretArn: secrets.entraSecret.arn,
      ledgerTable: storage.ledger.name,
      kiroScimSecretArn: secrets.kiroScimSecret.arn,
      oktaSecretArn: secrets.oktaSecret.arn,
      statusTokenSecretArn: secrets.statusTokenSecret.arn,
      dashboard: dashboard.dashboardName,
    };
  },
});
