import "../quiet-defaults";
import { loadConfig } from "../../core/config";
import { asError } from "../../core/domain/errors";
import { planReconcile } from "../../core/use-cases/plan-reconcile";
import { reconcileGroups } from "../../core/use-cases/reconcile";
import { currentKiro } from "../../functions/shared/kiro-dependencies";
import { createServiceDependencies } from "../../functions/shared/service-dependencies";

/**
 * `npm run reconcile [-- --dry-run]` against the environment's configuration: in an AWS shell with
 * the stack's variables (LEDGER_TABLE_NAME, EVENT_BUS_NAME, the secret ids) it reads and triggers
 * the deployed service; `--dry-run` prints the plan and writes nothing.
 */
async function main(): Promise<void> {
  const deps = createServiceDependencies(loadConfig());
  const directories = await deps.configuredDirectories();
  if (Object.keys(directories).length === 0) {
    throw new Error(
      "no identity source is configured: set OKTA_ORG_URL (+ token or secret) and/or the ENTRA_* settings",
    );
  }
  if (process.argv.includes("--dry-run")) {
    const { removalPolicy, removalHoldShare } = deps.config;
    console.log(
      JSON.stringify(await planReconcile({ ...deps, directories, removalPolicy, removalHoldShare }), null, 2),
    );
    return;
  }
  const kiro = await currentKiro(deps);
  console.log(JSON.stringify(await reconcileGroups({ ...deps, directories, kiro }), null, 2));
}

main().catch((error: unknown) => {
  console.error(`reconcile failed: ${asError(error).message}`);
  process.exit(1);
});
