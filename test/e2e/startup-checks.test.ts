import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, inject, it } from "vitest";
import { dependencyLines } from "../../local/dependency-lines";
import { localAwsConfig } from "../../local/dynamodb-local";
import { freePort } from "../../local/free-port";
import { GraphTenantServer } from "../../local/graph/graph-tenant-server";
import { seedSampleTenant } from "../../local/graph/sample-tenant";
import type { LocalRuntime } from "../../local/local-runtime";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { ensureLocalTls } from "../../local/tls/local-tls";
import {
  fetchStatus,
  pollUntil,
  postAdmin,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

interface Health {
  health: { verdict: string; reasons: string[] };
  alerts: string[];
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A runtime stopped after the test, whatever the test did with it. */
async function started(env: Record<string, string>): Promise<{ runtime: LocalRuntime; seconds: number }> {
  const begin = performance.now();
  const runtime = await startTestRuntime(env);
  const seconds = (performance.now() - begin) / 1000;
  cleanups.push(() => stopTestRuntime(runtime));
  return { runtime, seconds };
}

/** A host that takes every connection and never answers, as a firewall that drops replies would look. */
async function silentHost(): Promise<{ url: string; connections: () => number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address() as { port: number };
  let connections = 0;
  server.on("connection", () => {
    connections += 1;
  });
  return { url: `http://127.0.0.1:${address.port}/scim/v2`, connections: () => connections };
}

/** For a runtime the test stopped itself: its table goes too, as stopTestRuntime drops it. */
async function dropTable(tableName: string): Promise<void> {
  const client = new DynamoDBClient({ ...localAwsConfig, endpoint: inject("dynamoEndpoint") });
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
}

const kiroLine = (runtime: LocalRuntime) =>
  dependencyLines(runtime.dependencyChecks).find((line) => line.includes("Kiro SCIM")) ?? "";

describe("an unreachable Kiro at start", () => {
  it("on a closed port: the start completes within 10 s, its line names Kiro and the fix, and /status is degraded naming Kiro", async () => {
    // Prepare
    const url = `http://127.0.0.1:${await freePort()}/scim/v2`;

    // Act
    const { runtime, seconds } = await started({ KIRO_SCIM_URL: url, KIRO_SCIM_TOKEN: "kiro-token" });
    const status = await fetchStatus<Health>(runtime);

    // Assess
    expect(seconds).toBeLessThan(10);
    expect(kiroLine(runtime)).toMatch(/Kiro SCIM token\s+FAILED: SCIM\.CONNECTION: /);
    expect(kiroLine(runtime)).toContain("Fix: The host in the Kiro SCIM URL is unreachable");
    expect(kiroLine(runtime)).toContain("KIRO_SCIM_URL");
    expect(kiroLine(runtime)).toContain("started anyway");
    expect(status.health.verdict).toBe("degraded");
    expect(status.health.reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Kiro SCIM degraded: SCIM\.CONNECTION /)]),
    );
    expect(status.alerts.some((alert) => alert.startsWith("Kiro SCIM failing its check"))).toBe(true);
  });

  it("that takes the connection and never answers: the check gives up after 5 s and the start completes within 10 s", async () => {
    // Prepare
    const { url } = await silentHost();

    // Act
    const { runtime, seconds } = await started({ KIRO_SCIM_URL: url, KIRO_SCIM_TOKEN: "kiro-token" });

    // Assess
    expect(seconds).toBeLessThan(10);
    expect(kiroLine(runtime)).toContain("FAILED: PREFLIGHT.TIMEOUT: no answer within 5 s");
  });

  it("does not wait for a configured Entra tenant's first round to push into that Kiro, nor does the stop: start within 10 s, Entra's line ok", async () => {
    // Prepare
    const tenant = await GraphTenantServer.start(await ensureLocalTls());
    seedSampleTenant(tenant);
    cleanups.push(() => tenant.stop());
    const kiro = await silentHost();

    // Act
    const begin = performance.now();
    const runtime = await startTestRuntime({
      KIRO_SCIM_URL: kiro.url,
      KIRO_SCIM_TOKEN: "kiro-token",
      SYNC_GROUPS: "Kiro-*",
      ENTRA_TENANT_ID: tenant.tenantId,
      ENTRA_CLIENT_ID: tenant.clientId,
      ENTRA_CLIENT_SECRET: tenant.clientSecret,
      ENTRA_CLIENT_STATE: `state-${randomUUID()}`,
      ENTRA_AUTHORITY_HOST: tenant.url,
      ENTRA_GRAPH_URL: `${tenant.url}/`,
    });
    const seconds = (performance.now() - begin) / 1000;
    cleanups.push(() => dropTable(runtime.config.ledgerTableName));
    const lines = dependencyLines(runtime.dependencyChecks);
    await pollUntil(kiro.connections, (count) => count >= 2);
    const stopping = performance.now();
    await runtime.stop();
    const stopSeconds = (performance.now() - stopping) / 1000;

    // Assess
    expect(seconds).toBeLessThan(10);
    expect(lines.find((line) => line.includes("Kiro SCIM"))).toContain("FAILED: PREFLIGHT.TIMEOUT");
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}Microsoft Graph\s+ok: /)]));
    expect(stopSeconds).toBeLessThan(5);
  });

  it("is no longer named once the secrets file points at a Kiro that answers and the check runs again", async () => {
    // Prepare
    const { runtime } = await started({
      KIRO_SCIM_URL: `http://127.0.0.1:${await freePort()}/scim/v2`,
      KIRO_SCIM_TOKEN: "kiro-token",
    });
    const kiro = await KiroScimEmulator.start();
    cleanups.push(() => kiro.stop());
    const before = await fetchStatus<Health>(runtime);

    // Act
    await runtime.secrets.put({ KiroScim: { url: kiro.profile.scimUrl, token: kiro.profile.token } });
    const report = await runtime.runDependencyCheck();
    const after = await fetchStatus<Health>(runtime);

    // Assess
    expect(before.health.reasons.some((reason) => reason.startsWith("Kiro SCIM"))).toBe(true);
    expect(report.checks.find((check) => check.id === "kiro-scim")?.result).toBe("pass");
    expect(after.health.reasons.some((reason) => reason.startsWith("Kiro SCIM"))).toBe(false);
    expect(after.alerts.some((alert) => alert.startsWith("Kiro SCIM"))).toBe(false);
  });
});

