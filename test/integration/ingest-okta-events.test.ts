import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { GroupScope } from "../../core/domain/group-scope";
import { OktaHookDeliverySchema } from "../../core/domain/okta-events";
import type { SyncEvent } from "../../core/domain/sync-events";
import { ingestOktaEvents } from "../../core/use-cases/ingest-okta-events";
import { membershipEvent, oktaDelivery, oktaLogEvent } from "../../local/okta-org/okta-event-payloads";
import { freshLedger } from "../support/ledger-fixture";

let ledger: DynamoLedger;
let client: DynamoDBClient;
let requests = 0;
const published: SyncEvent[] = [];

beforeAll(async () => {
  ({ ledger, client } = await freshLedger());
  client.middlewareStack.add(
    (next) => async (args) => {
      requests += 1;
      return next(args);
    },
    { step: "initialize", name: "testRequestCount" },
  );
});

let serial = 0;
const unique = (prefix: string) => `${prefix}${String(++serial).padStart(6, "0")}`;
const deps = () => ({
  ledger,
  bus: { publish: async (events: readonly SyncEvent[]) => void published.push(...events) },
  scope: new GroupScope(undefined),
});
const ingest = (events: Record<string, unknown>[]) =>
  ingestOktaEvents(OktaHookDeliverySchema.parse(oktaDelivery(events)).data.events, deps());

describe("ingesting an Okta delivery", () => {
  it("records a 100-event delivery in a handful of DynamoDB requests, not four per event", async () => {
    // Prepare
    const group = { id: unique("00g"), name: "Bulk" };
    const events = Array.from({ length: 100 }, () => membershipEvent("add", { id: unique("00u") }, group));
    requests = 0;

    // Act
    const summary = await ingest(events);

    // Assess
    expect(summary).toMatchObject({ events: 100, recorded: 100, duplicates: 0, groupsTouched: 1 });
    const [dedupeRead, itemRead, groupTransactions, profileTransactions, markBatches] = [
      1,
      Math.ceil((100 + 100 + 1) / 100),
      Math.ceil(100 / 24),
      Math.ceil(100 / 25),
      Math.ceil(100 / 25),
    ];
    expect(requests).toBeLessThanOrEqual(
      dedupeRead + itemRead + groupTransactions + profileTransactions + markBatches,
    );
    expect((await ledger.listMemberships("okta", group.id)).length).toBe(100);
  });

  it("counts an event repeated within a delivery, and a redelivered one, as duplicates", async () => {
    // Prepare
    const group = { id: unique("00g"), name: "Repeats" };
    const event = membershipEvent("add", { id: unique("00u") }, group);
    await ingest([membershipEvent("add", { id: unique("00u") }, group)]);
    const first = await ingest([event, event]);

    // Act
    const redelivery = await ingest([event]);

    // Assess
    expect(first).toMatchObject({ recorded: 1, duplicates: 1 });
    expect(redelivery).toMatchObject({ recorded: 0, duplicates: 1, groupsTouched: 0 });
  });

  it("lets a remove published after an add win when both arrive in one delivery in either order", async () => {
    // Prepare
    const group = { id: unique("00g"), name: "Order" };
    const [early, late] = [unique("00u"), unique("00u")];
    const pair = (userId: string) => [
      membershipEvent("add", { id: userId }, group, { published: "2025-03-04T11:00:05.000Z" }),
      membershipEvent("remove", { id: userId }, group, { published: "2025-03-04T11:00:06.000Z" }),
    ];

    // Act
    await ingest(pair(early));
    await ingest(pair(late).reverse());

    // Assess
    const memberships = await ledger.listMemberships("okta", group.id);
    expect(memberships.map((m) => [m.userId, m.desired]).sort()).toEqual([
      [early, false],
      [late, false],
    ]);
  });

  it("handles lifecycle and rename events of the same delivery and marks them processed", async () => {
    // Prepare
    const group = { id: unique("00g"), name: "Before" };
    const user = unique("00u");
    await ingest([membershipEvent("add", { id: user }, group)]);
    const rename = oktaLogEvent("group.profile.update", [
      { id: group.id, type: "UserGroup", displayName: "After" },
    ]);
    const deactivate = oktaLogEvent("user.lifecycle.deactivate", [{ id: user, type: "User" }]);
    const add = membershipEvent("add", { id: unique("00u") }, { ...group, name: "After" });

    // Act
    const summary = await ingest([rename, deactivate, add]);
    const redelivery = await ingest([rename, deactivate, add]);

    // Assess
    expect(summary).toMatchObject({ recorded: 3, duplicates: 0 });
    expect(redelivery).toMatchObject({ recorded: 0, duplicates: 3 });
    expect(await ledger.getGroup("okta", group.id)).toMatchObject({ name: "After" });
    expect(await ledger.getUser("okta", user)).toMatchObject({ lifecycle: "inactive" });
  });

  it("names a group from the newest event it records, not from a newer one it ignores", async () => {
    // Prepare
    const group = { id: unique("00g"), name: "Named" };
    const kept = membershipEvent("add", { id: unique("00u") }, group, {
      published: "2025-03-04T11:00:05.000Z",
    });
    const oversize = membershipEvent("add", { id: `00u${"x".repeat(3_000)}` }, group, {
      published: "2025-03-04T11:00:06.000Z",
    });
    const failed = membershipEvent("add", { id: unique("00u") }, group, {
      published: "2025-03-04T11:00:07.000Z",
      outcome: "FAILURE",
    });

    // Act
    const summary = await ingest([kept, oversize, failed]);

    // Assess
    expect(summary).toMatchObject({ recorded: 1, groupsTouched: 1 });
    expect(await ledger.getGroup("okta", group.id)).toMatchObject({ name: "Named" });
  });
});
