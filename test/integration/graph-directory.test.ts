import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphDirectory } from "../../core/adapters/graph/graph-directory";
import { GraphTenantServer } from "../../local/graph/graph-tenant-server";
import { ensureLocalTls } from "../../local/tls/local-tls";

let tenant: GraphTenantServer;
let directory: GraphDirectory;

beforeAll(async () => {
  tenant = await GraphTenantServer.start(await ensureLocalTls());
  directory = new GraphDirectory({
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    clientSecret: tenant.clientSecret,
    authorityHost: tenant.url,
    graphBaseUrl: `${tenant.url}/`,
  });
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

describe("GraphDirectory (Graph client + @azure/identity over HTTPS)", () => {
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
    expect(tenant.requests[0]?.path).toMatch(/openid-configuration$/);
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
