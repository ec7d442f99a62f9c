import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAsyncFailureHandler } from "../../functions/async-failure";
import { localContext } from "../../local/lambda-invoke";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import type { OktaUserState } from "../../local/okta-org/okta-org-server";
import {
  addOktaGroup,
  addOktaUser,
  fetchStatus,
  kiroMembersByExternalId,
  pollUntil,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({
    RETRY_BASE_DELAY_MS: "20",
    RETRY_MAX_DELAY_MS: "400",
    PAUSE_PROBE_SECONDS: "1",
    SWEEP_GRACE_SECONDS: "0",
  });
});
afterAll(() => stopTestRuntime(runtime));

const users = (count: number): OktaUserState[] => Array.from({ length: count }, () => addOktaUser(runtime));

/** Adds the people to a new Okta group and delivers the hook; resolves when the bus is idle. */
const joinNewGroup = (name: string, people: OktaUserState[]) => syncNewGroup(runtime, name, people);

const status = () =>
  fetchStatus<{
    paused: { reason: string; errorCode: string; nextProbeAt: string } | null;
    alerts: string[];
    quarantined: { id: string; errorCode: string; attemptHistory: { attempt: number }[] }[];
    counts: Record<string, { groups: Record<string, number> }>;
  }>(runtime);

const sorted = (people: OktaUserState[]) => people.map((person) => person.id).sort();

