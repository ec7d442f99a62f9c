import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { patchOp, rawScim, validUser } from "../support/raw-scim";

let emulator: KiroScimEmulator;
let scim: ReturnType<typeof rawScim>;

beforeAll(async () => {
  emulator = await KiroScimEmulator.start();
  scim = rawScim(emulator);
});
afterAll(() => emulator.stop());
beforeEach(() => {
  emulator.resetProfile();
  emulator.faults.clear();
});

async function createUser(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await scim("POST", "/Users", validUser(overrides));
  expect(response.status).toBe(201);
  return String(response.body.id);
}

async function createGroup(displayName: string, externalId?: string): Promise<string> {
  const response = await scim("POST", "/Groups", { displayName, ...(externalId ? { externalId } : {}) });
  expect(response.status).toBe(201);
  return String(response.body.id);
}

describe("routing and authentication", () => {
  it("answers 401 for a missing token, a wrong token and an unknown tenant", async () => {
    // Prepare
    const tenantId = emulator.profile.tenantId;

    // Act
    const missing = await scim("GET", "/Users", undefined, { token: null });
    const wrong = await scim("GET", "/Users", undefined, { token: "not-the-token" });
    const otherTenant = await scim("GET", "/Users", undefined, { tenantId: `${tenantId}x` });

    // Assess
    expect([missing.status, wrong.status, otherTenant.status]).toEqual([401, 401, 401]);
  });

  it("answers 404 for /Me, /Bulk and /Search, which IdC does not implement", async () => {
    // Act
    const statuses = await Promise.all(
      ["/Me", "/Bulk", "/Search"].map(async (path) => (await scim("GET", path)).status),
    );

    // Assess
    expect(statuses).toEqual([404, 404, 404]);
  });

  it("refuses PUT on a group with 400, because IdC has no PutGroup", async () => {
    // Prepare
    const groupId = await createGroup("Engineering");

    // Act
    const response = await scim("PUT", `/Groups/${groupId}`, { displayName: "Engineering 2" });

    // Assess
    expect(response.status).toBe(400);
    expect(emulator.directory.getGroup(groupId).displayName).toBe("Engineering");
  });

  it("accepts a second, unexpired token and rejects an expired one", async () => {
    // Prepare
    const second = emulator.addToken(3600);
    emulator.revokeToken(second);
    const expired = emulator.addToken(0);

    // Act
    const withRevoked = await scim("GET", "/Users", undefined, { token: second });
    const withExpired = await scim("GET", "/Users", undefined, { token: expired });
    const withFirst = await scim("GET", "/Users");

    // Assess
    expect([withRevoked.status, withExpired.status, withFirst.status]).toEqual([401, 401, 200]);
  });
});

describe("error envelope", () => {
  it("uses IdC's body: schema and schemas, status as a string, request id, no scimType", async () => {
    // Act
    const response = await scim("GET", "/Users/does-not-exist");

    // Assess
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body).toMatchObject({
      schema: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "404",
      exceptionRequestId: response.headers.get("x-amzn-requestid"),
    });
    expect(response.body.timeStamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(response.body).not.toHaveProperty("scimType");
  });

  it("answers an unparsable body with 400", async () => {
    // Act
    const response = await scim("POST", "/Users", "{not json");

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.detail).toBe("Request is unparsable, syntactically incorrect, or violates schema.");
  });
});

