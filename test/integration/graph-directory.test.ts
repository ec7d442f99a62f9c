import { type AddressInfo, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GraphDirectory } from "../../core/adapters/graph/graph-directory";
import { SyncError } from "../../core/domain/errors";
import type { GraphCredentials } from "../../core/ports/identity-directory";
import { GraphTenantServer } from "../../local/graph/graph-tenant-server";
import { ensureLocalTls } from "../../local/tls/local-tls";

let tenant: GraphTenantServer;
let directory: GraphDirectory;

function newDirectory(overrides: Partial<GraphCredentials> = {}): GraphDirectory {
  return new GraphDirectory({
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    clientSecret: tenant.clientSecret,
    authorityHost: tenant.url,
    graphBaseUrl: `${tenant.url}/`,
    ...overrides,
  });
}

const tokenPath = () => `/${tenant.tenantId}/oauth2/v2.0/token`;
const tokenRequests = () =>
  tenant.requests.filter((request) => request.method === "POST" && request.path === tokenPath()).length;

beforeAll(async () => {
  tenant = await GraphTenantServer.start(await ensureLocalTls());
  directory = newDirectory();
  const user = (id: string, displayName: string, names: [string | null, string | null]) =>
    tenant.addUser({
      id,
      userPrincipalName: `${id}@contoso.test`,
      displayName,
      givenName: names[0],
      surname: names[1],
      mail: `${id}@contoso.test`,
      accountEnabled: true,
    });
  user("ada", "Ada Lovelace", ["Ada", "Lovelace"]);
  user("robot", "Build Robot", [null, null]);
  user("mononym", "Cher", [null, null]);
  tenant.addGroup({ id: "parent", displayName: "Kiro-Engineering" });
  tenant.addGroup({ id: "child", displayName: "Platform" });
  tenant.addGroup({ id: "grandchild", displayName: "SRE" });
  tenant.addMember("parent", "ada");
  tenant.addMember("parent", "child");
  tenant.addMember("child", "grandchild");
  tenant.addMember("grandchild", "robot");
});
afterAll(() => tenant.stop());
afterEach(() => {
  tenant.tokenLifetimeSeconds = 3599;
});

describe("GraphDirectory (Graph client + client-credentials token over HTTPS)", () => {
  it("lists a user's groups through nested groups, and reads a user by userPrincipalName", async () => {
    // Act
    const robotGroups = await directory.listGroupsOfUser("robot");
    const byName = await directory.getUser("Robot@contoso.test");
    const unknown = await directory.listGroupsOfUser("nobody");

    // Assess
    expect(robotGroups?.map((group) => group.name).sort()).toEqual(["Kiro-Engineering", "Platform", "SRE"]);
    expect(byName?.id).toBe("robot");
    expect(unknown).toBeUndefined();
  });

  it("authenticates with client credentials and maps a user to Kiro's attributes", async () => {
    // Act
    const ada = await directory.getUser("ada");

    // Assess
    expect(ada?.profile).toMatchObject({
      externalId: "ada",
      userName: "ada@contoso.test",
      displayName: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      email: "ada@contoso.test",
      active: true,
    });
    expect(tenant.requests[0]).toEqual({ method: "POST", path: tokenPath(), status: 200 });
  });

  it("splits a displayName of two words when Entra has no given name or surname, and leaves one word empty", async () => {
    // Act
    const robot = await directory.getUser("robot");
    const mononym = await directory.getUser("mononym");

    // Assess
    expect([robot?.profile.givenName, robot?.profile.familyName]).toEqual(["Build", "Robot"]);
    expect([mononym?.profile.givenName, mononym?.profile.familyName]).toEqual(["", ""]);
  });

  it("flattens nested groups through transitiveMembers", async () => {
    // Act
    const members = await directory.listGroupMembers("parent");

    // Assess
    expect(members?.userIds.sort()).toEqual(["ada", "robot"]);
    expect(members?.nestedGroupIds.sort()).toEqual(["child", "grandchild"]);
  });

  it("merges a group split across delta pages and reads the next round from the deltaLink", async () => {
    // Prepare
    tenant.addGroup({ id: "big", displayName: "Big" });
    for (let index = 0; index < 120; index++) {
      tenant.addUser({
        id: `big${index}`,
        userPrincipalName: `big${index}@contoso.test`,
        displayName: `B ${index}`,
        givenName: "B",
        surname: `${index}`,
        mail: null,
        accountEnabled: true,
      });
      tenant.addMember("big", `big${index}`);
    }

    // Act
    const first = await directory.groupsDelta(undefined);
    tenant.removeMember("big", "big7");
    const second = await directory.groupsDelta(first.deltaLink);

    // Assess
    const deltaPages = tenant.requests.filter((request) => request.path.includes("/groups/delta"));
    expect(first.groups.get("big")?.addedMembers.size).toBe(120);
    expect(deltaPages.length).toBeGreaterThan(3);
    expect([...(second.groups.get("big")?.removedMembers ?? [])]).toEqual(["big7"]);
    expect(second.groups.size).toBe(1);
  });

  it("sets apart delta members that carry no @odata.type instead of counting them as users", async () => {
    // Prepare
    const { deltaLink } = await directory.groupsDelta(undefined);
    tenant.addMember("parent", "mononym");
    tenant.removeMember("child", "grandchild");
    tenant.deltaMemberTypes = false;

    // Act
    const round = await directory.groupsDelta(deltaLink).finally(() => {
      tenant.deltaMemberTypes = true;
    });

    // Assess
    const delta = (id: string) => {
      const group = round.groups.get(id);
      return {
        added: [...(group?.addedMembers ?? [])],
        removed: [...(group?.removedMembers ?? [])],
        untyped: [...(group?.untypedMembers ?? [])],
      };
    };
    expect(delta("parent")).toEqual({ added: [], removed: [], untyped: ["mononym"] });
    expect(delta("child")).toEqual({ added: [], removed: [], untyped: ["grandchild"] });
  });

  it("reports an expired deltaLink as IDP.DELTA_EXPIRED so the caller resyncs in full", async () => {
    // Prepare
    const { deltaLink } = await directory.groupsDelta(undefined);
    tenant.expireDeltaTokens();

    // Act
    const failure = await directory.groupsDelta(deltaLink).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ code: "IDP.DELTA_EXPIRED", retryable: false });
  });

  it("rides out a 429 with Retry-After through the Graph client's retry handler", async () => {
    // Prepare
    tenant.failNext("throttle", 1);

    // Act
    const ada = await directory.getUser("ada");

    // Assess
    expect(ada?.id).toBe("ada");
    expect(tenant.requests.filter((request) => request.status === 429)).toHaveLength(1);
  });
});

