import "../quiet-defaults";
import { loadConfig } from "../../core/config";
import { asError } from "../../core/domain/errors";
import type { PreflightReport } from "../../core/use-cases/run-preflight";
import { runDoctor } from "../../functions/shared/preflight-probes";
import { createServiceDependencies } from "../../functions/shared/service-dependencies";
import { type LocalRuntime, startLocalRuntime } from "../local-runtime";

/**
 * Settings that point at a real service. With any of them the doctor checks the environment as
 * configured (a shell with the stack's variables checks the deployment's secrets); with none it
 * has nothing real to check, so it checks the embedded services `npm start` would run.
 */
const realSetting =
  /^(KIRO_SCIM_(URL|TOKEN)|OKTA_(ORG_URL|API_TOKEN|CLIENT_ID|PRIVATE_KEY)|ENTRA_(TENANT_ID|CLIENT_ID|CLIENT_SECRET)|EVENT_BUS_NAME|SCHEDULER_GROUP_NAME|\w+_SECRET_ID)$/;

const textWidth = 90;

/**
 * `npm run doctor`: one harmless read per configured credential, a table, and exit 0 only when
 * every configured check passed, so it can gate a deploy script.
 */
async function main(): Promise<number> {
  const real = Object.entries(process.env).filter(([name, value]) => realSetting.test(name) && value?.trim());
  if (real.length > 0) {
    console.log(`Checking the configured services (${real.map(([name]) => name).join(", ")})…\n`);
    return print(await runDoctor(createServiceDependencies(loadConfig())));
  }
  console.log("No real services configured: checking the embedded ones (DynamoDB Local, emulators)…\n");
  let runtime: LocalRuntime | undefined;
  const stop = async () => {
    const started = runtime;
    runtime = undefined;
    await started?.stop();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(1)));
  }
  try {
    runtime = await startLocalRuntime({ ...process.env, PORT: "0" });
    const pid = runtime.dynamo.pid;
    const code = print(await runDoctor(runtime.dependencies));
    await stop();
    console.log(`\nStopped the embedded services (DynamoDB Local pid ${pid ?? "external"} included).`);
    return code;
  } finally {
    await stop();
  }
}

function print(report: PreflightReport): number {
  const rows = report.checks.map((check) => ({
    check: check.check,
    result: check.result === "fail" || check.result === "warn" ? check.result.toUpperCase() : check.result,
    lines: check.fix ? [...wrap(check.fix), ...wrap(`(${check.detail})`)] : wrap(check.detail),
  }));
  const checkWidth = Math.max("check".length, ...rows.map((row) => row.check.length));
  const resultWidth = Math.max("result".length, ...rows.map((row) => row.result.length));
  const line = (check: string, result: string, text: string) =>
    `${check.padEnd(checkWidth)}  ${result.padEnd(resultWidth)}  ${text}`.trimEnd();
  console.log(line("check", "result", "what to do (or what was checked)"));
  console.log(line("-".repeat(checkWidth), "-".repeat(resultWidth), "-".repeat(textWidth)));
  for (const row of rows) {
    const [first = "", ...rest] = row.lines;
    console.log(line(row.check, row.result, first));
    for (const more of rest) console.log(line("", "", more));
  }
  const failed = report.checks.filter((check) => check.result === "fail").length;
  const warned = report.checks.filter((check) => check.result === "warn").length;
  const warnings = warned > 0 ? ` ${warned} warning${warned === 1 ? "" : "s"}: read the WARN rows.` : "";
  console.log(
    report.ok
      ? `\nAll configured checks passed.${warnings}`
      : `\n${failed} check${failed === 1 ? "" : "s"} failed.${warnings}`,
  );
  return report.ok ? 0 : 1;
}

function wrap(text: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current && current.length + 1 + word.length > textWidth) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  return current ? [...lines, current] : lines;
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(`doctor failed: ${asError(error).message}`);
    process.exit(1);
  });
