import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { EventBridgeBus } from "../../core/adapters/eventbridge/eventbridge-bus";
import type { ServiceConfig } from "../../core/config";
import { SyncError } from "../../core/domain/errors";
import type { EventBus } from "../../core/ports/event-bus";

/** Our EventBridge bus; without EVENT_BUS_NAME every publish fails with a code that names the variable. */
export function eventBridgeBus(config: ServiceConfig): EventBus {
  if (!config.eventBusName) {
    return {
      publish: async () => {
        throw new SyncError("CONFIG.NO_BUS", "EVENT_BUS_NAME is not set", { retryable: false });
      },
    };
  }
  return new EventBridgeBus(new EventBridgeClient({}), config.eventBusName);
}
