import { loadConfig } from "../core/config";
import { asError } from "../core/domain/errors";
import { startLocalStack } from "./local-stack";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/**
 * `npm start`: the whole service on this machine with no configuration. Ctrl-C (SIGINT) or SIGTERM
 * stops the emulator and DynamoDB Local before exiting, so no java process is left behind.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  console.log("kiro-scim-sync: starting the local stack…");
  const stack = await startLocalStack(config);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the Kiro SCIM emulator and DynamoDB Local…`);
    await stack.stop();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const firstPage = await stack.scim.listUsers("");
  const pending = await stack.ledger.countByStatus("okta", "USER", "pending");
  const target = stack.emulator ? "Kiro SCIM emulator" : "Kiro SCIM (real profile)";
  console.log(`
  DynamoDB Local     ${stack.dynamo.endpoint}  (pid ${stack.dynamo.pid}, table ${config.ledgerTableName}, ${pending} pending users)
  ${target.padEnd(18)} ${stack.kiroScim.url}  (${firstPage.items.length}${firstPage.nextCursor ? "+" : ""} users)`);
  if (stack.emulator) {
    console.log(`  emulator token     ${stack.kiroScim.token}
  emulator control   ${stack.emulator.url}/_emulator/{profile,state,requests,faults,reset}

  Try:  curl -s -H "Authorization: Bearer ${stack.kiroScim.token}" '${stack.kiroScim.url}/Users?cursor'`);
  }
  console.log("\nready. Ctrl-C to stop.");
}

main().catch((error: unknown) => {
  console.error(`kiro-scim-sync failed to start: ${asError(error).message}`);
  process.exit(1);
});
