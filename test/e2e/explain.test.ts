import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ProvisioningLogEntry } from "../../core/ports/provisioning-log";
import type { GroupExplanation, UserExplanation } from "../../core/use-cases/explain-object";
import type { Candidate } from "../../core/use-cases/find-objects";
import { sampleEntraGroups } from "../../local/graph/sample-tenant";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaUser,
  consoleEdit,
  kiroUser,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Explained-*,Kiro-Developers" });
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  runtime.emulator!.faults.clear();
});

interface Answer<Body> {
  status: number;
  retryAfter: string | null;
  body: Body;
}

/** What a refusal answers: 400, 404, 409 (with the candidates) and 503 (with the code). */
interface Refusal {
  message: string;
  candidates?: Candidate[];
  code?: string;
  retryable?: boolean;
}

async function get<Body>(path: string, token = runtime.config.statusToken ?? ""): Promise<Answer<Body>> {
  const response = await fetch(`${runtime.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: (await response.json()) as Body,
  };
}

const user = <Body = UserExplanation>(identifier: string, query = "") =>
  get<Body>(`/users/${encodeURIComponent(identifier)}${query}`);
const group = <Body = GroupExplanation>(identifier: string, query = "") =>
  get<Body>(`/groups/${encodeURIComponent(identifier)}${query}`);
const logOf = async (query: string) =>
  (await get<{ entries: ProvisioningLogEntry[] }>(`/log?${query}`)).body.entries
    .map((entry) => entry.action)
    .sort();

describe("GET /users/{id|login|email} and GET /groups/{id|name}", () => {
  it("explains a synced user found by login, email or id: in scope through its group, in Kiro, with its log", async () => {
    // Prepare
    const person = addOktaUser(runtime, { email: `Other.${Date.now()}@example.com` });
    const team = await syncNewGroup(runtime, "Explained", [person]);

    // Act
    const byLogin = await user(person.profile.login.toUpperCase());
    const byEmail = await user(person.profile.email);
    const byId = await user(person.id);

    // Assess
    expect(byLogin.status).toBe(200);
    expect(byLogin.body).toMatchObject({
      kind: "user",
      source: "okta",
      id: person.id,
      login: person.profile.login,
      status: "synced",
      summary: "in Kiro as the ledger wants it",
      scope: { inScope: true, groups: [team.name] },
      kiro: {
        id: kiroUser(runtime, person.id)?.id,
        status: "synced",
        appliedAttributes: { userName: person.profile.login, familyName: person.profile.lastName },
      },
      memberships: [
        { group: { id: team.id, name: team.name }, desired: true, applied: true, status: "synced" },
      ],
      pending: [],
      lastError: null,
    });
    expect(byLogin.body.log.map((entry) => entry.action).sort()).toEqual(["add-member", "create"]);
    expect(byEmail.body.id).toBe(person.id);
    expect(byId.body.id).toBe(person.id);
  });

  it("shows the code and Kiro's message, in the answer and its log, for a user Kiro refused", async () => {
    // Prepare
    const refused = addOktaUser(runtime);
    const detail = "Request is unacceptable: employee number is reserved";
    runtime.emulator!.faults.add({
      kind: "body",
      status: 400,
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        detail,
        status: "400",
      }),
      method: "POST",
      path: "^/Users$",
      count: 1,
    });
    await syncNewGroup(runtime, "Explained", [refused]);

    // Act
    const answer = await user(refused.profile.login);

    // Assess
    expect(answer.body).toMatchObject({
      status: "failed",
      summary: `failed: SCIM.INVALID ${detail}`,
      kiro: { id: null, status: "failed" },
      lastError: { code: "SCIM.INVALID", message: detail, attempts: 1 },
    });
    expect(answer.body.pending[0]?.why).toContain("fix the profile in the IdP");
    expect(answer.body.log).toEqual([
      expect.objectContaining({ action: "failure", errorCode: "SCIM.INVALID", message: detail }),
    ]);
  });

  it("says a user removed from its only synced group is out of scope, and where it was", async () => {
    // Prepare
    const leaver = addOktaUser(runtime);
    const team = await syncNewGroup(runtime, "Explained", [leaver]);
    runtime.oktaOrg!.removeMember(team.id, leaver.id);
    await postOkta(runtime, oktaDelivery([membershipEvent("remove", { id: leaver.id }, team)]));
    await runtime.bus.idle();

    // Act
    const answer = await user(leaver.id);

    // Assess
    expect(answer.body).toMatchObject({
      status: "synced",
      scope: { inScope: false, groups: [] },
      memberships: [{ group: { name: team.name }, desired: false, applied: false, status: "synced" }],
    });
    expect(answer.body.summary).toMatch(/^out of scope: no longer a member of any synced group/);
  });

  it("explains a group found by name: its Kiro id, members desired and applied, sync state and log", async () => {
    // Prepare
    const people = [addOktaUser(runtime), addOktaUser(runtime)];
    const team = await syncNewGroup(runtime, "Explained", people);
    const kiroGroup = runtime
      .emulator!.directory.snapshot()
      .groups.find((each) => each.displayName === team.name);

    // Act
    const answer = await group(team.name.toLowerCase());

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      kind: "group",
      source: "okta",
      id: team.id,
      name: team.name,
      status: "synced",
      scope: { inScope: true },
      kiro: { id: kiroGroup?.id, appliedName: team.name, createdByUs: true },
      sync: { lease: null, quarantined: false, attempts: 0 },
      members: { desired: 2, applied: 2, pending: [], failed: [], held: [] },
      pending: [],
      lastError: null,
    });
    expect(answer.body.log.filter((entry: { action: string }) => entry.action === "add-member")).toHaveLength(
      2,
    );
  });

  it("answers 404 with the reason for an identifier that names nothing, and 401 without the token", async () => {
    // Act
    const unknownUser = await user<Refusal>("nobody@example.com");
    const unknownGroup = await group<Refusal>("No Such Team");
    const tooLong = await user<Refusal>("x".repeat(3000));
    const unauthenticated = await get<Refusal>("/users/nobody@example.com", "");

    // Assess
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.body.message).toContain("no user nobody@example.com in the ledger");
    expect(unknownUser.body.message).toContain("POST /admin/provision");
    expect(unknownGroup.status).toBe(404);
    expect(tooLong.status).toBe(404);
    expect(unauthenticated.status).toBe(401);
  });

  it("answers 409 with the candidates when a name matches groups of both sources, and 200 with ?source", async () => {
    // Prepare
    const twin = { id: `00gtwin${Date.now()}`, name: sampleEntraGroups.developers.displayName };
    const member = addOktaUser(runtime);
    runtime.oktaOrg!.addGroup(twin);
    runtime.oktaOrg!.addMember(twin.id, member.id);
    await postOkta(runtime, oktaDelivery([membershipEvent("add", { id: member.id }, twin)]));
    await runtime.bus.idle();

    // Act
    const ambiguous = await group<Refusal>(twin.name);
    const entraOnly = await group(twin.name, "?source=entra");
    const badSource = await group<Refusal>(twin.name, "?source=ldap");

    // Assess
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.candidates).toEqual([
      { source: "entra", id: sampleEntraGroups.developers.id, name: twin.name },
      { source: "okta", id: twin.id, name: twin.name },
    ]);
    expect(entraOnly.status).toBe(200);
    expect(entraOnly.body).toMatchObject({ source: "entra", id: sampleEntraGroups.developers.id });
    expect(badSource.status).toBe(400);
  });

  it("takes live as true or false only, and no other parameter", async () => {
    // Prepare
    const person = addOktaUser(runtime);
    await syncNewGroup(runtime, "Explained", [person]);

    // Act
    const shouting = await user<Refusal>(person.id, "?live=TRUE");
    const typo = await user<Refusal>(person.id, "?lives=true");
    const off = await user(person.id, "?live=false");

    // Assess
    expect(shouting.status).toBe(400);
    expect(shouting.body.message).toBe("live must be true or false");
    expect(typo.status).toBe(400);
    expect(off.status).toBe(200);
    expect(off.body.live).toBeUndefined();
  });

  it("shows with live=true what was changed by hand in Kiro and what the IdP changed without an event", async () => {
    // Prepare
    const person = addOktaUser(runtime);
    const team = await syncNewGroup(runtime, "Explained", [person]);
    const state = runtime.emulator!.directory.snapshot();
    const kiroId = String(kiroUser(runtime, person.id)!.id);
    const kiroGroup = state.groups.find((each) => each.displayName === team.name)!;
    await consoleEdit(runtime, "PATCH", `users/${kiroId}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "displayName", value: "Edited By Hand" }],
    });
    await consoleEdit(runtime, "PATCH", `groups/${kiroGroup.id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "remove", path: "members", value: [{ value: kiroId }] }],
    });
    runtime.oktaOrg!.users.get(person.id)!.profile.lastName = "Renamed";

    // Act
    const answer = await user(person.profile.login, "?live=true");

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.live).toMatchObject({
      idp: { found: true, active: true, groups: [team.name] },
      kiro: { found: true, id: kiroId, groups: [] },
      memberships: [{ group: team.name, ledger: true, idp: true, kiro: false }],
    });
    expect(answer.body.live?.attributes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ attribute: "displayName", kiro: "Edited By Hand" }),
        expect.objectContaining({ attribute: "familyName", idp: "Renamed", ledger: person.profile.lastName }),
      ]),
    );
    expect(answer.body.live?.differences).toEqual(
      expect.arrayContaining([
        `Kiro holds displayName "Edited By Hand", the ledger wants "${person.profile.firstName} ${person.profile.lastName}"`,
        `the IdP says familyName "Renamed", the ledger last read "${person.profile.lastName}"`,
        `Kiro has the user not in ${team.name}, the ledger wants it there`,
      ]),
    );
  });

  it("shows with live=true on a group the member removed by hand in Kiro", async () => {
    // Prepare
    const [kept, removed] = [addOktaUser(runtime), addOktaUser(runtime)];
    const team = await syncNewGroup(runtime, "Explained", [kept, removed]);
    const kiroGroup = runtime
      .emulator!.directory.snapshot()
      .groups.find((each) => each.displayName === team.name)!;
    await consoleEdit(runtime, "PATCH", `groups/${kiroGroup.id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [
        { op: "remove", path: "members", value: [{ value: String(kiroUser(runtime, removed.id)!.id) }] },
      ],
    });

    // Act
    const answer = await group(team.id, "?live=true");

    // Assess
    expect(answer.body.live).toMatchObject({
      idp: { found: true, name: team.name, members: 2, complete: true },
      kiro: { found: true, id: kiroGroup.id, displayName: team.name },
      onlyInIdp: [],
      onlyInLedger: [],
      kiroMembers: { checked: 2, of: 2, missingInKiro: [removed.profile.login], unexpectedInKiro: [] },
    });
  });

  it("answers a live read 503 with Retry-After and the cause while Kiro is down, never 500", async () => {
    // Prepare
    const person = addOktaUser(runtime);
    await syncNewGroup(runtime, "Explained", [person]);
    runtime.emulator!.faults.add({ kind: "drop", method: "GET", rate: 1 });

    // Act
    const answer = await user<Refusal>(person.id, "?live=true");

    // Assess
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(answer.body).toMatchObject({ code: "SCIM.CONNECTION", retryable: true });
  }, 60_000);

  it("finds a user's log entries by login, and a group's by name, through GET /log?object=", async () => {
    // Prepare
    const person = addOktaUser(runtime);
    const team = await syncNewGroup(runtime, "Explained", [person]);

    // Act
    const byLogin = await logOf(`object=${encodeURIComponent(person.profile.login)}`);
    const byName = await logOf(`object=${encodeURIComponent(team.name)}&source=okta`);

    // Assess
    expect(byLogin).toEqual(["add-member", "create"]);
    expect(byName).toEqual(["add-member", "create"]);
  });

  it("says why a user waits while the sync is paused on a refused Kiro token", async () => {
    // Prepare
    const waiting = addOktaUser(runtime);
    runtime.emulator!.revokeToken();

    // Act
    await syncNewGroup(runtime, "Explained", [waiting]);
    const answer = await user(waiting.profile.login);

    // Assess
    expect(answer.body).toMatchObject({ status: "pending", kiro: { id: null, status: "pending" } });
    expect(answer.body.pending[0]).toMatchObject({
      what: "every change",
      why: expect.stringMatching(/^the sync is paused since .*SCIM\.AUTH.*; it tries again at /),
    });
    expect(answer.body.memberships[0]).toMatchObject({
      status: "pending",
      waiting: expect.stringContaining("paused"),
    });
  });
});