describe("users", () => {
  it("creates with 201 and the full resource, reads with 200, deletes with 204 and then 404", async () => {
    // Act
    const created = await scim(
      "POST",
      "/Users",
      validUser({ userName: "jane@acme.test", externalId: "00uJane" }),
    );
    const read = await scim("GET", `/Users/${created.body.id}`);
    const deleted = await scim("DELETE", `/Users/${created.body.id}`);
    const again = await scim("DELETE", `/Users/${created.body.id}`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userName: "jane@acme.test", externalId: "00uJane", active: true });
    expect(created.body.meta).toMatchObject({ resourceType: "User" });
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(created.body.id);
    expect([deleted.status, again.status]).toEqual([204, 404]);
  });

  it.each([
    ["userName", { userName: undefined }],
    ["displayName", { displayName: undefined }],
    ["name.givenName", { name: { familyName: "Doe" } }],
    ["name.familyName", { name: { givenName: "Jane" } }],
  ])("requires %s", async (_field, overrides) => {
    // Act
    const response = await scim("POST", "/Users", validUser(overrides));

    // Assess
    expect(response.status).toBe(400);
    expect(emulator.directory.userCount).toBe(0);
  });

  it.each([
    ["two emails", { emails: [{ value: "a@x.test", primary: true }, { value: "b@x.test" }] }],
    ["two phone numbers", { phoneNumbers: [{ value: "1" }, { value: "2" }] }],
    ["two addresses", { addresses: [{ country: "DE" }, { country: "FR" }] }],
  ])("allows only one value in list attributes (%s)", async (_case, overrides) => {
    // Act
    const response = await scim("POST", "/Users", validUser(overrides));

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.detail).toBe("Currently list attributes only allow single item");
  });

  it("requires the single email to be primary", async () => {
    // Act
    const response = await scim(
      "POST",
      "/Users",
      validUser({ emails: [{ value: "a@x.test", type: "work" }] }),
    );

    // Assess
    expect(response.status).toBe(400);
  });

  it.each([
    ["groups", { groups: [{ value: "g" }] }],
    ["password", { password: "hunter2" }],
    ["photos", { photos: [{ value: "https://x" }] }],
    ["entitlements", { entitlements: [{ value: "x" }] }],
  ])("refuses %s in a create body", async (_field, overrides) => {
    // Act
    const response = await scim("POST", "/Users", validUser(overrides));

    // Assess
    expect(response.status).toBe(400);
  });

  it.each([
    ["userName over 128", { userName: "u".repeat(129) }],
    ["displayName over 1024", { displayName: "d".repeat(1025) }],
    ["externalId over 256", { externalId: "e".repeat(257) }],
    ["reserved Administrator", { userName: "Administrator" }],
    ["reserved AWSAdministrators", { userName: "awsadministrators" }],
  ])("refuses %s", async (_case, overrides) => {
    // Act
    const response = await scim("POST", "/Users", validUser(overrides));

    // Assess
    expect(response.status).toBe(400);
  });

  it("accepts a userName of exactly 128 characters", async () => {
    // Act
    const response = await scim("POST", "/Users", validUser({ userName: "u".repeat(128) }));

    // Assess
    expect(response.status).toBe(201);
  });

  it.each([
    [
      "userName (case-insensitive)",
      (first: Record<string, unknown>) => ({ userName: String(first.userName).toUpperCase() }),
    ],
    ["primary email", (first: Record<string, unknown>) => ({ emails: first.emails })],
    ["externalId", (first: Record<string, unknown>) => ({ externalId: first.externalId })],
  ])("answers a duplicate %s with 409", async (_field, clash) => {
    // Prepare
    const first = validUser();
    await scim("POST", "/Users", first);

    // Act
    const response = await scim("POST", "/Users", validUser(clash(first)));

    // Assess
    expect(response.status).toBe(409);
    expect(response.body.detail).toBe("Refused to create a new, duplicate resource.");
  });

  it("replaces a user with PUT under the create rules", async () => {
    // Prepare
    const id = await createUser({ userName: "old@acme.test" });
    const replacement = validUser({ userName: "new@acme.test" });

    // Act
    const missingFamilyName = await scim("PUT", `/Users/${id}`, {
      ...replacement,
      name: { givenName: "Only" },
    });
    const replaced = await scim("PUT", `/Users/${id}`, replacement);

    // Assess
    expect(missingFamilyName.status).toBe(400);
    expect(replaced.status).toBe(200);
    expect(emulator.directory.getUser(id).userName).toBe("new@acme.test");
  });

  it("stores active=false and keeps the user in its groups", async () => {
    // Prepare
    const userId = await createUser();
    const groupId = await createGroup("Engineering");
    await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "add", path: "members", value: [{ value: userId }] }]),
    );

    // Act
    const patched = await scim(
      "PATCH",
      `/Users/${userId}`,
      patchOp([{ op: "replace", path: "active", value: false }]),
    );
    const read = await scim("GET", `/Users/${userId}`);

    // Assess
    expect(patched.status).toBe(200);
    expect(read.body.active).toBe(false);
    expect(emulator.directory.membersOf(groupId)).toEqual([userId]);
  });

  it("removes a deleted user from every group", async () => {
    // Prepare
    const userId = await createUser();
    const groupIds = [await createGroup("A"), await createGroup("B")];
    for (const groupId of groupIds) {
      await scim(
        "PATCH",
        `/Groups/${groupId}`,
        patchOp([{ op: "add", path: "members", value: [{ value: userId }] }]),
      );
    }

    // Act
    await scim("DELETE", `/Users/${userId}`);
    const memberOf = await scim("GET", `/Groups?filter=${encodeURIComponent(`members eq "${userId}"`)}`);

    // Assess
    expect(groupIds.map((groupId) => emulator.directory.membersOf(groupId))).toEqual([[], []]);
    expect(memberOf.body.Resources).toEqual([]);
  });
});