describe("client-credentials token", () => {
  it("reuses one token for every Graph call while it is fresh", async () => {
    // Prepare
    const fresh = newDirectory();
    const before = tokenRequests();

    // Act
    await fresh.getUser("ada");
    await fresh.listGroupMembers("parent");
    await fresh.listGroups();

    // Assess
    expect(tokenRequests() - before).toBe(1);
  });

  it("fetches a new token before the old one expires, so Graph never sees an expired token", async () => {
    // Prepare
    tenant.tokenLifetimeSeconds = 2;
    const fresh = newDirectory();
    const before = tokenRequests();
    await fresh.getUser("ada");
    await fresh.getUser("robot");
    const whileFresh = tokenRequests() - before;

    // Act
    await sleep(2_100);
    const ada = await fresh.getUser("ada");

    // Assess
    expect(whileFresh).toBe(1);
    expect(ada?.id).toBe("ada");
    expect(tokenRequests() - before).toBe(2);
  });

  it("shares one token request between concurrent first calls", async () => {
    // Prepare
    const fresh = newDirectory();
    const before = tokenRequests();

    // Act
    const users = await Promise.all(
      ["ada", "robot", "mononym", "ada", "robot"].map((id) => fresh.getUser(id)),
    );

    // Assess
    expect(users.map((user) => user?.id)).toEqual(["ada", "robot", "mononym", "ada", "robot"]);
    expect(tokenRequests() - before).toBe(1);
  });

  it("reports a wrong client secret as a non-retryable IDP.AUTH naming ENTRA_CLIENT_SECRET, without the secret", async () => {
    // Prepare
    const secret = "wrong-secret-Q~7f3kd9aLm2";
    const wrong = newDirectory({ clientSecret: secret });

    // Act
    const failure = await wrong.getUser("ada").catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(SyncError);
    expect(failure).toMatchObject({ code: "IDP.AUTH", retryable: false });
    const message = (failure as SyncError).message;
    expect(message).toContain("ENTRA_CLIENT_SECRET");
    expect(message).toContain("invalid_client: AADSTS7000215: Invalid client secret provided.");
    expect(message).not.toContain(secret);
    expect(message).not.toContain("Trace ID");
  });

  it("names ENTRA_TENANT_ID when the authority does not know the tenant", async () => {
    // Prepare
    const wrong = newDirectory({ tenantId: "00000000-0000-4000-8000-000000000000" });

    // Act
    const failure = await wrong.listGroups().catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ code: "IDP.AUTH", retryable: false });
    expect((failure as SyncError).message).toMatch(/AADSTS90002.*check ENTRA_TENANT_ID \(/);
  });

  it("reports an unreachable authority as a retryable IDP.UNAVAILABLE", async () => {
    // Prepare
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = newDirectory({ authorityHost: `https://127.0.0.1:${port}` });

    // Act
    const failure = await unreachable.getUser("ada").catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ code: "IDP.UNAVAILABLE", retryable: true });
    expect((failure as SyncError).message).toContain("ECONNREFUSED");
  });
});
