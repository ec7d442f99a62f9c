import { beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionRecord } from "../../core/ports/ledger-records";
import { type ContractLedger, ledgersUnderTest, unique } from "./ledger-implementations";

describe.each(ledgersUnderTest)("EntraSyncState contract: $name", ({ fresh }) => {
  let ledger: ContractLedger;

  beforeAll(async () => {
    ledger = await fresh();
  });

  const subscription = (resource: string, changes: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
    resource,
    subscriptionId: `sub-${resource}`,
    expiresAt: "2026-02-04T10:00:00.000Z",
    ...changes,
  });

  describe("subscriptions", () => {
    it("answers undefined for a resource with no subscription", async () => {
      // Act
      const record = await ledger.getSubscription(unique("resource"));

      // Assess
      expect(record).toBeUndefined();
    });

    it("records a subscription and answers it whole, renewal failure included", async () => {
      // Prepare
      const resource = unique("resource");
      const record = subscription(resource, {
        renewalError: "Graph answered 503",
        renewalFailedAt: "2026-02-03T10:00:00.000Z",
      });

      // Act
      await ledger.recordSubscription(record);

      // Assess
      expect(await ledger.getSubscription(resource)).toEqual({
        resource,
        subscriptionId: `sub-${resource}`,
        expiresAt: "2026-02-04T10:00:00.000Z",
        renewalError: "Graph answered 503",
        renewalFailedAt: "2026-02-03T10:00:00.000Z",
      });
    });

    it("replaces a resource's subscription whole, so a renewal that succeeds clears the last failure", async () => {
      // Prepare
      const resource = unique("resource");
      await ledger.recordSubscription(
        subscription(resource, {
          renewalError: "Graph answered 503",
          renewalFailedAt: "2026-02-03T10:00:00.000Z",
        }),
      );

      // Act
      await ledger.recordSubscription(
        subscription(resource, { subscriptionId: "sub-renewed", expiresAt: "2026-02-07T10:00:00.000Z" }),
      );

      // Assess
      expect(await ledger.getSubscription(resource)).toEqual({
        resource,
        subscriptionId: "sub-renewed",
        expiresAt: "2026-02-07T10:00:00.000Z",
      });
    });

    it("lists every subscription, one per resource", async () => {
      // Prepare
      const own = await fresh();
      await own.recordSubscription(subscription("users"));
      await own.recordSubscription(subscription("groups", { renewalError: "Graph answered 503" }));

      // Act
      await own.recordSubscription(subscription("users", { subscriptionId: "sub-users-2" }));
      const listed = await own.listSubscriptions();

      // Assess
      expect(listed.sort((a, b) => a.resource.localeCompare(b.resource))).toEqual([
        subscription("groups", { renewalError: "Graph answered 503" }),
        subscription("users", { subscriptionId: "sub-users-2" }),
      ]);
    });

    it("lists no subscription for a ledger that has none", async () => {
      // Prepare
      const own = await fresh();

      // Act
      const listed = await own.listSubscriptions();

      // Assess
      expect(listed).toEqual([]);
    });
  });

  describe("delta links", () => {
    it("answers no delta link for a name never recorded", async () => {
      // Act
      const link = await ledger.getDeltaLink(unique("delta"));

      // Assess
      expect(link).toBeUndefined();
    });

    it("records a delta link, replaced by the next round's", async () => {
      // Prepare
      const name = unique("delta");
      await ledger.recordDeltaLink(name, "https://graph.test/v1.0/groups/delta?$deltatoken=one");

      // Act
      await ledger.recordDeltaLink(name, "https://graph.test/v1.0/groups/delta?$deltatoken=two");

      // Assess
      expect(await ledger.getDeltaLink(name)).toBe("https://graph.test/v1.0/groups/delta?$deltatoken=two");
    });

    it("keeps each name's delta link apart", async () => {
      // Prepare
      const [groups, users] = [unique("delta"), unique("delta")];
      await ledger.recordDeltaLink(groups, "https://graph.test/groups-link");

      // Act
      await ledger.recordDeltaLink(users, "https://graph.test/users-link");

      // Assess
      expect([await ledger.getDeltaLink(groups), await ledger.getDeltaLink(users)]).toEqual([
        "https://graph.test/groups-link",
        "https://graph.test/users-link",
      ]);
    });

    it("clears a delta link recorded as undefined or empty, so the next round starts over", async () => {
      // Prepare
      const [cleared, emptied] = [unique("delta"), unique("delta")];
      await ledger.recordDeltaLink(cleared, "https://graph.test/link-a");
      await ledger.recordDeltaLink(emptied, "https://graph.test/link-b");

      // Act
      await ledger.recordDeltaLink(cleared, undefined);
      await ledger.recordDeltaLink(emptied, "");

      // Assess
      expect([await ledger.getDeltaLink(cleared), await ledger.getDeltaLink(emptied)]).toEqual([
        undefined,
        undefined,
      ]);
    });
  });
});
