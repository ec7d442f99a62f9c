import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/free-port";
import type { LocalRuntime } from "../../local/local-runtime";
import { addOktaUser, startTestRuntime, stopTestRuntime, syncNewGroup } from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));

/** The CLI as `npm run reconcile` runs it, with no identity source in its environment. */
async function reconcileCli(args: string[], env: Record<string, string>) {
  const { OKTA_ORG_URL: _okta, ENTRA_TENANT_ID: _entra, ...inherited } = process.env;
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "local/tooling/reconcile-cli.ts", ...args],
      { env: { ...inherited, ...env }, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm run reconcile", () => {
  it("asks the running local service for a dry run when no identity source is configured here", async () => {
    // Prepare
    await syncNewGroup(runtime, "CliPlanned", [addOktaUser(runtime)]);
    const port = new URL(runtime.url).port;

    // Act
    const result = await reconcileCli(["--dry-run"], {
      PORT: port,
      LOCAL_SECRETS_FILE: runtime.secrets.file,
    });

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty("groups");
  }, 90_000);

  it("asks the running local service to start a reconcile without --dry-run, with the admin token from its secrets file", async () => {
    // Prepare
    const port = new URL(runtime.url).port;

    // Act
    const result = await reconcileCli([], { PORT: port, LOCAL_SECRETS_FILE: runtime.secrets.file });
    await runtime.bus.idle();

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { runId: string };
    const { runs } = (await (
      await fetch(`${runtime.url}/status`, {
        headers: { authorization: `Bearer ${runtime.config.statusToken}` },
      })
    ).json()) as { runs: { runId: string; kind: string }[] };
    expect(runs.find((run) => run.runId === report.runId)).toMatchObject({ kind: "reconcile" });
  }, 90_000);

  it("says how to point it when no local service answers", async () => {
    // Prepare
    const closedPort = String(await freePort());

    // Act
    const result = await reconcileCli(["--dry-run"], {
      PORT: closedPort,
      LOCAL_SECRETS_FILE: runtime.secrets.file,
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no local service answers at http://127.0.0.1:${closedPort}`);
    expect(result.stderr).toContain("npm start");
  }, 90_000);
});
