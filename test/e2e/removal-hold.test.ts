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
});
