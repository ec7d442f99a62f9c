import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { changeVersion } from "../../core/domain/identity-source";
import type { KiroUserProfile } from "../../core/domain/kiro-user";
import type { EventChanges } from "../../core/ports/ledger-records";
import { freshLedger } from "../support/ledger-fixture";

let ledger: DynamoLedger;
let client: DynamoDBClient;
let clock = new Date("2026-01-01T00:00:00.000Z");
/** Runs before each DynamoDB request the ledger sends; set by a test to stage a concurrent writer or a fault. */
let beforeRequest: (command: string) => Promise<void> = async () => {};
const requests: string[] = [];

beforeAll(async () => {
  ({ ledger, client } = await freshLedger({ now: () => clock }));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(String(context.commandName));
      await beforeRequest(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "testRequestHook" },
  );
});

let serial = 0;
const unique = (prefix: string) => `${prefix}${++serial}`;
const at = (iso: string, eventId = unique("evt")) => changeVersion(iso, eventId);

function add(groupId: string, userId: string, version: string, eventId = unique("uuid-")): EventChanges {
  return {
    eventId,
    membership: { groupId, userId, desired: true, version },
    profileRequest: { userId, version },
  };
}

function remove(groupId: string, userId: string, version: string): EventChanges {
  return { eventId: unique("uuid-"), membership: { groupId, userId, desired: false, version } };
}

function profile(idpId: string): KiroUserProfile {
  return {
    externalId: idpId,
    userName: `${idpId}@acme.test`,
    displayName: idpId,
    givenName: "Given",
    familyName: "Family",
    active: true,
  };
}

const desiredOf = async (groupId: string) =>
  Object.fromEntries((await ledger.listMemberships("okta", groupId)).map((m) => [m.userId, m.desired]));

describe("batched dedupe reads", () => {
  it("answers which of more than 100 event ids were processed, leaving out expired marks", async () => {
    // Prepare
    const ids = Array.from({ length: 130 }, () => unique("uuid-"));
    const marked = ids.filter((_, index) => index % 3 === 0);
    for (const id of marked) await ledger.markEventProcessed("okta", id);
    const expired = unique("uuid-");
    await ledger.markEventProcessed("okta", expired, 60);
    clock = new Date(clock.getTime() + 61_000);

    // Act
    const processed = await ledger.hasProcessedEvents("okta", [...ids, expired]);

    // Assess
    expect([...processed].sort()).toEqual([...marked].sort());
  });

  it("keeps sources apart", async () => {
    // Prepare
    const id = unique("uuid-");
    await ledger.markEventProcessed("entra", id);

    // Act
    const processed = await ledger.hasProcessedEvents("okta", [id]);

    // Assess
    expect(processed.size).toBe(0);
  });
});

