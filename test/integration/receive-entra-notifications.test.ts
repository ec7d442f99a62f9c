import { randomUUID } from "node:crypto";
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { ChangeNotificationSchema, notificationDedupeKey } from "../../core/domain/graph-notifications";
import { GroupScope } from "../../core/domain/group-scope";
import type { SyncEvent } from "../../core/domain/sync-events";
import type { IngestSummary } from "../../core/use-cases/hook-request";
import { receiveEntraNotifications } from "../../core/use-cases/receive-entra-notifications";
import { freshLedger } from "../support/ledger-fixture";

let ledger: DynamoLedger;
let client: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  ({ ledger, client, tableName } = await freshLedger());
});

const tenantId = "7d96d549-841b-4092-9c09-89abae4c860c";
const clientState = "b3f1c0d2-secret-client-state";

/** protocols.md C3-1 without sequenceNumber, which Graph does not promise for groups. */
function groupNotification(groupId: string, subscriptionId: string) {
  return {
    subscriptionId,
    clientState,
    changeType: "updated",
    resource: `Groups/${groupId}`,
    tenantId,
    resourceData: {
      "@odata.type": "#Microsoft.Graph.Group",
      "@odata.id": `Groups/${groupId}`,
      id: groupId,
      organizationId: tenantId,
      eventTime: "2025-03-04T10:20:00.2455823Z",
      "members@delta": [{ id: "4d147cc8-10cb-4158-ac52-90ee8ff9d846" }],
    },
  };
}

/** protocols.md C3-2's user, with the eventTime captured payloads show for directory objects. */
function userNotification(userId: string, subscriptionId: string) {
  return {
    subscriptionId,
    clientState,
    changeType: "updated",
    resource: `Users/${userId}`,
    tenantId,
    resourceData: {
      "@odata.type": "#Microsoft.Graph.User",
      "@odata.id": `Users/${userId}`,
      id: userId,
      organizationId: tenantId,
      eventTime: "2025-03-04T10:46:00.1234567Z",
    },
  };
}

function recordingBus() {
  const published: SyncEvent[] = [];
  return { published, publish: async (events: readonly SyncEvent[]) => void published.push(...events) };
}

const changedGroups = (published: readonly SyncEvent[]) =>
  published
    .filter((event) => event.type === "GroupChanged")
    .map((event) => (event.detail as { groupId: string }).groupId);

/** The key the ledger remembers a delivery under, as the use case derives it. */
const dedupeKeyOf = (notification: unknown) =>
  notificationDedupeKey(ChangeNotificationSchema.parse(notification));

async function deliver(
  bus: ReturnType<typeof recordingBus>,
  ...notifications: unknown[]
): Promise<IngestSummary> {
  const answer = await receiveEntraNotifications(
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: notifications }),
    },
    { ledger, bus, scope: new GroupScope(undefined), clientState, maxBodyBytes: 100_000 },
  );
  expect(answer.status).toBe(202);
  return answer.summary as IngestSummary;
}

