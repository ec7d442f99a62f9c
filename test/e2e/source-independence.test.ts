import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SourceHealth } from "../../core/ports/ledger-records";
import { freePort } from "../../local/free-port";
import { GraphTenantServer } from "../../local/graph/graph-tenant-server";
import { sampleEntraGroups, seedSampleTenant } from "../../local/graph/sample-tenant";
import type { LocalRuntime } from "../../local/local-runtime";
import { ensureLocalTls } from "../../local/tls/local-tls";
import {
  addOktaUser,
  fetchStatus,
  kiroMembersByExternalId,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

/** A tenant's settings as a real one gives them, pointing at `url` for both the authority and Graph. */
function tenantSettings(url: string, tenant?: GraphTenantServer): Record<string, string> {
  return {
    SYNC_GROUPS: "Kiro-*,Independent-*",
    ENTRA_TENANT_ID: tenant?.tenantId ?? randomUUID(),
    ENTRA_CLIENT_ID: tenant?.clientId ?? randomUUID(),
    ENTRA_CLIENT_SECRET: tenant?.clientSecret ?? "a-client-secret-for-a-gone-tenant",
    ENTRA_CLIENT_STATE: `state-${randomUUID()}`,
    ENTRA_AUTHORITY_HOST: url,
    ENTRA_GRAPH_URL: `${url}/`,
  };
}

describe("Entra unreachable at start", () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    runtime = await startTestRuntime(tenantSettings(`https://127.0.0.1:${await freePort()}`));
  });
  afterAll(async () => {
    await stopTestRuntime(runtime);
    vi.restoreAllMocks();
  });

  it("starts degraded: Okta syncs a hook delivery to Kiro and /status names the Entra cause", async () => {
    // Prepare
    const people = [addOktaUser(runtime), addOktaUser(runtime)];

    // Act
    const group = await syncNewGroup(runtime, "Independent", people);
    const status = await fetchStatus<{
      degraded: boolean;
      sources: Record<string, SourceHealth>;
      alerts: string[];
    }>(runtime);

    // Assess
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(people.map((person) => person.id).sort());
    expect(status.degraded).toBe(true);
    expect(status.sources.entra).toMatchObject({ state: "degraded", code: "IDP.UNAVAILABLE" });
    expect(status.sources.entra?.reason).toContain("Entra token authority");
    expect(status.sources.okta?.state).not.toBe("degraded");
    expect(status.alerts.some((alert) => alert.startsWith("entra degraded since"))).toBe(true);
  });
});

describe("Entra misconfigured (a tenant id and nothing else)", () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    runtime = await startTestRuntime({ SYNC_GROUPS: "Independent-*", ENTRA_TENANT_ID: randomUUID() });
  });
  afterAll(async () => {
    await stopTestRuntime(runtime);
    vi.restoreAllMocks();
  });

  it("still reconciles Okta: the operator's reconcile starts and Okta's missed change reaches Kiro", async () => {
    // Prepare
    const people = [addOktaUser(runtime), addOktaUser(runtime)];
    const group = await syncNewGroup(runtime, "Independent", people);
    const joiner = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(group.id, joiner.id);

    // Act
    const response = await fetch(`${runtime.url}/admin/reconcile`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.config.adminToken}` },
    });
    await runtime.bus.idle();

    // Assess
    expect(response.status).toBe(202);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(
      [...people, joiner].map((person) => person.id).sort(),
    );
  });
});

describe("a stored delta link to a Graph host that no longer answers", () => {
  let tenant: GraphTenantServer;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    tenant = await GraphTenantServer.start(await ensureLocalTls());
    seedSampleTenant(tenant);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    runtime = await startTestRuntime(tenantSettings(tenant.url, tenant));
  });
  afterAll(async () => {
    await stopTestRuntime(runtime);
    await tenant.stop();
    vi.restoreAllMocks();
  });

  it("is dropped with a log line, and a full delta round follows and converges", async () => {
    // Prepare
    const gone = `https://127.0.0.1:${await freePort()}/v1.0`;
    await runtime.dependencies.ledger.recordDeltaLink("groups", `${gone}/groups/delta?$deltatoken=stale`);
    await runtime.dependencies.ledger.recordDeltaLink("users", `${gone}/users/delta?$deltatoken=stale`);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);

    // Act
    const result = (await runtime.runEntraMaintenance()) as {
      fullResync: boolean;
      deltaLinksDropped: { link: string; reason: string }[];
    };

    // Assess
    expect(result.fullResync).toBe(true);
    expect(result.deltaLinksDropped.map((dropped) => dropped.link)).toEqual(["groups", "users"]);
    expect(
      log.mock.calls.map(String).some((line) => line.includes("dropped the stored groups delta link")),
    ).toBe(true);
    expect(await runtime.dependencies.ledger.getDeltaLink("groups")).toMatch(new RegExp(`^${tenant.url}/`));
    const { developers } = sampleEntraGroups;
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toEqual(
      tenant.transitiveUserIds(developers.id).sort(),
    );
    expect((await runtime.sourceHealth()).entra?.state).toBe("ok");
  });
});
