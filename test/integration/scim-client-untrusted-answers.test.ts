import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ScimHttpClientOptions } from "../../core/adapters/scim/scim-http-client";
import type { ScimError } from "../../core/domain/errors";
import type { KiroUserProfile } from "../../core/domain/kiro-user";
import { createOrAdoptUser } from "../../core/use-cases/adopt-or-create";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { validUser } from "../support/raw-scim";
import { emulatorClient, kiroProfile } from "../support/scim-client-fixture";

/**
 * The SCIM client against answers no honest Kiro gives: absurd Retry-After, bodies that are not the
 * resource asked for, bodies without end, redirects to other hosts, filters ignored. Each comes from
 * the emulator's fault injection, as a broken proxy or a hostile hop would send it.
 */
let emulator: KiroScimEmulator;

beforeAll(async () => {
  emulator = await KiroScimEmulator.start();
});
afterAll(() => emulator.stop());
beforeEach(() => {
  emulator.resetProfile();
  emulator.faults.clear();
  emulator.clearRequests();
});

const fifteenMinutes = 15 * 60_000;

const client = (options: Partial<ScimHttpClientOptions> = {}) => emulatorClient(emulator, options);

const profile = (overrides: Partial<KiroUserProfile> = {}) => kiroProfile("Trust", overrides);

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ resolvedWith: value }),
    (error: unknown) => error,
  );

describe("Retry-After from Kiro", () => {
  it("hands back a Retry-After of a billion seconds as a wait of at most 15 minutes", async () => {
    // Prepare
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 1_000_000_000 });

    // Act
    const failure = await failureOf(client({ maxInProcessWaitMs: 1000 }).createUser(profile()));

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.THROTTLED", retryable: true, retryAfterMs: fifteenMinutes });
    expect((failure as ScimError).message).toContain("cut to 15 min");
  });

  it("sends the next request, for any resource, once 15 minutes have passed after an absurd Retry-After", async () => {
    // Prepare
    let clock = Date.now();
    const scim = client({ maxInProcessWaitMs: 1000, now: () => clock });
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 1_000_000_000, method: "POST" });
    await failureOf(scim.createUser(profile()));
    clock += fifteenMinutes + 1;

    // Act
    const found = await scim.findGroupByExternalId("00gUnrelated");

    // Assess
    expect(found).toBeUndefined();
    expect(emulator.requests().map((entry) => `${entry.method} ${entry.status}`)).toEqual([
      "POST 429",
      "GET 200",
    ]);
  });

  it("holds back every later request with the full 15 minutes, so whichever worker meets it pauses the sync", async () => {
    // Prepare
    let clock = Date.now();
    const scim = client({ maxInProcessWaitMs: 1000, now: () => clock });
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 1_000_000_000, method: "POST" });
    await failureOf(scim.createUser(profile()));
    clock += 50;

    // Act
    const heldBack = await failureOf(scim.findGroupByExternalId("00gHeldBack"));

    // Assess
    expect(heldBack).toMatchObject({ code: "SCIM.THROTTLED", retryAfterMs: fifteenMinutes });
    expect(emulator.requests()).toHaveLength(1);
  });

  it("never sleeps more than 15 minutes in process, however long Kiro asks and the budget allows", async () => {
    // Prepare
    let clock = Date.now();
    const sleeps: number[] = [];
    const scim = client({
      maxInProcessWaitMs: 24 * 3_600_000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 1_000_000_000 });

    // Act
    const created = await scim.createUser(profile());

    // Assess
    expect(created.id).toBeTypeOf("string");
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(fifteenMinutes);
  });
});

