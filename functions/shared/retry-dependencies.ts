import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { EventBridgeScheduler } from "../../core/adapters/scheduler/eventbridge-scheduler";
import type { ServiceConfig } from "../../core/config";
import { SyncError } from "../../core/domain/errors";
import type { EventBus } from "../../core/ports/event-bus";
import type { Ledger } from "../../core/ports/ledger";
import type { RetryScheduler } from "../../core/ports/retry-scheduler";
import type { RetryDependencies } from "../../core/use-cases/deliver-with-retries";
import type { KiroDependencies } from "./kiro-dependencies";

/** Delayed retries as one-time EventBridge Scheduler schedules; unset settings fail by name. */
export function eventBridgeScheduler(config: ServiceConfig): RetryScheduler {
  if (!config.scheduler) {
    return {
      schedule: async () => {
        throw new SyncError(
          "CONFIG.NO_SCHEDULER",
          "SCHEDULER_GROUP_NAME, SCHEDULER_ROLE_ARN and EVENT_BUS_ARN must be set",
          { retryable: false },
        );
      },
    };
  }
  return new EventBridgeScheduler(new SchedulerClient({}), config.scheduler);
}

/** What the one retry policy needs from a bus worker's dependencies. */
export function retryDependencies(
  deps: { config: ServiceConfig; ledger: Ledger; bus: EventBus; retries: RetryScheduler } & Pick<
    KiroDependencies,
    "kiroScim"
  >,
): RetryDependencies {
  return {
    ledger: deps.ledger,
    bus: deps.bus,
    retries: deps.retries,
    policy: deps.config.retryPolicy,
    pauseProbeMs: deps.config.pauseProbeMs,
    probeCredentials: async () => (await deps.kiroScim({ fresh: true })).listGroups(""),
  };
}
