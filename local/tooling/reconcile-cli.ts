import "../quiet-defaults";
import { loadConfig, type ServiceConfig } from "../../core/config";
import { asError } from "../../core/domain/errors";
import { planReconcile } from "../../core/use-cases/plan-reconcile";
import { reconcileGroups } from "../../core/use-cases/reconcile";
import { currentKiro } from "../../functions/shared/kiro-dependencies";
import { createServiceDependencies } from "../../functions/shared/service-dependencies";
import { LocalSecretStore } from "../local-secret-store";

/** Where `npm start` keeps its admin token (see local/start.ts). */
const defaultSecretsFile = ".local/secrets.json";

/**
 * `npm run reconcile [-- --dry-run]` against the environment's configuration: in an AWS shell with
 * the stack's variables (LEDGER_TABLE_NAME, EVENT_BUS_NAME, the secret ids) it reads and triggers
 * the deployed service; `--dry-run` prints the plan and writes nothing. With no identity source in
 * the environment it asks a running `npm start` instead (its admin token from the local secrets
 * file), since that is where a newcomer's sample directories live.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const deps = createServiceDependencies(config);
  const directories = await deps.configuredDirectories();
  if (Object.keys(directories).length === 0) {
    console.log(JSON.stringify(await askRunningLocalService(config), null, 2));
    return;
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

/** `POST /admin/reconcile` on the local service, or an error that says how to point the CLI. */
async function askRunningLocalService(config: ServiceConfig): Promise<unknown> {
  const url = `http://127.0.0.1:${config.port}`;
  const file = config.localSecretsFile ?? defaultSecretsFile;
  const howToPoint = `no identity source is configured here (OKTA_ORG_URL, ENTRA_*), and no local service answers at ${url} with the admin token in ${file}: start \`npm start\` in another terminal (or set PORT and LOCAL_SECRETS_FILE to match it), or run this in a shell with the stack's variables`;
  const store = await LocalSecretStore.open(file);
  const secret = (await store.getSecretJson("AdminToken").catch(() => undefined)) as
    | { token?: string }
    | undefined;
  if (!secret?.token) throw new Error(howToPoint);
  const dryRun = process.argv.includes("--dry-run");
  const response = await fetch(`${url}/admin/reconcile${dryRun ? "?dryRun=true" : ""}`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret.token}` },
  }).catch(() => undefined);
  if (!response || response.status === 401 || response.status === 403) throw new Error(howToPoint);
  const body: unknown = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`the local service answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

main().catch((error: unknown) => {
  console.error(`reconcile failed: ${asError(error).message}`);
  process.exit(1);
});
