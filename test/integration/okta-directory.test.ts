import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OktaDirectory } from "../../core/adapters/okta/okta-directory";
import { OktaOrgServer } from "../../local/okta-org/okta-org-server";

let org: OktaOrgServer;

beforeAll(async () => {
  org = await OktaOrgServer.start();
  org.addUser({
    id: "00ujane0000000000001",
    status: "ACTIVE",
    profile: {
      login: "jane@example.com",
      email: "jane@example.com",
      firstName: "Jane",
      lastName: "Doe",
      title: "CTO",
    },
  });
  org.addUser({
    id: "00uleft0000000000002",
    status: "DEPROVISIONED",
    profile: { login: "left@example.com", email: "left@example.com", firstName: "Left", lastName: "Company" },
  });
});
afterAll(() => org.stop());

describe("OktaDirectory (okta-sdk-nodejs over HTTP)", () => {
  it("reads a user with an SSWS token and maps it to Kiro's attributes", async () => {
    // Prepare
    const directory = new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken });

    // Act
    const user = await directory.getUser("00ujane0000000000001");

    // Assess
    expect(user).toEqual({
      id: "00ujane0000000000001",
      active: true,
      profile: expect.objectContaining({
        externalId: "00ujane0000000000001",
        userName: "jane@example.com",
        displayName: "Jane Doe",
        givenName: "Jane",
        familyName: "Doe",
        email: "jane@example.com",
        title: "CTO",
        active: true,
      }),
    });
  });

  it("authenticates as an OAuth service app with a private key", async () => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    org.registerServiceApp(
      "0oaservice000000001",
      publicKey.export({ type: "spki", format: "pem" }).toString(),
    );
    const directory = new OktaDirectory({
      orgUrl: org.orgUrl,
      clientId: "0oaservice000000001",
      privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      keyId: "key-1",
    });

    // Act
    const user = await directory.getUser("00ujane0000000000001");

    // Assess
    expect(user?.profile.userName).toBe("jane@example.com");
    expect(
      org.requests.some((request) => request.path === "/oauth2/v1/token" && request.status === 200),
    ).toBe(true);
  });

  it("maps a deprovisioned user to inactive and a missing one to undefined", async () => {
    // Prepare
    const directory = new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken });

    // Act
    const left = await directory.getUser("00uleft0000000000002");
    const missing = await directory.getUser("00unobody00000000000");

    // Assess
    expect(left?.active).toBe(false);
    expect(missing).toBeUndefined();
  });

  it("waits out a 429 as Okta's SDK does, and reports outages and bad tokens with stable codes", async () => {
    // Prepare
    const directory = new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken });
    const stranger = new OktaDirectory({ orgUrl: org.orgUrl, token: "revoked" });

    // Act
    org.failNext("throttle", 1);
    const afterThrottle = await directory.getUser("00ujane0000000000001");
    org.failNext("unavailable", 1);
    const outage = await directory.getUser("00ujane0000000000001").catch((error: unknown) => error);
    const unauthorized = await stranger.getUser("00ujane0000000000001").catch((error: unknown) => error);

    // Assess
    expect(afterThrottle?.id).toBe("00ujane0000000000001");
    expect(outage).toMatchObject({ code: "IDP.UNAVAILABLE", retryable: true });
    expect(unauthorized).toMatchObject({ code: "IDP.AUTH", retryable: false });
  });
  it("lists a user's groups with their names, by id or login, and none for an unknown user", async () => {
    // Prepare
    const directory = new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken });
    org.addGroup({ id: "00gdevs0000000000001", name: "Kiro-Devs" });
    org.addGroup({ id: "00gother000000000002", name: "Other" });
    org.addMember("00gdevs0000000000001", "00ujane0000000000001");

    // Act
    const byId = await directory.listGroupsOfUser("00ujane0000000000001");
    const byLogin = await directory.listGroupsOfUser("jane@example.com");
    const unknown = await directory.listGroupsOfUser("00unobody00000000000");

    // Assess
    expect(byId).toEqual([{ id: "00gdevs0000000000001", name: "Kiro-Devs" }]);
    expect(byLogin).toEqual(byId);
    expect(unknown).toBeUndefined();
  });
});