describe("receiveEntraNotifications on the DynamoDB ledger", () => {
  it("counts a redelivered group notification without sequenceNumber as a duplicate and asks for one refresh only", async () => {
    // Prepare
    const groupId = randomUUID();
    const bus = recordingBus();
    const notification = groupNotification(groupId, randomUUID());

    // Act
    const first = await deliver(bus, notification);
    const redelivery = await deliver(bus, structuredClone(notification));

    // Assess
    expect(first).toMatchObject({ recorded: 1, duplicates: 0, groupsTouched: 1 });
    expect(redelivery).toMatchObject({ recorded: 0, duplicates: 1, groupsTouched: 0 });
    expect(changedGroups(bus.published)).toEqual([groupId]);
  });

  it("keeps a recorded notification's dedupe key for one hour", async () => {
    // Prepare
    const bus = recordingBus();
    const notification = groupNotification(randomUUID(), randomUUID());
    const dedupeKey = dedupeKeyOf(notification);
    const before = Math.floor(Date.now() / 1000);

    // Act
    await deliver(bus, notification);

    // Assess
    const after = Math.floor(Date.now() / 1000);
    const stored = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `entra#EVENT#${dedupeKey}` }, sk: { S: "#EVENT" } },
        ConsistentRead: true,
      }),
    );
    const expiresAt = Number(stored.Item?.expiresAt?.N);
    expect(await ledger.hasProcessedEvent("entra", dedupeKey)).toBe(true);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(expiresAt).toBeLessThanOrEqual(after + 3600);
  });

  it("does not mark a notification processed when recording it failed, so Graph's redelivery is recorded", async () => {
    // Prepare
    const groupId = randomUUID();
    const bus = recordingBus();
    const notification = groupNotification(groupId, randomUUID());
    const dedupeKey = dedupeKeyOf(notification);
    const refresh = vi
      .spyOn(ledger, "requestGroupRefresh")
      .mockRejectedValueOnce(new Error("DynamoDB timed out"));
    try {
      await expect(deliver(bus, notification)).rejects.toThrow("DynamoDB timed out");
    } finally {
      refresh.mockRestore();
    }
    const markedAfterFailure = await ledger.hasProcessedEvent("entra", dedupeKey);

    // Act
    const redelivery = await deliver(bus, structuredClone(notification));

    // Assess
    expect(markedAfterFailure).toBe(false);
    expect(redelivery).toMatchObject({ recorded: 1, duplicates: 0, groupsTouched: 1 });
    expect((await ledger.getGroup("entra", groupId))?.refreshRequestedVersion).toBeDefined();
    expect(await ledger.hasProcessedEvent("entra", dedupeKey)).toBe(true);
  });

  it("gives the same change from a second subscription the same version, so the group's refresh request does not move", async () => {
    // Prepare
    const groupId = randomUUID();
    const bus = recordingBus();
    await deliver(bus, groupNotification(groupId, randomUUID()));
    const afterFirst = await ledger.getGroup("entra", groupId);

    // Act
    const second = await deliver(bus, groupNotification(groupId, randomUUID()));

    // Assess
    const afterSecond = await ledger.getGroup("entra", groupId);
    expect(second).toMatchObject({ recorded: 1, duplicates: 0 });
    expect(afterFirst?.refreshRequestedVersion).toBeDefined();
    expect(afterSecond?.refreshRequestedVersion).toBe(afterFirst?.refreshRequestedVersion);
    expect(afterSecond?.dirtyVersion).toBe(afterFirst?.dirtyVersion);
  });

  it("lets Graph's redelivery mark a known user's groups when the first delivery failed after asking for the profile", async () => {
    // Prepare
    const userId = randomUUID();
    const groupId = randomUUID();
    const bus = recordingBus();
    const seeded = "2025-03-01T00:00:00.000Z#seed";
    await ledger.recordUserProfile(
      "entra",
      userId,
      {
        externalId: userId,
        userName: "ada@example.com",
        displayName: "Ada Lovelace",
        givenName: "Ada",
        familyName: "Lovelace",
        active: true,
      },
      seeded,
    );
    await ledger.recordDesiredMembership("entra", groupId, userId, true, seeded);
    const notification = userNotification(userId, randomUUID());
    const markDirty = vi
      .spyOn(ledger, "markGroupsDirty")
      .mockRejectedValueOnce(new Error("DynamoDB timed out"));
    try {
      await expect(deliver(bus, notification)).rejects.toThrow("DynamoDB timed out");
    } finally {
      markDirty.mockRestore();
    }
    const profileAsked = (await ledger.getUser("entra", userId))?.profileRequestedVersion;
    const dirtyBefore = (await ledger.getGroup("entra", groupId))!.dirtyVersion;

    // Act
    const redelivery = await deliver(bus, structuredClone(notification));

    // Assess
    expect(profileAsked).toBeDefined();
    expect(redelivery).toMatchObject({ recorded: 1, duplicates: 0, groupsTouched: 1 });
    expect((await ledger.getGroup("entra", groupId))!.dirtyVersion).toBe(dirtyBefore + 1);
    expect(changedGroups(bus.published)).toEqual([groupId]);
  });
});
