import { ConflictException, CreateScheduleCommand, type SchedulerClient } from "@aws-sdk/client-scheduler";
import { eventSource, type SyncEvent, syncEvents } from "../../domain/sync-events";
import type { RetryScheduler } from "../../ports/retry-scheduler";

export interface EventBridgeSchedulerOptions {
  groupName: string;
  /** The role Scheduler assumes; it may only `events:PutEvents` on our bus. */
  roleArn: string;
  busArn: string;
}

/**
 * A retry is a one-time schedule (`at(...)`, UTC, no flexible window) that puts the event back on
 * our bus and deletes itself after running. A name that already exists means this retry is
 * already scheduled: the ConflictException is the duplicate being harmless.
 */
export class EventBridgeScheduler implements RetryScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeSchedulerOptions,
  ) {}

  async schedule(event: SyncEvent, at: Date, name: string): Promise<void> {
    const detail = syncEvents[event.type].parse(event.detail);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.options.groupName,
          ScheduleExpression: `at(${at.toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: "UTC",
          FlexibleTimeWindow: { Mode: "OFF" },
          ActionAfterCompletion: "DELETE",
          Target: {
            Arn: this.options.busArn,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify(detail),
            EventBridgeParameters: { DetailType: event.type, Source: eventSource },
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConflictException) return;
      throw error;
    }
  }
}
