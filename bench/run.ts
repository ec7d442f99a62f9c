import "../local/quiet-defaults";
import { mkdirSync, writeFileSync } from "node:fs";
import { startDynamoDbLocal } from "../local/dynamodb-local";
import { benchCrashRecovery } from "./crash-recovery";
import { benchDeepAudit } from "./deep-audit";
import { benchEmulatorScale } from "./emulator-scale";
import { benchEntraNotifications } from "./entra-notifications";
import { benchFunctionBundles } from "./function-bundles";
import { benchHookColdStart } from "./hook-cold-start";
import { benchLedger } from "./ledger-throughput";
import { benchOktaPipeline } from "./okta-pipeline";
import { benchProvisioningLog } from "./provisioning-log";
import { benchReconcileScale } from "./reconcile-scale";
import { benchScimRequests } from "./scim-requests";

/**
 * `npm run bench [-- section…]`: figures, not pass/fail. Each section runs `BENCH_RUNS` times
 * (default 3) and every run is printed, so the median can be read off. Results also land in
 * bench/results/ (git-ignored).
 */
const sections: Record<string, () => Promise<unknown>> = {
  "function-bundles": benchFunctionBundles,
  "hook-cold-start": benchHookColdStart,
  "okta-pipeline": benchOktaPipeline,
  "entra-notifications": benchEntraNotifications,
  "scim-requests": benchScimRequests,
  "emulator-scale": benchEmulatorScale,
  "reconcile-scale": benchReconcileScale,
  "deep-audit": benchDeepAudit,
  "crash-recovery": benchCrashRecovery,
  "provisioning-log": async () => {
    const dynamo = await startDynamoDbLocal();
    try {
      return await benchProvisioningLog(dynamo);
    } finally {
      await dynamo.stop();
    }
  },
  ledger: async () => {
    const dynamo = await startDynamoDbLocal();
    try {
      return await benchLedger(dynamo);
    } finally {
      await dynamo.stop();
    }
  },
};

const wanted = process.argv.slice(2).filter((name) => !name.startsWith("-"));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const results: Record<string, unknown[]> = {};
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  results[name] = [];
  for (let index = 1; index <= runs; index++) {
    const figures = await run();
    results[name].push(figures);
    console.log(`${name} run ${index}/${runs}: ${JSON.stringify(figures)}`);
  }
}
mkdirSync("bench/results", { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
writeFileSync(file, JSON.stringify({ node: process.version, runs, results }, null, 2));
console.log(`\nwritten to ${file}`);
