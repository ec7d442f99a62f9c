import { describe, expect, it } from "vitest";
import { clock, ledgersUnderTest, unique } from "./ledger-implementations";

/** Events shaped like compacted Okta events, `count` of them, each about `bytes` long as JSON. */
const events = (count: number, bytes = 200) =>
  Array.from({ length: count }, (_, index) => ({
    uuid: `evt-${index}`,
    eventType: "group.user_membership.add",
    pad: "p".repeat(bytes),
  }));

describe.each(ledgersUnderTest)("DeliveryInbox contract: $name", ({ fresh }) => {
  it("reads a kept delivery back whole, with when it arrived, until it is forgotten", async () => {
    // Prepare
    const ledger = await fresh();
    const receivedAt = clock.set("2026-03-01T10:00:00.000Z");
    const kept = events(3);
    const id = unique("delivery");

    // Act
    await ledger.keepDelivery("okta", id, kept);
    const read = await ledger.readDelivery("okta", id);
    await ledger.forgetDelivery("okta", id);

    // Assess
    expect(read).toEqual({ receivedAt, events: kept, rejectedEvents: 0 });
    expect(await ledger.readDelivery("okta", id)).toBeUndefined();
    expect(await ledger.listWaitingDeliveries(10)).toEqual([]);
  });

  it("keeps with a delivery how many of its events the hook refused, for the ingest to count", async () => {
    // Prepare
    const ledger = await fresh();
    const id = unique("delivery");

    // Act
    await ledger.keepDelivery("okta", id, events(2), 3);

    // Assess
    expect((await ledger.readDelivery("okta", id))?.rejectedEvents).toBe(3);
  });

  it("holds a delivery kept twice (an IdP retry) once, under the later arrival", async () => {
    // Prepare
    const ledger = await fresh();
    const id = unique("delivery");
    clock.set("2026-03-01T10:00:00.000Z");
    await ledger.keepDelivery("okta", id, events(2));

    // Act
    const later = clock.set("2026-03-01T10:00:03.000Z");
    await ledger.keepDelivery("okta", id, events(2));

    // Assess
    expect(await ledger.listWaitingDeliveries(10)).toEqual([
      { source: "okta", deliveryId: id, receivedAt: later },
    ]);
  });

  it("lists waiting deliveries oldest first, at most the limit", async () => {
    // Prepare
    const ledger = await fresh();
    const [first, second, third] = [unique("c"), unique("b"), unique("a")];
    const times = [
      clock.set("2026-03-01T10:00:00.000Z"),
      clock.set("2026-03-01T10:00:01.000Z"),
      clock.set("2026-03-01T10:00:02.000Z"),
    ];
    clock.set(times[1]!);
    await ledger.keepDelivery("okta", second, events(1));
    clock.set(times[2]!);
    await ledger.keepDelivery("okta", third, events(1));
    clock.set(times[0]!);
    await ledger.keepDelivery("okta", first, events(1));

    // Act
    const listed = await ledger.listWaitingDeliveries(2);

    // Assess
    expect(listed).toEqual([
      { source: "okta", deliveryId: first, receivedAt: times[0] },
      { source: "okta", deliveryId: second, receivedAt: times[1] },
    ]);
  });

  it("keeps a delivery larger than one DynamoDB item and reads it back in order, listed once", async () => {
    // Prepare
    const ledger = await fresh();
    const id = unique("delivery");
    const large = events(1_500, 700);
    clock.set("2026-03-01T11:00:00.000Z");

    // Act
    await ledger.keepDelivery("okta", id, large);
    const read = await ledger.readDelivery("okta", id);
    const listed = await ledger.listWaitingDeliveries(10);
    await ledger.forgetDelivery("okta", id);

    // Assess
    expect(JSON.stringify(large).length).toBeGreaterThan(400_000);
    expect(read?.events).toEqual(large);
    expect(listed.map((delivery) => delivery.deliveryId)).toEqual([id]);
    expect(await ledger.readDelivery("okta", id)).toBeUndefined();
  });
});
