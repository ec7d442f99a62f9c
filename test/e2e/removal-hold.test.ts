import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaGroup,
  addOktaUser,
  kiroMembersByExternalId,
  postAdmin,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Held-*" });
});
afterAll(() => stopTestRuntime(runtime));

const admin = async (path: string) => (await postAdmin(runtime, path)).body;

async function status() {
  const response = await fetch(`${runtime.url}/status`, {
    headers: { authorization: `Bearer ${runtime.config.statusToken}` },
  });
  return (await response.json()) as { heldRuns: { runId: string; removals: number }[]; alerts: string[] };
}

describe("deletion safety", () => {
  const people = Array.from({ length: 20 }, () => ({ id: "", login: "" }));
  let group: { id: string; name: string };

  beforeAll(async () => {
    group = addOktaGroup(runtime, "Held");
    for (const [index] of people.entries()) {
      const user = addOktaUser(runtime);
      people[index] = { id: user.id, login: user.profile.login };
      runtime.oktaOrg!.addMember(group.id, user.id);
    }
    await postOkta(runtime, oktaDelivery(people.map((person) => membershipEvent("add", person, group))));
    await runtime.bus.idle();
  });

  it("applies a removal of 5% of managed users without asking", async () => {
    // Prepare
    runtime.oktaOrg!.removeMember(group.id, people[0]!.id);

    // Act
    await admin("/admin/reconcile");

    // Assess
    expect(kiroMembersByExternalId(runtime, group.name)).not.toContain(people[0]!.id);
    expect((await status()).heldRuns).toEqual([]);
  });

  it("holds removals of 30% of managed users, shows the held run, and applies them on approval", async () => {
    // Prepare
    const leavers = people.slice(1, 7);
    for (const leaver of leavers) runtime.oktaOrg!.removeMember(group.id, leaver.id);

    // Act
    const run = await admin("/admin/reconcile");
    const held = await status();
    const duringHold = kiroMembersByExternalId(runtime, group.name);
    const approval = await admin(`/admin/approve/${run.runId}`);

    // Assess
    for (const leaver of leavers) expect(duringHold).toContain(leaver.id);
    expect(held.heldRuns).toEqual([expect.objectContaining({ runId: run.runId, removals: 6 })]);
    expect(held.alerts).toContain(
      `reconcile run ${run.runId} holds 6 removals for approval: POST /admin/approve/${run.runId}`,
    );
    expect(approval).toEqual({ removalsApproved: 6 });
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(
      [...(runtime.oktaOrg!.members.get(group.id) ?? [])].sort(),
    );
    expect((await status()).heldRuns).toEqual([]);
  });

  it("answers 404 to approving an unknown run and 409 to approving a run twice", async () => {
    // Prepare
    const leaver = people[8]!;
    runtime.oktaOrg!.removeMember(group.id, leaver.id);
    runtime.oktaOrg!.removeMember(group.id, people[9]!.id);
    runtime.oktaOrg!.removeMember(group.id, people[10]!.id);
    const run = await admin("/admin/reconcile");
    await postAdmin(runtime, `/admin/approve/${run.runId}`);

    // Act
    const unknown = await postAdmin(runtime, "/admin/approve/no-such-run");
    const twice = await postAdmin(runtime, `/admin/approve/${run.runId}`);

    // Assess
    expect(unknown.status).toBe(404);
    expect(twice.status).toBe(409);
    expect(twice.body.message).toContain("holds no removals");
  });
});

describe("query flags of an operator call", () => {
  it.each([
    ["?dryRun=TRUE", "dryRun must be true or false"],
    ["?dryRun=1", "dryRun must be true or false"],
    ["?dryrun=true", "unknown query parameter dryrun"],
    ["?deep=yes", "deep must be true or false"],
  ])("refuses %s with 400 and starts no run", async (query, message) => {
    // Prepare
    const newestBefore = await newestRun();

    // Act
    const answer = await postAdmin(runtime, `/admin/reconcile${query}`);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain(message);
    expect(await newestRun()).toBe(newestBefore);
  });
});

/** The newest run's id: a run started by the call would take its place. */
async function newestRun(): Promise<string | undefined> {
  const response = await fetch(`${runtime.url}/status`, {
    headers: { authorization: `Bearer ${runtime.config.statusToken}` },
  });
  return ((await response.json()) as { runs: { runId: string }[] }).runs[0]?.runId;
}