describe("SYNC_GROUPS entries that select nothing", () => {
  it("warn at start and are health reasons: one matching no group, one matching only in letter case", async () => {
    // Act
    const { runtime } = await started({ SYNC_GROUPS: "Kiro-Sales, kiro-engineering, Nonexistent-Team" });
    const status = await fetchStatus<Health>(runtime);

    // Assess
    const line = dependencyLines(runtime.dependencyChecks).find((each) => each.includes("Sync groups")) ?? "";
    expect(line).toContain("WARNING");
    expect(line).toContain("`kiro-engineering` matches `Kiro-Engineering` only in letter case");
    expect(line).toContain("`Nonexistent-Team` matches no okta or entra group");
    expect(line).not.toContain("Kiro-Sales");
    expect(status.health.verdict).toBe("degraded");
    expect(status.health.reasons).toEqual(
      expect.arrayContaining([
        expect.stringContaining("`kiro-engineering` matches `Kiro-Engineering` only in letter case"),
        "SYNC_GROUPS entry `Nonexistent-Team` matches no okta or entra group",
      ]),
    );
  });

  it("are checked again by each reconcile's discovery (hourly in AWS): a group created since clears its reason", async () => {
    // Prepare
    const { runtime } = await started({ SYNC_GROUPS: "Kiro-Sales, Created-Later" });
    const before = await fetchStatus<Health>(runtime);
    runtime.oktaOrg!.addGroup({ id: "00gcreatedlater00001", name: "Created-Later" });
    runtime.graphTenant!.addGroup({ id: randomUUID(), displayName: "Created-Later" });

    // Act
    const reconcile = await postAdmin(runtime, "/admin/reconcile");
    const after = await fetchStatus<Health>(runtime);

    // Assess
    expect(before.health.reasons).toContain(
      "SYNC_GROUPS entry `Created-Later` matches no okta or entra group",
    );
    expect(reconcile.status).toBe(202);
    expect(after.health.reasons.filter((reason) => reason.includes("Created-Later"))).toEqual([]);
  });
});

describe("tokens shorter than 32 characters", () => {
  it.each(["STATUS_TOKEN", "ADMIN_TOKEN"])("stop the start, naming %s", async (name) => {
    // Act
    const start = startTestRuntime({ [name]: "t".repeat(31) });

    // Assess
    await expect(start).rejects.toThrow(`${name}: must be at least 32 characters`);
  });

  it("stop npm start's process with exit 1 and the variable named", async () => {
    // Prepare
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
      env: { ...process.env, PORT: "0", ADMIN_TOKEN: "too-short-admin-token" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });

    // Act
    const [code] = await once(child, "exit");

    // Assess
    expect(code).toBe(1);
    expect(output).toContain("ADMIN_TOKEN: must be at least 32 characters");
  }, 30_000);
});

describe("npm start with an unreachable Kiro", () => {
  it("prints a line naming Kiro with the fix and still gets to ready", async () => {
    // Prepare
    const secretsDir = mkdtempSync(join(tmpdir(), "startup-checks-"));
    cleanups.push(async () => rmSync(secretsDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
      env: {
        ...process.env,
        PORT: "0",
        DYNAMODB_ENDPOINT: inject("dynamoEndpoint"),
        LEDGER_TABLE_NAME: `ledger-${randomUUID()}`,
        LOCAL_SECRETS_FILE: join(secretsDir, "secrets.json"),
        KIRO_SCIM_URL: `http://127.0.0.1:${await freePort()}/scim/v2`,
        KIRO_SCIM_TOKEN: "kiro-token",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(async () => {
      if (child.exitCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
    });
    let output = "";
    for (const stream of [child.stdout, child.stderr])
      stream.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });

    // Act
    const deadline = Date.now() + 60_000;
    while (!output.includes("ready.") && child.exitCode === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(output).toContain("ready.");
    expect(output).toMatch(/^ {2}Kiro SCIM token\s+FAILED: SCIM\.CONNECTION: .*Fix: .*KIRO_SCIM_URL/m);
  }, 90_000);
});