describe("PatchUser", () => {
  it("applies the no-path replace with a value object that Okta and Entra send", async () => {
    // Prepare
    const id = await createUser();

    // Act
    const response = await scim(
      "PATCH",
      `/Users/${id}`,
      patchOp([
        { op: "replace", value: { displayName: "Renamed", name: { familyName: "Smith" }, active: false } },
      ]),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      displayName: "Renamed",
      active: false,
      name: { familyName: "Smith" },
    });
  });

  it('updates the email through emails[type eq "work"].value', async () => {
    // Prepare
    const id = await createUser();

    // Act
    const response = await scim(
      "PATCH",
      `/Users/${id}`,
      patchOp([{ op: "replace", path: 'emails[type eq "work"].value', value: "changed@acme.test" }]),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.emails).toEqual([{ value: "changed@acme.test", type: "work", primary: true }]);
  });

  it.each([
    ["an operation without op", [{ path: "displayName", value: "x" }]],
    ["remove without path", [{ op: "remove" }]],
    ["add without value", [{ op: "add", path: "title" }]],
    ["remove of userName", [{ op: "remove", path: "userName" }]],
    ["remove of active", [{ op: "remove", path: "active" }]],
    [
      "two operations on active",
      [
        { op: "replace", path: "active", value: false },
        { op: "replace", path: "active", value: true },
      ],
    ],
    ["an attribute outside the allow-list", [{ op: "replace", path: "password", value: "x" }]],
    ["no operations", []],
  ])("refuses %s with 400", async (_case, operations) => {
    // Prepare
    const id = await createUser({ displayName: "Before" });

    // Act
    const response = await scim("PATCH", `/Users/${id}`, patchOp(operations));

    // Assess
    expect(response.status).toBe(400);
    expect(emulator.directory.getUser(id).displayName).toBe("Before");
  });

  it("refuses a patch whose result breaks a required attribute", async () => {
    // Prepare
    const id = await createUser();

    // Act
    const response = await scim(
      "PATCH",
      `/Users/${id}`,
      patchOp([{ op: "remove", path: "name.familyName" }]),
    );

    // Assess
    expect(response.status).toBe(400);
  });
});

describe("groups", () => {
  it("never returns members on GET, list or filter reads", async () => {
    // Prepare
    const userId = await createUser();
    const groupId = await createGroup("Engineering");
    await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "add", path: "members", value: [{ value: userId }] }]),
    );

    // Act
    const byId = await scim("GET", `/Groups/${groupId}`);
    const list = await scim("GET", "/Groups");
    const filtered = await scim(
      "GET",
      `/Groups?filter=${encodeURIComponent('displayName eq "Engineering"')}`,
    );

    // Assess
    expect(emulator.directory.membersOf(groupId)).toEqual([userId]);
    for (const group of [
      byId.body,
      ...(list.body.Resources as object[]),
      ...(filtered.body.Resources as object[]),
    ]) {
      expect(group).not.toHaveProperty("members");
    }
  });

  it("answers duplicate displayName or externalId with 409", async () => {
    // Prepare
    await createGroup("Engineering", "00gEng");

    // Act
    const sameName = await scim("POST", "/Groups", { displayName: "engineering" });
    const sameExternalId = await scim("POST", "/Groups", { displayName: "Other", externalId: "00gEng" });

    // Assess
    expect([sameName.status, sameExternalId.status]).toEqual([409, 409]);
  });

  it("requires displayName", async () => {
    // Act
    const response = await scim("POST", "/Groups", { externalId: "x" });

    // Assess
    expect(response.status).toBe(400);
  });

  it("deletes with 204 and then answers 404", async () => {
    // Prepare
    const groupId = await createGroup("Temp");

    // Act
    const first = await scim("DELETE", `/Groups/${groupId}`);
    const second = await scim("DELETE", `/Groups/${groupId}`);

    // Assess
    expect([first.status, second.status]).toEqual([204, 404]);
  });
});

