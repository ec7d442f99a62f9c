import {
  DescribeEventBusCommand,
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { SyncError } from "../../domain/errors";
import { eventSource, type SyncEvent, syncEvents } from "../../domain/sync-events";
import type { EventBus } from "../../ports/event-bus";

const maxEntriesPerCall = 10;
const maxEntryBytes = 256 * 1024;

/**
 * PutEvents in chunks of 10 (the API's limit), re-sending only the entries EventBridge reports as
 * failed (a partial failure still answers 200), with a short backoff, a bounded number of times.
 */
export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly maxRounds = 4,
  ) {}

  async publish(events: readonly SyncEvent[]): Promise<void> {
    const entries = events.map((event) => this.toEntry(event));
    for (let start = 0; start < entries.length; start += maxEntriesPerCall) {
      await this.putChunk(entries.slice(start, start + maxEntriesPerCall));
    }
  }

  /** DescribeEventBus: a read, so the preflight proves the bus without waking any worker. */
  async probe(): Promise<void> {
    try {
      await this.client.send(new DescribeEventBusCommand({ Name: this.busName }));
    } catch (error) {
      const name = (error as Error).name;
      const [code, what] =
        name === "ResourceNotFoundException"
          ? ["BUS.NOT_FOUND", "does not exist"]
          : name === "AccessDeniedException"
            ? ["BUS.ACCESS_DENIED", "may not be described by this role"]
            : ["BUS.UNAVAILABLE", "could not be described"];
      throw new SyncError(code, `event bus ${this.busName} ${what} (${name})`, {
        retryable: code === "BUS.UNAVAILABLE",
        cause: error,
      });
    }
  }

  private toEntry(event: SyncEvent): PutEventsRequestEntry {
    const detail = JSON.stringify(syncEvents[event.type].parse(event.detail));
    const entry = { EventBusName: this.busName, Source: eventSource, DetailType: event.type, Detail: detail };
    const size =
      Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(detail);
    if (size > maxEntryBytes) {
      throw new SyncError("BUS.ENTRY_TOO_LARGE", `${event.type} is ${size} bytes; EventBridge takes 256 KB`, {
        retryable: false,
      });
    }
    return entry;
  }

  private async putChunk(chunk: PutEventsRequestEntry[]): Promise<void> {
    let pending = chunk;
    for (let round = 1; pending.length > 0; round++) {
      const result = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!result.FailedEntryCount) return;
      const failed = pending.filter((_, index) => result.Entries?.[index]?.ErrorCode);
      if (round >= this.maxRounds) {
        const reasons = [...new Set(result.Entries?.map((entry) => entry.ErrorCode).filter(Boolean))].join(
          ", ",
        );
        throw new SyncError(
          "BUS.PUT_FAILED",
          `${failed.length} events not accepted by EventBridge (${reasons})`,
          {
            retryable: true,
          },
        );
      }
      pending = failed;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** round * Math.random()));
    }
  }
}
