import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PreflightReport } from "../../core/use-cases/run-preflight";
import type { LocalRuntime } from "../../local/local-runtime";
import { isAlive } from "../support/processes";
import { startTestRuntime, stopTestRuntime } from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));

async function doctor(token = runtime.config.adminToken): Promise<{ status: number; text: string }> {
  const response = await fetch(`${runtime.url}/admin/doctor`, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, text: await response.text() };
}

async function report(): Promise<PreflightReport> {
  return JSON.parse((await doctor()).text) as PreflightReport;
}

const row = (found: PreflightReport, check: string) => found.checks.find((each) => each.check === check);
/** The results of the other configured checks (this runtime syncs every group: Sync groups is skipped). */
const othersThan = (found: PreflightReport, check: string) =>
  found.checks.filter((each) => each.check !== check && each.result !== "skipped").map((each) => each.result);

/** The CLI as `npm run doctor` runs it, minus npm; the test process already trusts the local CA. */
async function runCli(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "local/tooling/doctor-cli.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number];
  return { code, output };
}

describe("POST /admin/doctor", () => {
  it("refuses a caller without the admin token", async () => {
    // Act
    const { status } = await doctor("");

    // Assess
    expect(status).toBe(401);
  });

  it("passes every check against the embedded services", async () => {
    // Act
    const { status, text } = await doctor();

    // Assess
    const found = JSON.parse(text) as PreflightReport;
    expect(status).toBe(200);
    expect(found.ok).toBe(true);
    expect(found.checks.map((check) => [check.check, check.result])).toEqual([
      ["Kiro SCIM token", "pass"],
      ["Okta API token", "pass"],
      ["Microsoft Graph", "pass"],
      ["Okta hook secret", "pass"],
      ["Entra clientState", "pass"],
      ["Status token", "pass"],
      ["Admin token", "pass"],
      ["Sync groups", "skipped"],
      ["Event bus", "pass"],
      ["Retry scheduler", "pass"],
    ]);
  });

  it("fails only the Kiro row when the emulator's token is revoked, and names the KiroScim secret", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    const revoked = await fetch(`${emulator.url}/_emulator/tokens/revoke`, { method: "POST" });

    // Act
    const found = await report().finally(() =>
      runtime.secrets.put({ KiroScim: { url: emulator.profile.scimUrl, token: emulator.addToken() } }),
    );

    // Assess
    expect(revoked.status).toBe(200);
    expect(found.ok).toBe(false);
    expect(row(found, "Kiro SCIM token")).toMatchObject({ result: "fail" });
    expect(row(found, "Kiro SCIM token")?.detail).toContain("SCIM.AUTH");
    expect(row(found, "Kiro SCIM token")?.fix).toContain("KiroScim secret");
    expect(othersThan(found, "Kiro SCIM token")).toEqual(Array(8).fill("pass"));
  });

  it("fails the Okta row with a new-token fix when the org refuses the API token", async () => {
    // Prepare
    runtime.oktaOrg!.apiAccess = "revoked";

    // Act
    const found = await report().finally(() => {
      runtime.oktaOrg!.apiAccess = "granted";
    });

    // Assess
    expect(row(found, "Okta API token")).toMatchObject({ result: "fail" });
    expect(row(found, "Okta API token")?.detail).toContain("IDP.AUTH");
    expect(row(found, "Okta API token")?.fix).toContain("create a new API token");
    expect(othersThan(found, "Okta API token")).toEqual(Array(8).fill("pass"));
  });

  it("names the scopes and the admin role when Okta accepts the token but refuses the read", async () => {
    // Prepare
    runtime.oktaOrg!.apiAccess = "forbidden";

    // Act
    const found = await report().finally(() => {
      runtime.oktaOrg!.apiAccess = "granted";
    });

    // Assess
    expect(row(found, "Okta API token")?.detail).toContain("IDP.FORBIDDEN");
    expect(row(found, "Okta API token")?.fix).toContain("okta.groups.read and okta.users.read");
    expect(row(found, "Okta API token")?.fix).toContain("Read-Only Administrator");
  });

  it("asks for Group.Read.All when Graph refuses the app the group read", async () => {
    // Prepare
    runtime.graphTenant!.permissions.delete("Group.Read.All");

    // Act
    const found = await report().finally(() => {
      runtime.graphTenant!.permissions.add("Group.Read.All");
    });

    // Assess
    expect(row(found, "Microsoft Graph")).toMatchObject({ result: "fail" });
    expect(row(found, "Microsoft Graph")?.detail).toContain("IDP.FORBIDDEN");
    expect(row(found, "Microsoft Graph")?.fix).toContain("Group.Read.All");
    expect(othersThan(found, "Microsoft Graph")).toEqual(Array(8).fill("pass"));
  });

  it("points at the app's credentials when Entra refuses the client secret", async () => {
    // Prepare
    const entra = runtime.config.entra;
    const clientSecret = entra.clientSecret;
    entra.clientSecret = "not-the-client-secret-0123456789";

    // Act
    const found = await report().finally(() => {
      entra.clientSecret = clientSecret;
    });

    // Assess
    expect(row(found, "Microsoft Graph")?.detail).toContain("IDP.AUTH");
    expect(row(found, "Microsoft Graph")?.fix).toContain("client secret");
  });

  it("never puts a token or secret value in the report, even when checks fail", async () => {
    // Prepare
    const { config, oktaOrg, graphTenant } = runtime;
    const wrongSecret = "wrong-client-secret-0123456789";
    const clientSecret = config.entra.clientSecret;
    config.entra.clientSecret = wrongSecret;
    oktaOrg!.apiAccess = "revoked";
    const values = [
      config.kiroScim!.token,
      oktaOrg!.apiToken,
      config.okta.hookSecret!,
      config.statusToken!,
      config.adminToken!,
      config.entra.clientState!,
      graphTenant!.clientSecret,
      wrongSecret,
    ];

    // Act
    const { text } = await doctor().finally(() => {
      config.entra.clientSecret = clientSecret;
      oktaOrg!.apiAccess = "granted";
    });

    // Assess
    expect(text).toContain('"result":"fail"');
    for (const value of values) expect(text).not.toContain(value);
  });
});

describe("npm run doctor", () => {
  it("checks the embedded services when nothing real is configured, exits 0 and leaves no java behind", async () => {
    // Act
    const { code, output } = await runCli({ PORT: "0" });

    // Assess
    const javaPid = Number(/DynamoDB Local pid (\d+)/.exec(output)?.[1]);
    expect(output).toMatch(/^Kiro SCIM token\s+pass\s+127\.0\.0\.1:\d+/m);
    expect(output).toContain("All configured checks passed.");
    expect(code).toBe(0);
    expect(javaPid).toBeGreaterThan(0);
    expect(isAlive(javaPid)).toBe(false);
  }, 120_000);

  it("checks the configured Kiro endpoint instead, skips what is not configured, and exits 1 on a bad token", async () => {
    // Act
    const { code, output } = await runCli({
      KIRO_SCIM_URL: runtime.emulator!.profile.scimUrl,
      KIRO_SCIM_TOKEN: "not-a-kiro-token",
    });

    // Assess
    expect(output).toContain("Checking the configured services");
    expect(output).toMatch(/^Kiro SCIM token\s+FAIL\s+The Kiro SCIM token is wrong or revoked/m);
    expect(output).toMatch(/^Okta API token\s+skipped/m);
    expect(output).not.toContain("DynamoDB Local pid");
    expect(code).toBe(1);
  }, 60_000);
});
