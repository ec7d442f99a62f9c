import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { freePort } from "../../local/free-port";
import { GraphTenantServer, type GraphUserState } from "../../local/graph/graph-tenant-server";
import { sampleEntraGroups, seedSampleTenant } from "../../local/graph/sample-tenant";
import type { LocalRuntime } from "../../local/local-runtime";
import { ensureLocalTls } from "../../local/tls/local-tls";
import {
  kiroMembersByExternalId,
  pollUntil,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

/**
 * The local runtime pointed at an Entra tenant of its own configuration, as with a real one: the
 * test's Graph tenant stands in for Microsoft's through ENTRA_AUTHORITY_HOST and ENTRA_GRAPH_URL,
 * so the runtime starts no sample tenant and has only the settings a real tenant would give it.
 */
const { developers } = sampleEntraGroups;
let serial = 0;

async function startConfiguredTenant(): Promise<GraphTenantServer> {
  const tenant = await GraphTenantServer.start(await ensureLocalTls());
  seedSampleTenant(tenant);
  return tenant;
}

function tenantSettings(tenant: GraphTenantServer, env: Record<string, string> = {}): Record<string, string> {
  return {
    SYNC_GROUPS: "Kiro-*",
    ENTRA_TENANT_ID: tenant.tenantId,
    ENTRA_CLIENT_ID: tenant.clientId,
    ENTRA_CLIENT_SECRET: tenant.clientSecret,
    ENTRA_CLIENT_STATE: `state-${randomUUID()}`,
    ENTRA_AUTHORITY_HOST: tenant.url,
    ENTRA_GRAPH_URL: `${tenant.url}/`,
    ...env,
  };
}

function entraUser(tenant: GraphTenantServer): GraphUserState {
  serial += 1;
  const user: GraphUserState = {
    id: `e0a1f9d2-4444-4000-9000-${String(serial).padStart(12, "0")}`,
    userPrincipalName: `quiet${serial}@contoso.example`,
    displayName: `Quiet ${serial}`,
    givenName: "Quiet",
    surname: `${serial}`,
    mail: `quiet${serial}@contoso.example`,
    accountEnabled: true,
  };
  tenant.addUser(user);
  return user;
}

const deltaRounds = (tenant: GraphTenantServer) =>
  tenant.requests.filter(
    (request) => request.method === "GET" && request.path.startsWith("/v1.0/groups/delta"),
  ).length;
const subscriptionCalls = (tenant: GraphTenantServer) =>
  tenant.requests.filter((request) => request.path.startsWith("/v1.0/subscriptions")).length;
const lines = (spy: MockInstance) => spy.mock.calls.map((args) => args.map(String).join(" "));

describe("a configured tenant with no ENTRA_NOTIFICATION_BASE_URL", () => {
  let tenant: GraphTenantServer;
  let runtime: LocalRuntime;
  let errors: MockInstance<typeof console.error>;
  /** What the runtime printed while starting (vitest clears the spies' calls before each test). */
  let printedAtStart: string[];

  beforeAll(async () => {
    tenant = await startConfiguredTenant();
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    runtime = await startTestRuntime(tenantSettings(tenant, { ENTRA_DELTA_INTERVAL_SECONDS: "1" }));
    printedAtStart = lines(log);
  });
  afterAll(async () => {
    await stopTestRuntime(runtime);
    await tenant.stop();
    vi.restoreAllMocks();
  });

  it("syncs the tenant by a delta round at start, before the runtime is ready", () => {
    // Assess
    expect(runtime.graphTenant).toBeUndefined();
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toEqual(
      tenant.transitiveUserIds(developers.id).sort(),
    );
  });

  it("creates no Graph subscription and says once that notifications are off and the delta round carries the sync", () => {
    // Assess
    expect(subscriptionCalls(tenant)).toBe(0);
    expect(tenant.subscriptions.size).toBe(0);
    expect(printedAtStart.filter((line) => line.includes("notifications are off"))).toEqual([
      "Entra notifications are off (ENTRA_NOTIFICATION_BASE_URL is not set): no Graph subscriptions; a delta round every 1 s carries the sync",
    ]);
  });

  it("runs the delta round again after the interval, so a change Graph never notified reaches Kiro", async () => {
    // Prepare
    const rounds = deltaRounds(tenant);
    const quiet = entraUser(tenant);

    // Act
    tenant.addMember(developers.id, quiet.id);

    // Assess
    await pollUntil(
      () => kiroMembersByExternalId(runtime, developers.displayName),
      (members) => members.includes(quiet.id),
      10_000,
    );
    expect(deltaRounds(tenant)).toBeGreaterThan(rounds);
    expect(subscriptionCalls(tenant)).toBe(0);
  });

  it("logs a failing round and keeps to the schedule, so the next round syncs once Graph answers again", async () => {
    // Prepare
    tenant.permissions.delete("Group.Read.All");
    await pollUntil(
      () => lines(errors),
      (logged) =>
        logged.some((line) => line.startsWith("Entra maintenance round failed (the next one runs in 1 s): ")),
      10_000,
    );
    const returner = entraUser(tenant);
    tenant.addMember(developers.id, returner.id);

    // Act
    tenant.permissions.add("Group.Read.All");

    // Assess
    await pollUntil(
      () => kiroMembersByExternalId(runtime, developers.displayName),
      (members) => members.includes(returner.id),
      10_000,
    );
  });
});

describe("a configured tenant with a public HTTPS ENTRA_NOTIFICATION_BASE_URL", () => {
  const publicBase = "https://kiro-sync.example.com/tunnel";
  let tenant: GraphTenantServer;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    tenant = await startConfiguredTenant();
    const port = await freePort();
    tenant.tunnels.set(publicBase, `http://127.0.0.1:${port}`);
    runtime = await startTestRuntime(
      tenantSettings(tenant, { ENTRA_NOTIFICATION_BASE_URL: publicBase, PORT: String(port) }),
    );
  });
  afterAll(async () => {
    await stopTestRuntime(runtime);
    await tenant.stop();
  });

  it("creates one /groups and one /users subscription at start, pointing Graph at that URL", () => {
    // Assess
    const created = [...tenant.subscriptions.values()]
      .map(({ resource, notificationUrl, lifecycleNotificationUrl }) => ({
        resource,
        notificationUrl,
        lifecycleNotificationUrl,
      }))
      .sort((a, b) => a.resource.localeCompare(b.resource));
    expect(created).toEqual(
      ["groups", "users"].map((resource) => ({
        resource,
        notificationUrl: `${publicBase}/entra/notifications`,
        lifecycleNotificationUrl: `${publicBase}/entra/lifecycle`,
      })),
    );
  });

  it("takes a change Graph notifies at that URL to Kiro without waiting for a delta round", async () => {
    // Prepare
    const joiner = entraUser(tenant);
    tenant.addMember(developers.id, joiner.id);

    // Act
    const status = await tenant.notifyGroupChange(developers.id, undefined);
    await runtime.bus.idle();

    // Assess
    expect(status).toBe(202);
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toContain(joiner.id);
  });
});

describe.each([
  ["plain HTTP", "http://kiro-sync.example.com"],
  ["on a private network", "https://192.168.10.20/kiro"],
])("a configured tenant with an ENTRA_NOTIFICATION_BASE_URL %s", (_, baseUrl) => {
  it("runs the delta round at start without subscribing, and names the URL Graph could not reach", async () => {
    // Prepare
    const tenant = await startConfiguredTenant();
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);

    // Act
    const runtime = await startTestRuntime(tenantSettings(tenant, { ENTRA_NOTIFICATION_BASE_URL: baseUrl }));

    // Assess
    try {
      expect(deltaRounds(tenant)).toBeGreaterThan(0);
      expect(subscriptionCalls(tenant)).toBe(0);
      expect(lines(log)).toContain(
        `Entra notifications are off (ENTRA_NOTIFICATION_BASE_URL ${baseUrl} is not a public HTTPS URL Graph can reach): no Graph subscriptions; a delta round every 30 minutes carries the sync`,
      );
    } finally {
      await stopTestRuntime(runtime);
      await tenant.stop();
      log.mockRestore();
    }
  });
});