describe("answers that are not the resource asked for", () => {
  it.each([
    ["an HTML page", 200, "<html>secret-marker</html>"],
    ["a JSON object that is not a user", 201, '{"hello":"secret-marker"}'],
    ["null", 201, "null"],
    ["nothing", 201, ""],
    ["a user without an id", 201, '{"userName":"secret-marker@acme.test"}'],
  ])(
    "refuses %s answering a create as a retryable SCIM.BAD_RESPONSE without quoting it",
    async (_, status, body) => {
      // Prepare
      emulator.addFault({ kind: "body", count: 1, status, body, method: "POST" });

      // Act
      const failure = await failureOf(client({ maxInProcessAttempts: 1 }).createUser(profile()));

      // Assess
      expect(failure).toMatchObject({
        kind: "bad-response",
        code: "SCIM.BAD_RESPONSE",
        retryable: true,
        status,
      });
      expect((failure as ScimError).message).not.toContain("secret-marker");
      expect((failure as ScimError).cause).toBeUndefined();
    },
  );

  it("refuses a list page whose users lack an id, naming the field and not the value", async () => {
    // Prepare
    const body = JSON.stringify({ Resources: [{ userName: "secret-marker@acme.test" }] });
    emulator.addFault({ kind: "body", count: 1, body, method: "GET" });

    // Act
    const failure = await failureOf(client({ maxInProcessAttempts: 1 }).listUsers(""));

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE" });
    expect((failure as ScimError).message).toContain("Resources.0.id");
    expect((failure as ScimError).message).not.toContain("secret-marker");
  });

  it("refuses a proxy's HTML page answering a member PATCH instead of counting the members as added", async () => {
    // Prepare
    const scim = client({ maxInProcessAttempts: 1 });
    const [userId] = [String(emulator.directory.createUser(validUser()).id)];
    const group = await scim.createGroup({ displayName: "Proxied", externalId: "00gProxied" });
    emulator.addFault({ kind: "body", count: 1, body: "<html>secret-marker</html>", method: "PATCH" });

    // Act
    const failure = await failureOf(scim.addMembers(group.id, [userId!]));

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE", retryable: true });
    expect(emulator.directory.membersOf(group.id)).toEqual([]);
  });

  it("retries a malformed answer in process and takes the good one that follows", async () => {
    // Prepare
    const existing = emulator.directory.createUser(validUser());
    emulator.addFault({ kind: "body", count: 1, body: "not json", method: "GET" });

    // Act
    const user = await client().getUser(String(existing.id));

    // Assess
    expect(user?.id).toBe(existing.id);
    expect(emulator.requests().map((entry) => entry.fault ?? "none")).toEqual(["body", "none"]);
  });
});

describe("answers without end", () => {
  it("stops reading an answer past 5 MB instead of buffering 200 MB", async () => {
    // Prepare
    emulator.addFault({ kind: "huge-body", count: 1, method: "GET" });

    // Act
    const failure = await failureOf(client({ maxInProcessAttempts: 1 }).listUsers(""));

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE", retryable: true });
    expect((failure as ScimError).message).toContain("passed 5242880 bytes");
    expect(emulator.requests()[0]?.bytesSent).toBeLessThan(50 * 1024 * 1024);
  });
});

describe("redirects", () => {
  it("never repeats a create to the host a 307 names, and names only that host's origin", async () => {
    // Prepare
    const elsewhere = await KiroScimEmulator.start();
    const planted = JSON.stringify(validUser({ id: "planted" }));
    elsewhere.addFault({ kind: "body", count: 1, status: 201, body: planted });
    const location = `${elsewhere.url}/${elsewhere.profile.tenantId}/scim/v2/Users?mail=secret-marker`;
    emulator.addFault({ kind: "redirect", count: 1, location, method: "POST" });

    // Act
    const failure = await failureOf(client({ maxInProcessAttempts: 1 }).createUser(profile()));
    const seenElsewhere = elsewhere.requests();
    await elsewhere.stop();

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE", status: 307 });
    expect((failure as ScimError).message).toContain(`redirect to ${elsewhere.url} refused`);
    expect((failure as ScimError).message).not.toContain("secret-marker");
    expect((failure as ScimError).message).not.toContain(elsewhere.profile.tenantId);
    expect(seenElsewhere).toEqual([]);
  });
});

