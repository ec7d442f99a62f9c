import { defineConfig } from "vitest/config";
import { ensureLocalTls, localCaBundle } from "./local/tls/local-tls.ts";

/* Lambda runs nodejs24.x; the devDependency `node` puts Node 24 first on every npm script's PATH. */
if (Number(process.versions.node.split(".")[0]) < 24) {
  throw new Error(
    `the tests must run on Node 24 like Lambda's nodejs24.x, not ${process.version}: run them through npm (npm test)`,
  );
}

/* Test workers are forked after this runs, so they start trusting the local Graph tenant's CA. */
await ensureLocalTls();
process.env.NODE_EXTRA_CA_CERTS = localCaBundle;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/dynamodb-local.global.ts"],
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "CRITICAL",
      POWERTOOLS_METRICS_DISABLED: "true",
    },
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: "forks",
    reporters: ["default", "./test/setup/summary-reporter.ts"],
  },
});