describe("nothing accepted is lost under faults", () => {
  it("applies 1,000 membership changes exactly once while Kiro answers 30% 429 and 10% 500", async () => {
    // Prepare
    const people = users(20);
    await joinNewGroup("Warmup", people);
    const groups = Array.from({ length: 50 }, () => addOktaGroup(runtime, "Faulty"));
    for (const group of groups) for (const person of people) runtime.oktaOrg!.addMember(group.id, person.id);
    const emulator = runtime.emulator!;
    emulator.clearRequests();
    emulator.addFault({ kind: "throttle", rate: 0.15, retryAfterSeconds: 1 });
    emulator.addFault({ kind: "throttle", rate: 0.15 });
    emulator.addFault({ kind: "server-error", rate: 0.1 });

    // Act
    for (const group of groups)
      await postOkta(
        runtime,
        oktaDelivery(
          people.map((person) =>
            membershipEvent("add", { id: person.id, login: person.profile.login }, group),
          ),
        ),
      );
    await runtime.bus.idle();
    emulator.faults.clear();

    // Assess
    const log = emulator.requests();
    const applied = log
      .filter((entry) => entry.method === "PATCH" && entry.status < 300)
      .reduce((sum, entry) => sum + (entry.memberChanges ?? 0), 0);
    for (const group of groups) expect(kiroMembersByExternalId(runtime, group.name)).toEqual(sorted(people));
    expect(applied).toBe(1_000);
    expect(log.filter((entry) => entry.status === 429).length).toBeGreaterThan(0);
    expect(log.filter((entry) => entry.status === 500).length).toBeGreaterThan(0);
    for (const throttled of log.filter((entry) => entry.retryAfterMs !== undefined)) {
      const retry = log.find(
        (entry) => entry.seq > throttled.seq && entry.fingerprint === throttled.fingerprint,
      );
      if (retry) expect(retry.at - throttled.at).toBeGreaterThanOrEqual(throttled.retryAfterMs!);
    }
    expect((await status()).quarantined).toEqual([]);
  }, 180_000);

  it("converges after a worker died holding the lease with its PATCH half sent", async () => {
    // Prepare
    const people = users(40);
    await joinNewGroup("Warmup", people);
    const group = await joinNewGroup("Killed", people.slice(0, 1));
    const ledger = runtime.dependencies.ledger;
    await ledger.acquireGroupLease("okta", group.id, "dead-worker", 1_500);
    for (const person of people.slice(1)) runtime.oktaOrg!.addMember(group.id, person.id);
    await postOkta(
      runtime,
      oktaDelivery(
        people
          .slice(1)
          .map((person) => membershipEvent("add", { id: person.id, login: person.profile.login }, group)),
      ),
    );
    await runtime.bus.idle();
    const scim = await runtime.dependencies.kiroScim();
    const kiroGroup = (await ledger.getGroup("okta", group.id))!;
    const halfSent = await ledger.getUsers(
      "okta",
      people.slice(1, 20).map((person) => person.id),
    );
    await scim.addMembers(
      kiroGroup.scimId!,
      [...halfSent.values()].map((user) => user.scimId!),
    );
    const stuck = kiroMembersByExternalId(runtime, group.name).length;

    // Act
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    await runtime.runSweep();
    await runtime.bus.idle();

    // Assess
    expect(stuck).toBe(20);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(sorted(people));
    expect((await ledger.getGroup("okta", group.id))!.status).toBe("synced");
  }, 60_000);

  it.each([
    ["a hook delivery whose DeliveryReceived", "DeliveryReceived", "deliveries"],
    ["a recorded change whose GroupChanged", "GroupChanged", "groups"],
  ] as const)(
    "applies %s was never published when the sweep runs",
    async (_case, lost, counted) => {
      // Prepare
      const people = users(3);
      const publish = runtime.bus.publish.bind(runtime.bus);
      runtime.bus.publish = (events) => publish(events.filter((event) => event.type !== lost));
      let group: { id: string; name: string };
      try {
        group = await joinNewGroup(`Unpublished${lost}`, people);
      } finally {
        runtime.bus.publish = publish;
      }
      const before = kiroMembersByExternalId(runtime, group.name);

      // Act
      const swept = await runtime.runSweep();
      await runtime.bus.idle();

      // Assess
      expect(before).toEqual([]);
      expect(swept[counted]).toBeGreaterThanOrEqual(1);
      expect(kiroMembersByExternalId(runtime, group.name)).toEqual(sorted(people));
    },
    60_000,
  );

  it("pauses on 401 without quarantining anything, says why in /status, and drains once the token works", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    const people = users(5);
    const oldToken = runtime.config.kiroScim!.token;
    const newToken = emulator.addToken();
    emulator.revokeToken(oldToken);
    const groups = [
      addOktaGroup(runtime, "Paused"),
      addOktaGroup(runtime, "Paused"),
      addOktaGroup(runtime, "Paused"),
    ];
    for (const group of groups) for (const person of people) runtime.oktaOrg!.addMember(group.id, person.id);
    const events = groups.flatMap((group) =>
      people.map((person) => membershipEvent("add", { id: person.id, login: person.profile.login }, group)),
    );

    // Act
    await postOkta(runtime, oktaDelivery(events));
    const whilePaused = await pollUntil(status, (report) => report.paused !== null);
    await runtime.secrets.put({ KiroScim: { url: emulator.profile.scimUrl, token: newToken } });
    const drained = await pollUntil(status, (report) => report.paused === null);
    await runtime.bus.idle();

    // Assess
    expect(whilePaused.paused).toMatchObject({ errorCode: "SCIM.AUTH" });
    expect(whilePaused.quarantined).toEqual([]);
    expect(whilePaused.counts.okta!.groups.quarantined).toBe(0);
    for (const group of groups) expect(kiroMembersByExternalId(runtime, group.name)).toEqual(sorted(people));
    expect(drained.paused).toBeNull();
    expect((await status()).quarantined).toEqual([]);
  }, 60_000);

  it("raises an alert, with the group's name, once a group has failed twice in a row, long before quarantine", async () => {
    // Prepare
    const people = users(2);
    const group = addOktaGroup(runtime, "Failing");
    for (const person of people) runtime.oktaOrg!.addMember(group.id, person.id);
    runtime.emulator!.addFault({ kind: "server-error", rate: 1, method: "POST", path: "^/Groups$" });

    // Act
    await postOkta(
      runtime,
      oktaDelivery(
        people.map((person) => membershipEvent("add", { id: person.id, login: person.profile.login }, group)),
      ),
    );
    const failing = await pollUntil(status, (report) =>
      report.alerts.some((alert) => alert.includes(group.name)),
    );
    runtime.emulator!.faults.clear();
    await runtime.bus.idle();
    const recovered = await status();

    // Assess
    expect(failing.alerts.find((alert) => alert.includes(group.name))).toMatch(
      /failing .* in a row .*SCIM\.SERVER_ERROR/,
    );
    expect(failing.quarantined.find((entry) => entry.id === group.id)).toBeUndefined();
    expect(recovered.alerts.join(" ")).not.toContain(group.name);
  }, 60_000);

  it("quarantines a group failing past the attempt limit, with its history, then redrives it", async () => {
    // Prepare
    const people = users(2);
    runtime.emulator!.addFault({ kind: "server-error", rate: 1, method: "POST", path: "^/Groups$" });
    const group = await joinNewGroup("Quarantined", people);
    const quarantined = (await status()).quarantined.find((entry) => entry.id === group.id);
    runtime.emulator!.faults.clear();

    // Act
    const response = await fetch(`${runtime.url}/admin/redrive`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.config.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ items: [{ source: "okta", groupId: group.id }] }),
    });
    const body = (await response.json()) as { redriven: unknown[] };
    await runtime.bus.idle();

    // Assess
    expect(quarantined).toMatchObject({ errorCode: "SCIM.SERVER_ERROR" });
    expect(quarantined!.attemptHistory.map((entry) => entry.attempt)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(response.status).toBe(202);
    expect(body.redriven).toEqual([{ source: "okta", groupId: group.id }]);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(sorted(people));
    expect((await status()).quarantined).toEqual([]);
  }, 60_000);

  it("records an invocation Lambda gave up on (timeout) through the on-failure destination, then redrives it", async () => {
    // Prepare
    const people = users(2);
    const group = await joinNewGroup("TimedOut", people);
    const recorder = createAsyncFailureHandler(() => runtime.dependencies);
    const destinationRecord = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: "c5d1a3c5-0000-4000-8000-000000000001",
        functionArn: "arn:aws:lambda:us-east-1:000000000000:function:SyncGroup:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: {
        version: "0",
        "detail-type": "GroupChanged",
        source: "kiro-scim-sync",
        detail: { source: "okta", groupId: group.id, attempt: 1 },
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 300.00 seconds" },
    };

    // Act
    await recorder(destinationRecord, localContext("async-failure"));
    const recorded = (await status()).quarantined.find((entry) => entry.id === group.id);
    const redrive = await fetch(`${runtime.url}/admin/redrive`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.config.adminToken}` },
    });
    await runtime.bus.idle();

    // Assess
    expect(recorded).toMatchObject({ errorCode: "LAMBDA.ASYNC_FAILURE" });
    expect(redrive.status).toBe(202);
    expect((await status()).quarantined).toEqual([]);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(sorted(people));
  }, 60_000);

  it("pauses the whole sync, visibly, when Kiro asks for a wait of 15 minutes or more, instead of retrying each group", async () => {
    // Prepare
    const people = users(3);
    const groups = [addOktaGroup(runtime, "LongWait"), addOktaGroup(runtime, "LongWait")];
    for (const group of groups) for (const person of people) runtime.oktaOrg!.addMember(group.id, person.id);
    runtime.emulator!.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 1_000_000_000 });

    // Act
    await postOkta(
      runtime,
      oktaDelivery(
        groups.flatMap((group) =>
          people.map((person) =>
            membershipEvent("add", { id: person.id, login: person.profile.login }, group),
          ),
        ),
      ),
    );
    const paused = await pollUntil(status, (report) => report.paused !== null);
    runtime.emulator!.clearRequests();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const sentWhilePaused = runtime.emulator!.requests().length;
    const probeIn = Date.parse(paused.paused!.nextProbeAt) - Date.now();

    // Assess
    expect(paused.paused).toMatchObject({ errorCode: "SCIM.THROTTLED" });
    expect(paused.paused!.reason).toContain("cut to 15 min");
    expect(paused.quarantined).toEqual([]);
    expect(paused.alerts.join(" ")).toContain("resumes the sync by itself");
    expect(sentWhilePaused).toBe(0);
    expect(probeIn).toBeGreaterThan(14 * 60_000);
    expect(probeIn).toBeLessThanOrEqual(15 * 60_000);
  }, 60_000);
});