describe("PatchGroup", () => {
  async function groupWithUsers(userCount: number): Promise<{ groupId: string; userIds: string[] }> {
    const userIds: string[] = [];
    for (let index = 0; index < userCount; index++) userIds.push(await createUser());
    return { groupId: await createGroup("Big"), userIds };
  }

  it("accepts exactly 100 member changes and refuses 101", async () => {
    // Prepare
    const { groupId, userIds } = await groupWithUsers(101);
    const members = userIds.map((value) => ({ value }));

    // Act
    const tooMany = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "add", path: "members", value: members }]),
    );
    const hundred = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "add", path: "members", value: members.slice(0, 100) }]),
    );

    // Assess
    expect(tooMany.status).toBe(400);
    expect(hundred.status).toBe(204);
    expect(emulator.directory.membersOf(groupId)).toHaveLength(100);
  });

  it("counts member changes across operations in one request", async () => {
    // Prepare
    const { groupId, userIds } = await groupWithUsers(101);
    const members = userIds.map((value) => ({ value }));

    // Act
    const response = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([
        { op: "add", path: "members", value: members.slice(0, 60) },
        { op: "remove", path: "members", value: members.slice(60) },
      ]),
    );

    // Assess
    expect(response.status).toBe(400);
  });

  it("refuses replace on members and a remove of all members", async () => {
    // Prepare
    const { groupId, userIds } = await groupWithUsers(2);
    const add = patchOp([{ op: "add", path: "members", value: userIds.map((value) => ({ value })) }]);
    await scim("PATCH", `/Groups/${groupId}`, add);

    // Act
    const replace = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "replace", path: "members", value: [{ value: userIds[0] }] }]),
    );
    const removeAll = await scim("PATCH", `/Groups/${groupId}`, patchOp([{ op: "remove", path: "members" }]));

    // Assess
    expect([replace.status, removeAll.status]).toEqual([400, 400]);
    expect(emulator.directory.membersOf(groupId)).toHaveLength(2);
  });

  it("treats adding a member twice and removing a non-member as no-ops", async () => {
    // Prepare
    const { groupId, userIds } = await groupWithUsers(2);
    const addFirst = patchOp([{ op: "add", path: "members", value: [{ value: userIds[0] }] }]);
    await scim("PATCH", `/Groups/${groupId}`, addFirst);

    // Act
    const addAgain = await scim("PATCH", `/Groups/${groupId}`, addFirst);
    const removeStranger = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "remove", path: "members", value: [{ value: userIds[1] }] }]),
    );

    // Assess
    expect([addAgain.status, removeStranger.status]).toEqual([204, 204]);
    expect(emulator.directory.membersOf(groupId)).toEqual([userIds[0]]);
  });

  it("renames with a displayName replace and keeps the id", async () => {
    // Prepare
    const groupId = await createGroup("Old name");

    // Act
    const response = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "replace", path: "displayName", value: "New name" }]),
    );

    // Assess
    expect(response.status).toBe(204);
    expect((await scim("GET", `/Groups/${groupId}`)).body.displayName).toBe("New name");
  });

  it("refuses attributes other than displayName, externalId and members", async () => {
    // Prepare
    const groupId = await createGroup("Team");

    // Act
    const response = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "replace", path: "description", value: "x" }]),
    );

    // Assess
    expect(response.status).toBe(400);
  });

  it("refuses to add a user id the store does not have", async () => {
    // Prepare
    const groupId = await createGroup("Team");

    // Act
    const response = await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "add", path: "members", value: [{ value: "no-such-user" }] }]),
    );

    // Assess
    expect(response.status).toBe(400);
  });
});