describe("a server that ignores filter", () => {
  it("finds a user only by the userName (any case) or externalId asked for", async () => {
    // Prepare
    emulator.directory.createUser(validUser({ externalId: undefined }));
    const jane = emulator.directory.createUser(validUser({ userName: "Jane.Doe@acme.test" }));
    emulator.addFault({ kind: "ignore-filter", rate: 1, path: "^/Users$" });
    const scim = client();

    // Act
    const byUserName = await scim.findUserByUserName("jane.doe@ACME.test");
    const byExternalId = await scim.findUserByExternalId(String(jane.externalId));
    const nobodyByName = await scim.findUserByUserName("nobody@acme.test");
    const nobodyByExternalId = await scim.findUserByExternalId("00uNobody");

    // Assess
    expect([byUserName?.id, byExternalId?.id]).toEqual([jane.id, jane.id]);
    expect([nobodyByName, nobodyByExternalId]).toEqual([undefined, undefined]);
    expect(emulator.requests().every((entry) => entry.fault === "ignore-filter")).toBe(true);
  });

  it("finds a group only by the displayName (any case) or externalId asked for", async () => {
    // Prepare
    emulator.directory.createGroup({ displayName: "First" });
    const sales = emulator.directory.createGroup({ displayName: "Sales", externalId: "00gSales" });
    emulator.addFault({ kind: "ignore-filter", rate: 1, path: "^/Groups$" });
    const scim = client();

    // Act
    const byName = await scim.findGroupByDisplayName("SALES");
    const byExternalId = await scim.findGroupByExternalId("00gSales");
    const nothingByName = await scim.findGroupByDisplayName("Nobody");
    const nothingByExternalId = await scim.findGroupByExternalId("00gNobody");

    // Assess
    expect([byName?.id, byExternalId?.id]).toEqual([sales.id, sales.id]);
    expect([nothingByName, nothingByExternalId]).toEqual([undefined, undefined]);
  });

  it("claims the user with our userName, not the server's first user, on a 409", async () => {
    // Prepare
    const first = emulator.directory.createUser(validUser({ externalId: undefined }));
    const jane = profile();
    const janeInKiro = emulator.directory.createUser(
      validUser({ userName: jane.userName, externalId: undefined, emails: undefined }),
    );
    emulator.addFault({ kind: "ignore-filter", rate: 1, method: "GET", path: "^/Users$" });

    // Act
    const ensured = await createOrAdoptUser(client(), jane);

    // Assess
    expect(ensured).toMatchObject({ outcome: "adopted", resource: { id: janeInKiro.id } });
    expect(emulator.directory.getUser(String(janeInKiro.id)).externalId).toBe(jane.externalId);
    expect(emulator.directory.getUser(String(first.id)).externalId).toBeUndefined();
  });

  it("refuses to answer a membership check from a list holding other groups", async () => {
    // Prepare
    const userId = String(emulator.directory.createUser(validUser()).id);
    const asked = emulator.directory.createGroup({ displayName: "Asked" });
    const other = emulator.directory.createGroup({ displayName: "Other" });
    emulator.directory.patchGroup(String(other.id), {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "add", path: "members", value: [{ value: userId }] }],
    });
    emulator.addFault({ kind: "ignore-filter", rate: 1, path: "^/Groups$" });

    // Act
    const failure = await failureOf(client({ maxInProcessAttempts: 1 }).isMember(String(asked.id), userId));

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE" });
  });
});

describe("a server whose page cursor leads nowhere", () => {
  const loopingPage = JSON.stringify({
    schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    itemsPerPage: 0,
    Resources: [],
    nextCursor: "same-page",
  });

  it("refuses a page that names the cursor it was asked for as the next one", async () => {
    // Prepare
    emulator.addFault({
      kind: "body",
      rate: 1,
      status: 200,
      body: loopingPage,
      method: "GET",
      path: "^/Users$",
    });

    // Act
    const failure = await failureOf(client({ maxInProcessAttempts: 1 }).listUsers("same-page"));

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE" });
  });

  it("stops reading a user's groups when the cursor leads back to a page already read", async () => {
    // Prepare
    for (const next of ["page-a", "page-b", "page-a"])
      emulator.addFault({
        kind: "body",
        count: 1,
        status: 200,
        body: loopingPage.replace("same-page", next),
        method: "GET",
        path: "^/Groups$",
      });

    // Act
    const failure = await failureOf(client({ maxInProcessAttempts: 1 }).listGroupsOfUser("some-user"));

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE" });
    expect(emulator.requests()).toHaveLength(3);
  });
});
