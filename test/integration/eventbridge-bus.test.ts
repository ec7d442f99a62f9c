import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { EventBridgeBus } from "../../core/adapters/eventbridge/eventbridge-bus";
import type { SyncEvent } from "../../core/domain/sync-events";
import { localAwsConfig } from "../../local/dynamodb-local";
import { startPutEventsServer } from "../support/put-events-server";

const events = (count: number): SyncEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    type: "GroupChanged",
    detail: { source: "okta", groupId: `g${index}` },
  }));

describe("EventBridgeBus", () => {
  it("puts 25 events in calls of at most 10 with our source and detail type", async () => {
    // Prepare
    const server = await startPutEventsServer(() => false);
    const bus = new EventBridgeBus(
      new EventBridgeClient({ ...localAwsConfig, endpoint: server.endpoint }),
      "sync-bus",
    );

    // Act
    await bus.publish(events(25));
    await server.stop();

    // Assess
    expect(server.calls.map((call) => call.entries.length)).toEqual([10, 10, 5]);
    expect(server.calls[0]?.entries[0]).toMatchObject({
      Source: "kiro-scim-sync",
      DetailType: "GroupChanged",
      EventBusName: "sync-bus",
    });
    expect(JSON.parse(server.calls[0]!.entries[0]!.Detail)).toEqual({
      source: "okta",
      groupId: "g0",
      attempt: 1,
    });
  });

  it("re-sends only the entries EventBridge reported as failed", async () => {
    // Prepare
    const server = await startPutEventsServer((call, index) => call === 0 && (index === 2 || index === 7));
    const bus = new EventBridgeBus(
      new EventBridgeClient({ ...localAwsConfig, endpoint: server.endpoint }),
      "sync-bus",
    );

    // Act
    await bus.publish(events(10));
    await server.stop();

    // Assess
    expect(server.calls.map((call) => call.entries.map((entry) => JSON.parse(entry.Detail).groupId))).toEqual(
      [
        ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"],
        ["g2", "g7"],
      ],
    );
  });

  it("gives up with a retryable error when entries keep failing", async () => {
    // Prepare
    const server = await startPutEventsServer((_call, index) => index === 0);
    const bus = new EventBridgeBus(
      new EventBridgeClient({ ...localAwsConfig, endpoint: server.endpoint }),
      "sync-bus",
      3,
    );

    // Act
    const failure = await bus.publish(events(3)).catch((error: unknown) => error);
    await server.stop();

    // Assess
    expect(failure).toMatchObject({ code: "BUS.PUT_FAILED", retryable: true });
    expect(server.calls).toHaveLength(3);
  });

  it("refuses an event that breaks its schema before calling EventBridge", async () => {
    // Prepare
    const server = await startPutEventsServer(() => false);
    const bus = new EventBridgeBus(
      new EventBridgeClient({ ...localAwsConfig, endpoint: server.endpoint }),
      "sync-bus",
    );

    // Act
    const failure = await bus
      .publish([{ type: "GroupChanged", detail: { source: "ldap" as "okta", groupId: "g" } }])
      .catch((error: unknown) => error);
    await server.stop();

    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect(server.calls).toHaveLength(0);
  });
});
