import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ProvisioningLogEntry } from "../../core/ports/provisioning-log";
import type { Candidate } from "../../core/use-cases/find-objects";
import type { ProvisionAnswer } from "../../core/use-cases/provision-on-demand";
import type { LocalRuntime } from "../../local/local-runtime";
import {
  addOktaGroup,
  addOktaUser,
  kiroMembersByExternalId,
  kiroUser,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Provisioned-*" });
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  runtime.emulator!.faults.clear();
});

interface Refusal {
  message: string;
  code?: string;
  candidates?: Candidate[];
  holder?: string;
  until?: string;
}

/** The answer, once the work it started is done (`settle: false`: at once, the bus still busy). */
async function provision<Body = ProvisionAnswer>(
  body: unknown,
  { settle } = { settle: true },
): Promise<{ status: number; retryAfter: string | null; body: Body }> {
  const response = await fetch(`${runtime.url}/admin/provision`, {
    method: "POST",
    headers: { authorization: `Bearer ${runtime.config.adminToken}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const answer = {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: (await response.json()) as Body,
  };
  if (settle) await runtime.bus.idle();
  return answer;
}

const logOf = async (object: string) => {
  const response = await fetch(`${runtime.url}/log?object=${encodeURIComponent(object)}`, {
    headers: { authorization: `Bearer ${runtime.config.statusToken}` },
  });
  return ((await response.json()) as { entries: ProvisioningLogEntry[] }).entries;
};

const kiroWrites = () =>
  runtime.emulator!.requests().filter((request) => request.method !== "GET" && request.status < 500);

const stepsOf = (answer: ProvisionAnswer) => answer.steps.map((step) => `${step.step}: ${step.result}`);

describe("POST /admin/provision", () => {
  it("brings in a user added to a synced Okta group whose hook event was lost, with each step, and logs it as on-demand", async () => {
    // Prepare
    const team = await syncNewGroup(runtime, "Provisioned", [addOktaUser(runtime)]);
    const newcomer = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(team.id, newcomer.id);

    // Act
    const answer = await provision({ user: newcomer.profile.login });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      kind: "user",
      source: "okta",
      id: newcomer.id,
      outcome: "provisioned",
    });
    expect(stepsOf(answer.body)).toEqual([
      "read from the IdP: ok",
      "scope decision: in scope",
      "match in Kiro: not found",
      "action: ok",
      "result: ok",
    ]);
    expect(answer.body.steps[1]?.detail).toBe(`through ${team.name}`);
    expect(
      answer.body.steps[3]?.actions?.map((action) => `${action.kind} ${action.action} ${action.result}`),
    ).toEqual(["USER create success", "MEMBER add-member success"]);
    expect(kiroMembersByExternalId(runtime, team.name)).toContain(newcomer.id);
    const log = await logOf(newcomer.profile.login);
    expect(log.map((entry) => `${entry.action} ${entry.trigger}`).sort()).toEqual([
      "add-member on-demand",
      "create on-demand",
    ]);
  });

  it("says no change for a user Kiro already has as the IdP says, and sends nothing", async () => {
    // Prepare
    const person = addOktaUser(runtime);
    await syncNewGroup(runtime, "Provisioned", [person]);
    runtime.emulator!.clearRequests();

    // Act
    const answer = await provision({ user: person.id, source: "okta" });

    // Assess
    expect(answer.body).toMatchObject({ outcome: "no change" });
    expect(answer.body.steps[2]).toMatchObject({ step: "match in Kiro", result: "found" });
    expect(kiroWrites()).toEqual([]);
  });

  it("answers that a user in no synced group is out of scope, and writes nothing to Kiro", async () => {
    // Prepare
    const outsider = addOktaUser(runtime);
    const elsewhere = addOktaGroup(runtime, "Elsewhere");
    runtime.oktaOrg!.addMember(elsewhere.id, outsider.id);
    runtime.emulator!.clearRequests();

    // Act
    const answer = await provision({ user: outsider.profile.login });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe("out of scope");
    expect(answer.body.steps[1]).toMatchObject({
      step: "scope decision",
      result: "out of scope",
      detail: expect.stringContaining("in no group of SYNC_GROUPS (Provisioned-*)"),
    });
    expect(answer.body.steps[0]?.detail).toContain(elsewhere.name);
    expect(kiroWrites()).toEqual([]);
    expect(kiroUser(runtime, outsider.id)).toBeUndefined();
  });

  it("answers the step Kiro refused with its code and message, and logs the failure", async () => {
    // Prepare
    const team = await syncNewGroup(runtime, "Provisioned", [addOktaUser(runtime)]);
    const refused = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(team.id, refused.id);
    const detail = "Request is unacceptable: the userName is reserved";
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

    // Act
    const answer = await provision({ user: refused.id });

    // Assess
    expect(answer.body.outcome).toBe("failed");
    expect(answer.body.steps.at(-1)).toEqual({
      step: "result",
      result: "failed",
      detail: `SCIM.INVALID: ${detail}`,
    });
    expect(answer.body.steps[3]?.actions).toEqual([
      expect.objectContaining({
        action: "failure",
        result: "failure",
        errorCode: "SCIM.INVALID",
        message: detail,
      }),
    ]);
    expect(await logOf(refused.id)).toEqual([
      expect.objectContaining({
        action: "failure",
        errorCode: "SCIM.INVALID",
        message: detail,
        trigger: "on-demand",
      }),
    ]);
    expect(kiroUser(runtime, refused.id)).toBeUndefined();
  });

  it("syncs a group whose events were lost, by name, and reports what it did", async () => {
    // Prepare
    const people = [addOktaUser(runtime), addOktaUser(runtime)];
    const team = addOktaGroup(runtime, "Provisioned");
    for (const person of people) runtime.oktaOrg!.addMember(team.id, person.id);

    // Act
    const answer = await provision({ group: team.name });

    // Assess
    expect(answer.body).toMatchObject({
      kind: "group",
      id: team.id,
      name: team.name,
      outcome: "provisioned",
    });
    expect(stepsOf(answer.body)).toEqual([
      "read from the IdP: ok",
      "scope decision: in scope",
      "match in Kiro: not found",
      "action: ok",
      "result: ok",
    ]);
    expect(answer.body.steps.at(-1)?.detail).toBe(
      "in Kiro as the IdP says (2 users pushed, 2 members added)",
    );
    expect(kiroMembersByExternalId(runtime, team.name)).toEqual(people.map((person) => person.id).sort());
  });

  it("answers 503 with Retry-After while Kiro or the IdP stays down, and leaves the change to the group's retries", async () => {
    // Prepare
    const team = await syncNewGroup(runtime, "Provisioned", [addOktaUser(runtime)]);
    const newcomer = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(team.id, newcomer.id);
    runtime.emulator!.faults.add({ kind: "drop", rate: 1 });

    // Act
    const kiroDown = await provision<Refusal & { retryable: boolean }>(
      { user: newcomer.id },
      { settle: false },
    );
    runtime.emulator!.faults.clear();
    await runtime.bus.idle();
    runtime.oktaOrg!.failNext("unavailable", 10_000);
    const oktaDown = await provision<Refusal & { retryable: boolean }>(
      { user: newcomer.id },
      { settle: false },
    );
    runtime.oktaOrg!.recover();

    // Assess
    expect(kiroDown.status).toBe(503);
    expect(Number(kiroDown.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(kiroDown.body).toMatchObject({ code: "SCIM.CONNECTION", retryable: true });
    expect(oktaDown.status).toBe(503);
    expect(Number(oktaDown.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(oktaDown.body).toMatchObject({ code: "IDP.UNAVAILABLE", retryable: true });
    expect(kiroMembersByExternalId(runtime, team.name)).toContain(newcomer.id);
  }, 90_000);

  it("answers 404 for a user no directory has, and 400 for a body that names nothing", async () => {
    // Act
    const unknown = await provision<Refusal>({ user: "nobody@example.com" });
    const empty = await provision<Refusal>({});
    const both = await provision<Refusal>({ user: "a", group: "b" });
    const notJson = await provision<Refusal>("{");

    // Assess
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain("no user nobody@example.com in the ledger or in okta");
    expect([empty.status, both.status, notJson.status]).toEqual([400, 400, 400]);
  });

  it("waits briefly for a worker holding the group, then answers 409 with who holds it and until when", async () => {
    // Prepare
    const team = await syncNewGroup(runtime, "Provisioned", [addOktaUser(runtime)]);
    const newcomer = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(team.id, newcomer.id);
    const lease = await runtime.dependencies.ledger.acquireGroupLease("okta", team.id, "busy-worker", 60_000);

    // Act
    const answer = await provision<Refusal>({ user: newcomer.id });
    await runtime.dependencies.ledger.releaseGroupLease("okta", team.id, "busy-worker");

    // Assess
    expect(lease.acquired).toBe(true);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      code: "GROUP.BUSY",
      holder: "busy-worker",
      until: expect.any(String),
    });
    expect(answer.body.message).toContain(`group ${team.name} is being synced by worker busy-worker`);
  });

  it("answers 409 with the pause's reason while the sync is paused, and changes nothing", async () => {
    // Prepare
    const team = await syncNewGroup(runtime, "Provisioned", [addOktaUser(runtime)]);
    runtime.emulator!.revokeToken();
    await syncNewGroup(runtime, "Provisioned", [addOktaUser(runtime)]);
    const newcomer = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(team.id, newcomer.id);

    // Act
    const answer = await provision<Refusal>({ user: newcomer.id });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: "SYNC.PAUSED", message: expect.stringContaining("SCIM.AUTH") });
    expect(await runtime.dependencies.ledger.getUser("okta", newcomer.id)).toBeUndefined();
  });
});
