import "./start-log-level";
import "./quiet-defaults";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asError } from "../core/domain/errors";
import { dependencyLines } from "./dependency-lines";
import { type LocalRuntime, startLocalRuntime } from "./local-runtime";
import { membershipEvent, oktaDelivery } from "./okta-org/okta-event-payloads";

/** Where `npm start` keeps the Kiro endpoint and the status and admin tokens it reads (git-ignored). */
const defaultSecretsFile = ".local/secrets.json";

/**
 * `npm start`: the whole service on this machine with no configuration. Ctrl-C (SIGINT) or SIGTERM
 * stops every server and DynamoDB Local before exiting, so no java process is left behind. The
 * handlers are in place before anything starts: a signal during the start stops the runtime as soon
 * as it is up, instead of killing this process and orphaning the java it had already started.
 */
async function main(): Promise<void> {
  let starting: Promise<LocalRuntime> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local runtime, the emulators and DynamoDB Local…`);
    const started = await starting?.catch(() => undefined);
    await started?.stop();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  console.log("kiro-scim-sync: starting DynamoDB Local, the Kiro SCIM emulator and the sample Okta org…");
  starting = startLocalRuntime(
    { LOCAL_SECRETS_FILE: defaultSecretsFile, ...process.env },
    {
      onDependenciesChecked: (report) => {
        console.log("");
        for (const line of dependencyLines(report)) console.log(line);
      },
    },
  );
  const runtime = await starting;
  if (stopping) return;

  const { config, emulator, oktaOrg, sample } = runtime;
  const hookUrl = `${runtime.url}/okta/events`;
  console.log(`
  Okta hook URL      ${hookUrl}
  Okta hook secret   ${config.okta.hookSecret}      (the Authorization header Okta must send)
  Status             ${runtime.url}/status   (Authorization: Bearer ${config.statusToken})   reads: /status, /log
  Admin              ${runtime.url}/admin/…  (Authorization: Bearer ${config.adminToken})   acts: POST reconcile, redrive…
  DynamoDB Local     ${runtime.dynamo.endpoint}  (pid ${runtime.dynamo.pid}, table ${config.ledgerTableName})
  ${emulator ? "Kiro SCIM emulator" : "Kiro SCIM (real)  "} ${config.kiroScim?.url}${emulator ? `  (token ${config.kiroScim?.token})` : ""}
  ${oktaOrg ? "Sample Okta org   " : "Okta org (real)   "} ${config.okta.orgUrl ?? "off (no OKTA_ORG_URL; the sample org only ever syncs to the emulator)"}
  Sync scope         ${runtime.dependencies.scope.describe()}, removal policy ${config.removalPolicy}
  Secrets file       ${runtime.secrets.file}  (KiroScim, StatusToken, AdminToken; read on every use: edit it to rotate)`);
  if (emulator) console.log(`  Emulator control   ${emulator.url}/_emulator/{state,requests,faults,reset}`);
  if (runtime.graphTenant) {
    const developers = emulator?.directory
      .snapshot()
      .groups.find((group) => group.displayName === "Kiro-Developers");
    console.log(`  Entra (local)      ${runtime.url}/entra/notifications, /entra/lifecycle  (Graph tenant ${runtime.graphTenant.url})
                     Kiro-Developers synced with ${developers?.members.length ?? 0} members: its nested groups Platform Team and SRE On-Call flattened`);
  } else if (!config.entra.tenantId && !config.entra.secretId) {
    console.log(
      emulator
        ? "  Entra              off (start with `npm start` so the local Graph tenant's certificate is trusted)"
        : "  Entra              off (no ENTRA_TENANT_ID; the sample tenant only ever syncs to the emulator)",
    );
  }
  if (sample) {
    const { user, group } = sample.newcomer;
    const payload = join(tmpdir(), "kiro-scim-sync-sample-event.json");
    writeFileSync(
      payload,
      JSON.stringify(
        oktaDelivery([membershipEvent("add", { id: user.id, login: user.profile.login }, group)]),
      ),
    );
    console.log(`
  Okta says ${user.profile.login} joined ${group.name}. Deliver that event hook:

    curl -si -X POST ${hookUrl} -H 'Authorization: ${config.okta.hookSecret}' -H 'Content-Type: application/json' --data @${payload}

  then see the member in Kiro:  curl -s ${emulator ? `${emulator.url}/_emulator/state` : `-H 'Authorization: Bearer ${config.statusToken}' ${runtime.url}/status`}`);
  }
  console.log("\nready. Ctrl-C to stop.");
}

main().catch((error: unknown) => {
  console.error(`kiro-scim-sync failed to start: ${asError(error).message}`);
  process.exit(1);
});
