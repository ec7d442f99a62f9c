import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery, oktaLogEvent } from "../../local/okta-org/okta-event-payloads";
import type { OktaUserState } from "../../local/okta-org/okta-org-server";
import {
  addOktaGroup,
  addOktaUser,
  fetchStatus,
  kiroMembersByExternalId,
  kiroUser,
  ledgerItemCount,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));

const oktaUser = (overrides: Partial<OktaUserState["profile"]> = {}) => addOktaUser(runtime, overrides);
const oktaGroup = (name: string) => addOktaGroup(runtime, name);

const member = (user: OktaUserState) => ({ id: user.id, login: user.profile.login });

async function deliver(events: Record<string, unknown>[]) {
  const answer = await postOkta(runtime, oktaDelivery(events));
  await runtime.bus.idle();
  return answer;
}

const status = () =>
  fetchStatus<{
    counts: { okta: { users: Record<string, number> } };
    failures: { kind: string; id: string; reason: string; errorCode: string }[];
    oldestPending: { kind: string; id: string } | null;
  }>(runtime);

describe("verification and authentication", () => {
  it("echoes Okta's verification challenge", async () => {
    // Act
    const response = await fetch(`${runtime.url}/okta/events`, {
      headers: { "x-okta-verification-challenge": "3CTq1QMx" },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ verification: "3CTq1QMx" });
  });

  it.each([
    ["a wrong secret", "not-the-secret"],
    ["no secret", undefined],
  ])("answers 401 to %s and stores nothing", async (_case, authorization) => {
    // Prepare
    const before = await ledgerItemCount(runtime);
    const group = oktaGroup("Unauth");
    const user = oktaUser();

    // Act
    const response = await fetch(`${runtime.url}/okta/events`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(oktaDelivery([membershipEvent("add", member(user), group)])),
    });
    await runtime.bus.idle();

    // Assess
    expect(response.status).toBe(401);
    expect(await ledgerItemCount(runtime)).toBe(before);
  });

  it("protects /status with the bearer token", async () => {
    // Act
    const without = await fetch(`${runtime.url}/status`);
    const wrong = await fetch(`${runtime.url}/status`, { headers: { authorization: "Bearer guess" } });

    // Assess
    expect([without.status, wrong.status]).toEqual([401, 401]);
  });

  it("answers a malformed delivery with 400 and a reason", async () => {
    // Act
    const notJson = await postOkta(runtime, "{");
    const noPublished = await postOkta(runtime, {
      data: { events: [{ uuid: "x", eventType: "group.user_membership.add" }] },
    });

    // Assess
    expect(notJson.status).toBe(400);
    expect(noPublished.status).toBe(400);
    expect(JSON.parse(noPublished.text).reasons).toEqual([
      "data.events.0.published: Invalid input: expected string, received undefined",
    ]);
  });
});

describe("membership", () => {
  it("creates the user with the Okta profile and adds it to the group, then removes it", async () => {
    // Prepare
    const group = oktaGroup("Engineering");
    const user = oktaUser({ firstName: "Jane", lastName: "Doe", title: "Engineer" });

    // Act
    const added = await deliver([membershipEvent("add", member(user), group)]);
    const membersAfterAdd = kiroMembersByExternalId(runtime, group.name);
    const removed = await deliver([membershipEvent("remove", member(user), group)]);

    // Assess
    expect([added.status, removed.status]).toEqual([204, 204]);
    expect(membersAfterAdd).toEqual([user.id]);
    expect(kiroUser(runtime, user.id)).toMatchObject({
      userName: user.profile.login,
      displayName: "Jane Doe",
      name: { givenName: "Jane", familyName: "Doe" },
      title: "Engineer",
      active: true,
    });
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual([]);
  });

  it("applies the same delivery sent twice once", async () => {
    // Prepare
    const group = oktaGroup("Twice");
    const user = oktaUser();
    const delivery = oktaDelivery([membershipEvent("add", member(user), group)]);
    await postOkta(runtime, delivery);
    await runtime.bus.idle();
    const requestsBefore = runtime.emulator!.requests().length;

    // Act
    const second = await postOkta(runtime, delivery);
    await runtime.bus.idle();

    // Assess
    expect(second.status).toBe(204);
    expect(runtime.emulator!.requests().length).toBe(requestsBefore);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual([user.id]);
  });

  it("follows `published` when a remove is delivered before the add it comes after", async () => {
    // Prepare
    const group = oktaGroup("Ordering");
    const [stays, leaves] = [oktaUser(), oktaUser()];
    await deliver([membershipEvent("add", member(stays), group, { published: "2026-01-01T10:00:00.000Z" })]);

    // Act
    await deliver([
      membershipEvent("remove", member(leaves), group, { published: "2026-01-01T10:00:02.000Z" }),
    ]);
    await deliver([membershipEvent("add", member(leaves), group, { published: "2026-01-01T10:00:01.000Z" })]);

    // Assess
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual([stays.id]);
  });

  it("adds 1,000 users delivered in one burst with 10 membership PATCHes", async () => {
    // Prepare
    const group = oktaGroup("Burst");
    const users = Array.from({ length: 1_000 }, () => oktaUser());
    runtime.emulator!.clearRequests();

    // Act
    const answer = await deliver(users.map((user) => membershipEvent("add", member(user), group)));

    // Assess
    const requests = runtime.emulator!.requests();
    const patches = requests.filter((entry) => entry.method === "PATCH" && entry.path.startsWith("/Groups/"));
    expect(answer.status).toBe(204);
    expect(patches.map((entry) => entry.memberChanges)).toEqual(Array(10).fill(100));
    expect(requests.filter((entry) => entry.method === "POST" && entry.path === "/Users")).toHaveLength(
      1_000,
    );
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(users.map((user) => user.id).sort());
  }, 120_000);
});