describe("filters", () => {
  it("finds users by userName and by externalId with eq", async () => {
    // Prepare
    const id = await createUser({ userName: "jane@acme.test", externalId: "00uJane" });

    // Act
    const byName = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "JANE@acme.test"')}`);
    const byExternalId = await scim("GET", `/Users?filter=${encodeURIComponent('externalId eq "00uJane"')}`);

    // Assess
    expect((byName.body.Resources as { id: string }[]).map((user) => user.id)).toEqual([id]);
    expect((byExternalId.body.Resources as { id: string }[]).map((user) => user.id)).toEqual([id]);
  });

  it.each([
    'userName co "x"',
    'userName sw "x"',
    "userName pr",
    'userName eq "a" or userName eq "b"',
    'not (userName eq "a")',
    'displayName eq "x"',
    'title eq "x"',
  ])("refuses the user filter %s with 400", async (filter) => {
    // Act
    const response = await scim("GET", `/Users?filter=${encodeURIComponent(filter)}`);

    // Assess
    expect(response.status).toBe(400);
  });

  it("checks membership with members eq, members.value eq and id and members", async () => {
    // Prepare
    const member = await createUser();
    const stranger = await createUser();
    const groupId = await createGroup("Engineering", "00gEng");
    const otherGroupId = await createGroup("Sales");
    await scim(
      "PATCH",
      `/Groups/${groupId}`,
      patchOp([{ op: "add", path: "members", value: [{ value: member }] }]),
    );
    const ids = async (filter: string) =>
      (
        (await scim("GET", `/Groups?filter=${encodeURIComponent(filter)}`)).body.Resources as { id: string }[]
      ).map((group) => group.id);

    // Act
    const results = {
      members: await ids(`members eq "${member}"`),
      membersValue: await ids(`members.value eq "${member}"`),
      idAndMember: await ids(`id eq "${groupId}" and members eq "${member}"`),
      idAndStranger: await ids(`id eq "${groupId}" and members eq "${stranger}"`),
      otherGroup: await ids(`id eq "${otherGroupId}" and members eq "${member}"`),
      byDisplayName: await ids('displayName eq "engineering"'),
      byExternalId: await ids('externalId eq "00gEng"'),
    };

    // Assess
    expect(results).toEqual({
      members: [groupId],
      membersValue: [groupId],
      idAndMember: [groupId],
      idAndStranger: [],
      otherGroup: [],
      byDisplayName: [groupId],
      byExternalId: [groupId],
    });
  });

  it.each(['displayName co "Eng"', 'id eq "x"', 'displayName eq "a" or displayName eq "b"'])(
    "refuses the group filter %s with 400",
    async (filter) => {
      // Act
      const response = await scim("GET", `/Groups?filter=${encodeURIComponent(filter)}`);

      // Assess
      expect(response.status).toBe(400);
    },
  );
});

describe("paging", () => {
  beforeEach(async () => {
    for (let index = 0; index < 230; index++) emulator.directory.createUser(validUser());
  });

  it("pages by cursor: at most 100 per page, no totalResults, the next page only through nextCursor", async () => {
    // Act
    const first = await scim("GET", "/Users?cursor&count=500");
    const ignoredStartIndex = await scim("GET", "/Users?cursor&startIndex=101");
    const second = await scim("GET", `/Users?cursor=${encodeURIComponent(String(first.body.nextCursor))}`);
    const third = await scim("GET", `/Users?cursor=${encodeURIComponent(String(second.body.nextCursor))}`);

    // Assess
    expect(first.body.itemsPerPage).toBe(100);
    expect(first.body).not.toHaveProperty("totalResults");
    expect(ignoredStartIndex.body.Resources).toEqual(first.body.Resources);
    expect((second.body.Resources as { id: string }[])[0]?.id).not.toBe(
      (first.body.Resources as { id: string }[])[0]?.id,
    );
    expect(third.body.itemsPerPage).toBe(30);
    expect(third.body).not.toHaveProperty("nextCursor");
    const all = [first, second, third].flatMap((page) =>
      (page.body.Resources as { id: string }[]).map((user) => user.id),
    );
    expect(new Set(all).size).toBe(230);
  });

  it("answers one page with totalResults and startIndex 1 when no cursor is given", async () => {
    // Act
    const response = await scim("GET", "/Users");

    // Assess
    expect(response.body).toMatchObject({ totalResults: 100, startIndex: 1, itemsPerPage: 100 });
    expect(response.body).not.toHaveProperty("nextCursor");
  });

  it("refuses a cursor it did not issue", async () => {
    // Act
    const response = await scim("GET", "/Users?cursor=bm90LWEtY3Vyc29y");

    // Assess
    expect(response.status).toBe(400);
  });

  it("caps pages at 50 in legacy mode", async () => {
    // Prepare
    const legacy = await KiroScimEmulator.start({ legacyPageCap: true });
    for (let index = 0; index < 60; index++) legacy.directory.createUser(validUser());

    // Act
    const response = await rawScim(legacy)("GET", "/Users?cursor");
    await legacy.stop();

    // Assess
    expect(response.body.itemsPerPage).toBe(50);
    expect(response.body.nextCursor).toBeTypeOf("string");
  });
});

describe("discovery", () => {
  it("serves ServiceProviderConfig like IdC: patch yes, bulk/sort/etag no, filter maxResults 50", async () => {
    // Act
    const config = await scim("GET", "/ServiceProviderConfig");
    const resourceTypes = await scim("GET", "/ResourceTypes");
    const schemas = await scim("GET", "/Schemas");

    // Assess
    expect(config.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 50 },
      sort: { supported: false },
      etag: { supported: false },
    });
    expect((resourceTypes.body.Resources as { id: string }[]).map((type) => type.id)).toEqual([
      "User",
      "Group",
    ]);
    expect(schemas.status).toBe(200);
  });
});

