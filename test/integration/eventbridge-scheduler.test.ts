import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { describe, expect, it } from "vitest";
import { EventBridgeScheduler } from "../../core/adapters/scheduler/eventbridge-scheduler";
import type { SyncEvent } from "../../core/domain/sync-events";
import { scheduleName } from "../../core/use-cases/deliver-with-retries";
import { localAwsConfig } from "../../local/dynamodb-local";
import { startSchedulerServer } from "../support/scheduler-server";

const options = {
  groupName: "kiro-scim-sync-test-retries",
  roleArn: "arn:aws:iam::000000000000:role/scheduler",
  busArn: "arn:aws:events:us-east-1:000000000000:event-bus/sync",
};
const retry: SyncEvent = { type: "GroupChanged", detail: { source: "okta", groupId: "00g1", attempt: 3 } };

describe("EventBridgeScheduler", () => {
  it("creates a one-time, self-deleting schedule that puts the event back on our bus", async () => {
    // Prepare
    const server = await startSchedulerServer();
    const scheduler = new EventBridgeScheduler(
      new SchedulerClient({ ...localAwsConfig, endpoint: server.endpoint }),
      options,
    );

    // Act
    await scheduler.schedule(retry, new Date("2026-11-24T01:02:03.456Z"), scheduleName(retry, "attempt-3"));
    await server.stop();

    // Assess
    const [call] = server.calls;
    expect(call?.name).toMatch(/^group-[0-9a-f]{40}$/);
    expect(call?.body).toMatchObject({
      GroupName: options.groupName,
      ScheduleExpression: "at(2026-11-24T01:02:03)",
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Target: {
        Arn: options.busArn,
        RoleArn: options.roleArn,
        EventBridgeParameters: { DetailType: "GroupChanged", Source: "kiro-scim-sync" },
      },
    });
    expect(JSON.parse(call!.body.Target.Input)).toEqual({ source: "okta", groupId: "00g1", attempt: 3 });
  });

  it("treats scheduling the same retry twice as one schedule", async () => {
    // Prepare
    const server = await startSchedulerServer();
    const scheduler = new EventBridgeScheduler(
      new SchedulerClient({ ...localAwsConfig, endpoint: server.endpoint }),
      options,
    );
    const at = new Date(Date.now() + 60_000);

    // Act
    await scheduler.schedule(retry, at, scheduleName(retry, "attempt-3"));
    const second = scheduler.schedule(retry, at, scheduleName(retry, "attempt-3"));

    // Assess
    await expect(second).resolves.toBeUndefined();
    await server.stop();
    expect(server.calls).toHaveLength(2);
    expect(new Set(server.calls.map((call) => call.name)).size).toBe(1);
    expect(scheduleName(retry, "attempt-4")).not.toBe(scheduleName(retry, "attempt-3"));
  });
});
