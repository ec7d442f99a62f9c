import { describe, expect, it } from "vitest";
import {
  ChangeNotificationSchema,
  notificationDedupeKey,
  notifiedResource,
} from "../../core/domain/graph-notifications";

/** protocols.md C3-1: a membership add and a removal with the string form of @removed. */
const membershipChange = {
  subscriptionId: "092ba742-89d2-4417-a4c7-c120db062842",
  clientState: "b3f1c0d2-secret-client-state",
  changeType: "updated",
  resource: "Groups/0bc7d487-fd6f-41a0-8362-71ec81074f11",
  tenantId: "7d96d549-841b-4092-9c09-89abae4c860c",
  resourceData: {
    "@odata.type": "#Microsoft.Graph.Group",
    id: "0bc7d487-fd6f-41a0-8362-71ec81074f11",
    eventTime: "2025-03-04T10:20:00.2455823Z",
    sequenceNumber: 638766456002455800,
    "members@delta": [
      { id: "4d147cc8-10cb-4158-ac52-90ee8ff9d846" },
      { id: "9a1e2b3c-4d5e-4f60-8a7b-1c2d3e4f5a6b", "@removed": "deleted" },
    ],
  },
};

describe("Graph change notifications", () => {
  it.each([
    ["a group id", { resourceData: { ...membershipChange.resourceData, id: "g".repeat(3_000) } }],
    [
      "a member id",
      { resourceData: { ...membershipChange.resourceData, "members@delta": [{ id: "u".repeat(3_000) }] } },
    ],
    ["a resource path", { resource: `Groups/${"r".repeat(3_000)}` }],
  ])("refuses %s no Graph could send (it could not be a DynamoDB key)", (_case, change) => {
    // Act
    const parsed = ChangeNotificationSchema.safeParse({ ...membershipChange, ...change });

    // Assess
    expect(parsed.success).toBe(false);
    expect(ChangeNotificationSchema.safeParse(membershipChange).success).toBe(true);
  });

  it("reads members@delta with the string @removed of notifications and the object form of delta", () => {
    // Prepare
    const objectForm = structuredClone(membershipChange);
    objectForm.resourceData["members@delta"][1] = {
      id: "9a1e2b3c-4d5e-4f60-8a7b-1c2d3e4f5a6b",
      "@removed": { reason: "deleted" },
    } as never;

    // Act
    const asString = ChangeNotificationSchema.parse(membershipChange);
    const asObject = ChangeNotificationSchema.parse(objectForm);

    // Assess
    for (const parsed of [asString, asObject]) {
      expect(
        parsed.resourceData?.["members@delta"]?.map((member) => member["@removed"] !== undefined),
      ).toEqual([false, true]);
    }
  });

  it("tells groups from users by @odata.type or by the resource path", () => {
    // Act
    const group = notifiedResource(ChangeNotificationSchema.parse(membershipChange));
    const user = notifiedResource(
      ChangeNotificationSchema.parse({
        ...membershipChange,
        resource: "Users/693acd06",
        resourceData: { id: "693acd06" },
      }),
    );

    // Assess
    expect(group).toEqual({ kind: "group", id: "0bc7d487-fd6f-41a0-8362-71ec81074f11" });
    expect(user).toEqual({ kind: "user", id: "693acd06" });
  });

  it("parses Graph's seven-digit fractional eventTime", () => {
    // Act
    const time = Date.parse(membershipChange.resourceData.eventTime);

    // Assess
    expect(new Date(time).toISOString()).toBe("2025-03-04T10:20:00.245Z");
  });
});

describe("dedupe key of a Graph notification", () => {
  /** protocols.md C3-2: a group notification as Graph sends it, with no sequenceNumber. */
  const softDelete = {
    subscriptionId: "092ba742-89d2-4417-a4c7-c120db062842",
    clientState: "b3f1c0d2-secret-client-state",
    changeType: "updated",
    resource: "Groups/f0a5993b-5c2d-49cc-bb2f-8cb0060fef8e",
    tenantId: "7d96d549-841b-4092-9c09-89abae4c860c",
    resourceData: {
      "@odata.type": "#Microsoft.Graph.Group",
      "@odata.id": "Groups/f0a5993b-5c2d-49cc-bb2f-8cb0060fef8e",
      id: "f0a5993b-5c2d-49cc-bb2f-8cb0060fef8e",
      organizationId: "7d96d549-841b-4092-9c09-89abae4c860c",
      eventTime: "2025-03-04T10:47:00.2455823Z",
    },
  };
  const keyOf = (notification: unknown) =>
    notificationDedupeKey(ChangeNotificationSchema.parse(notification));

  it("gives a redelivery the same key, even with resourceData's fields in another order", () => {
    // Prepare
    const reordered = {
      ...softDelete,
      resourceData: Object.fromEntries(Object.entries(softDelete.resourceData).reverse()),
    };

    // Act
    const first = keyOf(softDelete);
    const again = keyOf(structuredClone(softDelete));
    const shuffled = keyOf(reordered);

    // Assess
    expect(again).toBe(first);
    expect(shuffled).toBe(first);
  });

  it("tells apart notifications that differ in change type, resource, subscription or payload", () => {
    // Prepare
    const variants = [
      { ...softDelete, changeType: "deleted" },
      { ...softDelete, resource: "Groups/0bc7d487-fd6f-41a0-8362-71ec81074f11" },
      { ...softDelete, subscriptionId: "5cfe2387-163c-4006-81bb-1b5e1e060afe" },
      {
        ...softDelete,
        resourceData: { ...softDelete.resourceData, eventTime: "2025-03-04T10:47:00.2455824Z" },
      },
      {
        ...softDelete,
        resourceData: {
          ...softDelete.resourceData,
          "members@delta": [{ id: "4d147cc8-10cb-4158-ac52-90ee8ff9d846" }],
        },
      },
    ];

    // Act
    const keys = [softDelete, ...variants].map(keyOf);

    // Assess
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("makes a short key, whatever the size of members@delta", () => {
    // Prepare
    const crowded = {
      ...softDelete,
      resourceData: {
        ...softDelete.resourceData,
        "members@delta": Array.from({ length: 500 }, (_, index) => ({ id: `member-${index}` })),
      },
    };

    // Act
    const key = keyOf(crowded);

    // Assess
    expect(key.length).toBeLessThan(200);
  });
});