describe("faults", () => {
  it("throttles by count with and without Retry-After, then serves normally", async () => {
    // Prepare
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 2 });
    emulator.addFault({ kind: "throttle", count: 1 });

    // Act
    const withRetryAfter = await scim("GET", "/Users");
    const without = await scim("GET", "/Users");
    const normal = await scim("GET", "/Users");

    // Assess
    expect(withRetryAfter.status).toBe(429);
    expect(withRetryAfter.headers.get("retry-after")).toBe("2");
    expect(withRetryAfter.body.status).toBe("429");
    expect(without.status).toBe(429);
    expect(without.headers.get("retry-after")).toBeNull();
    expect(normal.status).toBe(200);
  });

  it("answers 500 for a server-error fault and logs it", async () => {
    // Prepare
    emulator.clearRequests();
    emulator.addFault({ kind: "server-error", count: 1, method: "POST" });

    // Act
    const failed = await scim("POST", "/Users", validUser());
    const retried = await scim("POST", "/Users", validUser());

    // Assess
    expect([failed.status, retried.status]).toEqual([500, 201]);
    expect(emulator.requests().map((entry) => entry.fault ?? "none")).toEqual(["server-error", "none"]);
  });

  it("drops the connection without an answer", async () => {
    // Prepare
    emulator.addFault({ kind: "drop", count: 1 });

    // Act
    const outcome = await scim("GET", "/Users").then(
      () => "answered",
      (error: Error) => error.name,
    );

    // Assess
    expect(outcome).toBe("TypeError");
  });

  it("adds latency to matching requests", async () => {
    // Prepare
    emulator.addFault({ kind: "latency", rate: 1, latencyMs: 120, path: "^/Groups" });
    const started = performance.now();

    // Act
    await scim("GET", "/Groups");
    const groupsMs = performance.now() - started;

    // Assess
    expect(groupsMs).toBeGreaterThanOrEqual(110);
    expect(emulator.requests().at(-1)?.durationMs).toBeGreaterThanOrEqual(110);
  });

  it("applies rate rules from one draw so their rates add up", async () => {
    // Prepare
    const seeded = await KiroScimEmulator.start({ random: sequence([0.05, 0.2, 0.29, 0.31, 0.9]) });
    seeded.addFault({ kind: "throttle", rate: 0.15, retryAfterSeconds: 1 });
    seeded.addFault({ kind: "throttle", rate: 0.15 });
    const call = rawScim(seeded);

    // Act
    const statuses = [];
    for (let index = 0; index < 5; index++) statuses.push((await call("GET", "/Users")).status);
    await seeded.stop();

    // Assess
    expect(statuses).toEqual([429, 429, 429, 200, 200]);
  });
});

describe("control API and profile reset", () => {
  it("resets the profile over HTTP: new tenant and token, nothing left, old credentials refused", async () => {
    // Prepare
    await createUser();
    const before = emulator.profile;

    // Act
    const reset = (await (await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" })).json()) as {
      tenantId: string;
      token: string;
    };
    const oldCredentials = await scim("GET", "/Users", undefined, {
      tenantId: before.tenantId,
      token: before.token,
    });
    const state = await (await fetch(`${emulator.url}/_emulator/state?summary`)).json();

    // Assess
    expect(reset.tenantId).not.toBe(before.tenantId);
    expect(reset.token).not.toBe(before.token);
    expect(oldCredentials.status).toBe(401);
    expect(state).toEqual({ users: 0, groups: 0 });
  });

  it("injects faults and reads the request log over HTTP", async () => {
    // Prepare
    emulator.clearRequests();
    await fetch(`${emulator.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ kind: "throttle", count: 1, retryAfterSeconds: 1 }),
    });

    // Act
    await scim("GET", "/Users");
    await scim("GET", "/Users");
    const log = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { status: number }[];

    // Assess
    expect(log.map((entry) => entry.status)).toEqual([429, 200]);
  });

  it("refuses an invalid fault rule with 400", async () => {
    // Act
    const response = await fetch(`${emulator.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ kind: "throttle" }),
    });

    // Assess
    expect(response.status).toBe(400);
  });
});

function sequence(values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length] as number;
}
