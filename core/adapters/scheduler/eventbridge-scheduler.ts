import {
  ConflictException,
  CreateScheduleCommand,
  GetScheduleGroupCommand,
  type SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { SyncError } from "../../domain/errors";
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

  /**
   * GetScheduleGroup: a read, so the preflight creates no schedule. A group being deleted counts as
   * missing, since CreateSchedule in it would fail.
   */
  async probe(): Promise<void> {
    const group = this.options.groupName;
    let state: string | undefined;
    try {
      state = (await this.client.send(new GetScheduleGroupCommand({ Name: group }))).State;
    } catch (error) {
      const name = (error as Error).name;
      const [code, what] =
        name === "ResourceNotFoundException"
          ? ["SCHEDULER.NOT_FOUND", "does not exist"]
          : name === "AccessDeniedException"
            ? ["SCHEDULER.ACCESS_DENIED", "may not be read by this role"]
            : ["SCHEDULER.UNAVAILABLE", "could not be read"];
      throw new SyncError(code, `schedule group ${group} ${what} (${name})`, {
        retryable: code === "SCHEDULER.UNAVAILABLE",
        cause: error,
      });
    }
    if (state !== "ACTIVE")
      throw new SyncError("SCHEDULER.NOT_FOUND", `schedule group ${group} is ${state ?? "in no state"}`, {
        retryable: false,
      });
  }

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
