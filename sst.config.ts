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
    /* Lambda runs what the tests run: Node 24, and bundles minified (the hook functions stay
       under 1.5 MB and load in a quarter second; see npm run bench). "main" before "module", as
       esbuild itself defaults for Node: SST's "module" first hands okta-sdk-nodejs's
       require("node-fetch") the ESM namespace, and every Okta read fails with "nodeFetch is not a
       function" (the bundle test caught it). */
    const { trustLambdaOnly } = await import("./stacks/trust");
    $transform(sst.aws.Function, (args) => {
      args.runtime ??= "nodejs24.x";
      args.architecture ??= "arm64";
      args.nodejs ??= { minify: true, esbuild: { mainFields: ["main", "module"] } };
      args.transform = { ...args.transform, role: trustLambdaOnly(args.transform?.role) };
    });
    const storage = await import("./stacks/storage");
    const secrets = await import("./stacks/secrets");
    await import("./stacks/events");
    await import("./stacks/functions");
    const { api } = await import("./stacks/api");
    await import("./stacks/schedules");
    const { dashboard } = await import("./stacks/dashboard");
    return {
      statusUrl: $interpolate`${api.url}/status`,
      adminUrl: $interpolate`${api.url}/admin`,
      ledgerTable: storage.ledger.name,
      kiroScimSecretArn: secrets.kiroScimSecret.arn,
      statusTokenSecretArn: secrets.statusTokenSecret.arn,
      adminTokenSecretArn: secrets.adminTokenSecret.arn,
      dashboard: dashboard.dashboardName,
      ...(secrets.oktaSecret
        ? { oktaHookUrl: $interpolate`${api.url}/okta/events`, oktaSecretArn: secrets.oktaSecret.arn }
        : {}),
      ...(secrets.entraSecret
        ? {
            entraNotificationUrl: $interpolate`${api.url}/entra/notifications`,
            entraSecretArn: secrets.entraSecret.arn,
          }
        : {}),
    };
  },
});