describe("recording a batch of event changes", () => {
  it("lets the newest change to a membership win whatever order the batch lists them in", async () => {
    // Prepare
    const [group, user] = [unique("g"), unique("u")];
    const older = add(group, user, at("2025-03-04T11:00:05.000Z"));
    const newer = remove(group, user, at("2025-03-04T11:00:06.000Z"));
    const [otherGroup, otherUser] = [unique("g"), unique("u")];
    const otherOlder = add(otherGroup, otherUser, at("2025-03-04T11:00:05.000Z"));
    const otherNewer = remove(otherGroup, otherUser, at("2025-03-04T11:00:06.000Z"));

    // Act
    await ledger.recordEventChanges("okta", [older, newer]);
    await ledger.recordEventChanges("okta", [otherNewer, otherOlder]);

    // Assess
    expect(await desiredOf(group)).toEqual({ [user]: false });
    expect(await desiredOf(otherGroup)).toEqual({ [otherUser]: false });
  });

  it("records the fresh changes of a batch around a stale one and marks every event processed", async () => {
    // Prepare
    const group = unique("g");
    const [staleUser, freshUser] = [unique("u"), unique("u")];
    await ledger.recordDesiredMembership("okta", group, staleUser, true, at("2025-05-01T00:00:00.000Z"));
    const stale = remove(group, staleUser, at("2025-04-01T00:00:00.000Z"));
    const fresh = add(group, freshUser, at("2025-04-01T00:00:00.000Z"));

    // Act
    await ledger.recordEventChanges("okta", [stale, fresh]);

    // Assess
    expect(await desiredOf(group)).toEqual({ [staleUser]: true, [freshUser]: true });
    expect(await ledger.hasProcessedEvents("okta", [stale.eventId, fresh.eventId])).toEqual(
      new Set([stale.eventId, fresh.eventId]),
    );
  });

  it("drops a change a concurrent writer made stale after the read, and still records the rest", async () => {
    // Prepare
    const group = unique("g");
    const [contested, other] = [unique("u"), unique("u")];
    const batch = [
      add(group, contested, at("2025-06-01T00:00:00.000Z")),
      add(group, other, at("2025-06-01T00:00:00.000Z")),
    ];
    let raced = false;
    beforeRequest = async (command) => {
      if (command !== "TransactWriteItemsCommand" || raced) return;
      raced = true;
      await ledger.recordDesiredMembership("okta", group, contested, false, at("2025-06-02T00:00:00.000Z"));
    };

    // Act
    try {
      await ledger.recordEventChanges("okta", batch);
    } finally {
      beforeRequest = async () => {};
    }

    // Assess
    expect(raced).toBe(true);
    expect(await desiredOf(group)).toEqual({ [contested]: false, [other]: true });
  });

  it("marks the group dirty once per recorded change and not for refused ones", async () => {
    // Prepare
    const group = unique("g");
    const staleUser = unique("u");
    await ledger.recordDesiredMembership("okta", group, staleUser, true, at("2025-05-01T00:00:00.000Z"));
    const named = { ...add(group, unique("u"), at("2025-05-02T00:00:00.000Z")) };
    named.groupName = { groupId: group, name: "Engineering", version: named.membership!.version };

    // Act
    await ledger.recordEventChanges("okta", [
      named,
      add(group, unique("u"), at("2025-05-02T00:00:00.000Z")),
      remove(group, staleUser, at("2025-04-01T00:00:00.000Z")),
    ]);

    // Assess
    expect(await ledger.getGroup("okta", group)).toMatchObject({ dirtyVersion: 4, name: "Engineering" });
  });

  it("records the memberships of a group whose name change in the batch is older than the one recorded", async () => {
    // Prepare
    const group = unique("g");
    await ledger.recordGroupName("okta", group, "Current", at("2025-07-02T00:00:00.000Z"));
    const user = unique("u");
    const change = add(group, user, at("2025-07-01T00:00:00.000Z"));
    change.groupName = { groupId: group, name: "Old", version: change.membership!.version };

    // Act
    await ledger.recordEventChanges("okta", [change]);

    // Assess
    expect(await desiredOf(group)).toEqual({ [user]: true });
    expect(await ledger.getGroup("okta", group)).toMatchObject({ name: "Current", dirtyVersion: 2 });
  });

  it("asks for a profile only for users the ledger has none for, as requestUserProfile does", async () => {
    // Prepare
    const group = unique("g");
    const [known, newcomer] = [unique("u"), unique("u")];
    await ledger.recordUserProfile("okta", known, profile(known), at("2025-01-01T00:00:00.000Z"));
    const version = at("2025-01-05T00:00:00.000Z");

    // Act
    await ledger.recordEventChanges("okta", [add(group, known, version), add(group, newcomer, version)]);

    // Assess
    expect((await ledger.getUser("okta", known))?.profileRequestedVersion).toBeUndefined();
    expect(await ledger.getUser("okta", newcomer)).toMatchObject({
      profileRequestedVersion: version,
      lifecycle: "active",
      status: "pending",
    });
  });

  it("records 250 adds to one group, past a transaction's size, in a bounded number of requests", async () => {
    // Prepare
    const group = unique("g");
    const users = Array.from({ length: 250 }, () => unique("u"));
    const batch = users.map((user) => add(group, user, at("2025-08-01T00:00:00.000Z")));
    requests.length = 0;

    // Act
    await ledger.recordEventChanges("okta", batch);

    // Assess
    const [reads, groupTransactions, profileTransactions, markBatches] = [
      Math.ceil((250 + 250) / 100),
      Math.ceil(250 / 24),
      Math.ceil(250 / 25),
      Math.ceil(250 / 25),
    ];
    expect(requests.length).toBeLessThanOrEqual(
      reads + groupTransactions + profileTransactions + markBatches,
    );
    expect(Object.keys(await desiredOf(group)).sort()).toEqual([...users].sort());
    expect((await ledger.getGroup("okta", group))?.dirtyVersion).toBe(250);
    expect(
      (
        await ledger.hasProcessedEvents(
          "okta",
          batch.map((change) => change.eventId),
        )
      ).size,
    ).toBe(250);
  });

  it("keeps at most four writes in flight however many the batch needs, so other writers are not queued behind them all", async () => {
    // Prepare
    const batch = Array.from({ length: 12 }, () => unique("g")).flatMap((group) =>
      Array.from({ length: 30 }, () => add(group, unique("u"), at("2025-08-02T00:00:00.000Z"))),
    );
    let inFlight = 0;
    let mostInFlight = 0;
    beforeRequest = async (command) => {
      if (command === "BatchGetItemCommand") return;
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
    };

    // Act
    await ledger.recordEventChanges("okta", batch);
    beforeRequest = async () => {};

    // Assess
    expect(mostInFlight).toBe(4);
    expect(
      (
        await ledger.hasProcessedEvents(
          "okta",
          batch.map((change) => change.eventId),
        )
      ).size,
    ).toBe(batch.length);
  });

  it("marks no event processed when a change could not be written, so the redelivery redoes them all", async () => {
    // Prepare
    const group = unique("g");
    const batch = [add(group, unique("u"), at("2025-09-01T00:00:00.000Z"))];
    beforeRequest = async (command) => {
      if (command === "TransactWriteItemsCommand") throw new Error("DynamoDB is unreachable");
    };

    // Act
    const failure = await ledger.recordEventChanges("okta", batch).then(
      () => undefined,
      (error: unknown) => error,
    );
    beforeRequest = async () => {};

    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect((await ledger.hasProcessedEvents("okta", [batch[0]!.eventId])).size).toBe(0);
  });
});