describe("per-item failures", () => {
  it("ignores an event whose ids or names no Okta could send, and records the rest of the delivery", async () => {
    // Prepare
    const group = oktaGroup("Sane");
    const person = oktaUser();
    const hugeId = `00u${"x".repeat(3_000)}`;
    const hugeName = { id: "00ghugename000000001", name: "n".repeat(500_000) };

    // Act
    const answer = await deliver([
      membershipEvent("add", { id: hugeId, login: "huge@example.com" }, group),
      membershipEvent("add", member(person), hugeName),
      membershipEvent("add", member(person), group),
    ]);

    // Assess
    expect(answer.status).toBe(204);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual([person.id]);
  });

  it("marks a user Kiro would refuse as failed with the reason and applies the rest", async () => {
    // Prepare
    const group = oktaGroup("Mixed");
    const good = oktaUser();
    const nameless = oktaUser({ lastName: null });

    // Act
    await deliver([
      membershipEvent("add", member(nameless), group),
      membershipEvent("add", member(good), group),
    ]);
    const report = await status();

    // Assess
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual([good.id]);
    expect(report.failures).toContainEqual(
      expect.objectContaining({
        kind: "USER",
        id: nameless.id,
        reason: "familyName is empty",
        errorCode: "USER.INVALID_PROFILE",
      }),
    );
    expect(report.failures).toContainEqual(
      expect.objectContaining({
        kind: "MEMBER",
        id: `${group.id}/${nameless.id}`,
        reason: "familyName is empty",
      }),
    );
    expect(report.oldestPending?.id ?? "").not.toContain(nameless.id);
  });
});

describe("lifecycle", () => {
  it("sets active=false on deactivate and active=true on reactivate", async () => {
    // Prepare
    const group = oktaGroup("Lifecycle");
    const user = oktaUser();
    await deliver([membershipEvent("add", member(user), group)]);
    const target = [{ id: user.id, type: "User" as const, displayName: user.profile.login }];

    // Act
    runtime.oktaOrg!.users.get(user.id)!.status = "DEPROVISIONED";
    await deliver([oktaLogEvent("user.lifecycle.deactivate", target)]);
    const afterDeactivate = kiroUser(runtime, user.id)?.active;
    runtime.oktaOrg!.users.get(user.id)!.status = "ACTIVE";
    await deliver([oktaLogEvent("user.lifecycle.reactivate", target)]);

    // Assess
    expect(afterDeactivate).toBe(false);
    expect(kiroUser(runtime, user.id)?.active).toBe(true);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual([user.id]);
  });

  it("renames the Kiro group with a PATCH, keeping its id", async () => {
    // Prepare
    const group = oktaGroup("Rename");
    await deliver([membershipEvent("add", member(oktaUser()), group)]);
    const before = runtime
      .emulator!.directory.snapshot()
      .groups.find((candidate) => candidate.externalId === group.id);

    // Act
    await deliver([
      oktaLogEvent("group.profile.update", [
        { id: group.id, type: "UserGroup", displayName: `${group.name}-renamed` },
      ]),
    ]);

    // Assess
    const after = runtime
      .emulator!.directory.snapshot()
      .groups.find((candidate) => candidate.externalId === group.id);
    expect(after?.id).toBe(before?.id);
    expect(after?.displayName).toBe(`${group.name}-renamed`);
  });

  it("answers 204 to event types named like Object's own keys, counting them like any other", async () => {
    // Act
    const answer = await deliver(
      ["constructor", "__proto__", "toString", "hasOwnProperty"].map((type) =>
        oktaLogEvent(type, [{ id: "00uwhoever0000000000", type: "User" }]),
      ),
    );

    // Assess
    expect(answer.status).toBe(204);
  });

  it("counts and ignores event types it does not handle", async () => {
    // Prepare
    const before = await ledgerItemCount(runtime);

    // Act
    const answer = await deliver([
      oktaLogEvent("user.session.start", [{ id: "00uwhoever0000000000", type: "User" }]),
    ]);

    // Assess
    expect(answer.status).toBe(204);
    expect(await ledgerItemCount(runtime)).toBe(before);
  });
});
