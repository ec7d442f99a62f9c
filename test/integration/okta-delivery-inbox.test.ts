import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { GroupScope } from "../../core/domain/group-scope";
import { DeliveryReceivedSchema, type SyncEvent } from "../../core/domain/sync-events";
import { buildStatusReport } from "../../core/use-cases/build-status-report";
import { ingestKeptDelivery } from "../../core/use-cases/ingest-kept-delivery";
import { receiveOktaDelivery } from "../../core/use-cases/receive-okta-delivery";
import { resendWaitingDeliveries } from "../../core/use-cases/sweep-stranded";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import { freshLedger } from "../support/ledger-fixture";

let ledger: DynamoLedger;
let client: DynamoDBClient;
let dynamoRequests: string[] = [];
let published: SyncEvent[] = [];

beforeEach(async () => {
  ({ ledger, client } = await freshLedger());
  client.middlewareStack.add(
    (next, context) => async (args) => {
      dynamoRequests.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "testRequestLog" },
  );
  dynamoRequests = [];
  published = [];
});

const bus = { publish: async (events: readonly SyncEvent[]) => void published.push(...events) };
const secret = "Basic a2VlcC10aGUtaW5ib3gtc2VjcmV0";
const post = (events: Record<string, unknown>[]) =>
  receiveOktaDelivery(
    {
      method: "POST",
      headers: { authorization: secret, "content-type": "application/json" },
      body: JSON.stringify(oktaDelivery(events)),
    },
    { ledger, bus, hookSecret: secret, maxBodyBytes: 10_000_000 },
  );
const ingest = (event: SyncEvent) =>
  ingestKeptDelivery(DeliveryReceivedSchema.parse(event.detail), {
    ledger,
    bus,
    scope: new GroupScope(undefined),
  });

describe("the Okta hook's inbox", () => {
  it("answers a 100-event delivery after one DynamoDB write and one announcement, reading nothing", async () => {
    // Prepare
    const group = { id: "00ginbox000000000001", name: "Inbox" };
    const events = Array.from({ length: 100 }, (_, index) =>
      membershipEvent("add", { id: `00uinbox${String(index).padStart(12, "0")}` }, group),
    );

    // Act
    const answer = await post(events);

    // Assess
    expect(answer).toMatchObject({ status: 204, summary: { events: 100, queued: 100 } });
    expect(dynamoRequests).toEqual(["PutItemCommand"]);
    expect(published).toEqual([
      { type: "DeliveryReceived", detail: { source: "okta", deliveryId: expect.any(String) } },
    ]);
    expect(await ledger.listMemberships("okta", group.id)).toEqual([]);
  });

  it("records a kept delivery once, however often its announcement comes, and then forgets it", async () => {
    // Prepare
    const group = { id: "00ginbox000000000002", name: "Twice" };
    await post([membershipEvent("add", { id: "00uinbox000000000101" }, group)]);
    const [announcement] = published;
    published = [];

    // Act
    const first = await ingest(announcement!);
    const again = await ingest(announcement!);

    // Assess
    expect(first).toMatchObject({ outcome: "ingested", summary: { recorded: 1, groupsTouched: 1 } });
    expect(again).toEqual({ outcome: "gone" });
    expect(published).toEqual([
      { type: "GroupChanged", detail: { source: "okta", groupId: group.id, trigger: "hook:okta" } },
    ]);
    expect(await ledger.listWaitingDeliveries(10)).toEqual([]);
    expect((await ledger.listMemberships("okta", group.id)).map((member) => member.userId)).toEqual([
      "00uinbox000000000101",
    ]);
  });

  it("keeps a delivery whose announcement was lost in /status until the sweep sends it again", async () => {
    // Prepare
    const group = { id: "00ginbox000000000003", name: "Lost" };
    await post([membershipEvent("add", { id: "00uinbox000000000201" }, group)]);
    published = [];
    const later = new Date(Date.now() + 200_000);
    const waiting = await buildStatusReport(ledger, ["okta"], later);

    // Act
    const resent = await resendWaitingDeliveries({ ledger, bus, now: () => later }, { olderThanMs: 60_000 });
    for (const event of [...published]) await ingest(event);
    const after = await buildStatusReport(ledger, ["okta"], later);

    // Assess
    expect(waiting.inbox).toMatchObject({ waiting: 1, oldestAgeSeconds: expect.any(Number) });
    expect(waiting.inbox.oldestAgeSeconds).toBeGreaterThanOrEqual(199);
    expect(waiting.alerts).toContainEqual(
      expect.stringContaining("Okta hook deliveries wait to be recorded"),
    );
    expect(resent).toBe(1);
    expect((await ledger.listMemberships("okta", group.id)).map((member) => member.userId)).toEqual([
      "00uinbox000000000201",
    ]);
    expect(after.inbox).toEqual({ waiting: 0, oldestReceivedAt: null, oldestAgeSeconds: 0 });
    expect(after.alerts.filter((alert) => alert.includes("hook deliveries"))).toEqual([]);
  });

  it("does not send again a delivery younger than the grace", async () => {
    // Prepare
    await post([
      membershipEvent("add", { id: "00uinbox000000000301" }, { id: "00ginbox000000000004", name: "Young" }),
    ]);
    published = [];

    // Act
    const resent = await resendWaitingDeliveries({ ledger, bus }, { olderThanMs: 60_000 });

    // Assess
    expect(resent).toBe(0);
    expect(published).toEqual([]);
  });
});
