import { describe, expect, it } from "vitest";
import { OktaHookDeliverySchema, targetOfType } from "../../core/domain/okta-events";

/** protocols.md A7-2: a batched delivery, events out of order, UserGroup listed before User. */
const batched = {
  eventType: "com.okta.event_hook",
  eventId: "85b60edb-4263-4e13-993b-818e26201052",
  data: {
    events: [
      {
        uuid: "ab62c0bc-2837-11eb-9823-9fb8f750c5a9",
        published: "2025-03-04T11:00:07.862Z",
        eventType: "user.lifecycle.deactivate",
        actor: {
          id: "00u1svcHrSync0000001",
          type: "User",
          alternateId: "svc-hrsync@acme.com",
          displayName: "HR Sync Service",
          detailEntry: null,
        },
        outcome: { result: "SUCCESS", reason: null },
        target: [
          {
            id: "00u3m90rxKjGQ0G6L1d6",
            type: "User",
            alternateId: "john.doe@acme.com",
            displayName: "John Doe",
            detailEntry: null,
          },
        ],
      },
      {
        uuid: "5f1b2d7e-0c3a-4c55-9a21-7d3e9b1c4a10",
        published: "2025-03-04T11:00:06.120Z",
        eventType: "group.user_membership.remove",
        actor: null,
        outcome: null,
        target: [
          {
            id: "00g8mo0l5wuTxmoIC0h7",
            type: "UserGroup",
            alternateId: "unknown",
            displayName: "Engineering",
            detailEntry: null,
          },
          {
            id: "00u3m90rxKjGQ0G6L1d6",
            type: "User",
            alternateId: "john.doe@acme.com",
            displayName: "John Doe",
            detailEntry: null,
          },
        ],
      },
    ],
  },
};

describe("OktaHookDeliverySchema", () => {
  it("reads a batched delivery with null actor and outcome, and finds targets by type not position", () => {
    // Act
    const delivery = OktaHookDeliverySchema.parse(batched);
    const removal = delivery.data.events[1]!;

    // Assess
    expect(targetOfType(removal, "User")?.id).toBe("00u3m90rxKjGQ0G6L1d6");
    expect(targetOfType(removal, "UserGroup")?.displayName).toBe("Engineering");
  });

  it("accepts an Admin Console preview whose target is null", () => {
    // Act
    const result = OktaHookDeliverySchema.safeParse({
      data: {
        events: [
          {
            uuid: "u",
            published: "2025-03-04T11:00:06.120Z",
            eventType: "group.user_membership.add",
            target: null,
          },
        ],
      },
    });

    // Assess
    expect(result.success).toBe(true);
  });

  it("refuses an event whose published time is not a timestamp, because it orders changes", () => {
    // Act
    const result = OktaHookDeliverySchema.safeParse({
      data: { events: [{ uuid: "u", published: "yesterday", eventType: "group.user_membership.add" }] },
    });

    // Assess
    expect(result.success).toBe(false);
  });
});
