import { randomUUID } from "node:crypto";
import { SyncError } from "../core/domain/errors";
import { hasAttemptsLeft, type RetryPolicy, retryDelayMs } from "../core/domain/retry-policy";
import {
  eventSource,
  parseSyncEvent,
  type SyncEvent,
  type SyncEventType,
  syncEvents,
} from "../core/domain/sync-events";
import type { EventBus } from "../core/ports/event-bus";

export interface EventBridgeShapedEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

type Subscriber = (event: EventBridgeShapedEvent) => Promise<unknown>;

/**
 * The bus for `npm start` and the tests: same port and schemas as EventBridge, delivered in
 * process with EventBridge's envelope. A subscriber that throws a retryable error is called again
 * after the one retry policy's delay with `attempt + 1`, which is what the Scheduler does in AWS.
 */
export class LocalBus implements EventBus {
  private readonly subscribers = new Map<SyncEventType, { handle: Subscriber; limit: number }>();
  private readonly running = new Map<SyncEventType, number>();
  private readonly waiting = new Map<SyncEventType, (() => void)[]>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly policy: RetryPolicy,
    private readonly onFailure: (message: string, context: Record<string, unknown>) => void = () => {},
  ) {}

  /** `limit` plays the part of the Lambda's reserved concurrency: at most that many run at once. */
  subscribe(type: SyncEventType, subscriber: Subscriber, limit = 10): void {
    this.subscribers.set(type, { handle: subscriber, limit });
  }

  async publish(events: readonly SyncEvent[]): Promise<void> {
    for (const event of events) this.deliverLater(parseSyncEvent(event.type, event.detail), 0);
  }

  /** Resolves when nothing is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
    this.inFlight = 0;
    this.settle();
  }

  private deliverLater(event: SyncEvent, delayMs: number): void {
    this.inFlight += 1;
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      try {
        await this.deliver(event);
      } finally {
        this.inFlight -= 1;
        this.settle();
      }
    }, delayMs);
    this.timers.add(timer);
  }

  private async deliver(event: SyncEvent): Promise<void> {
    const subscriber = this.subscribers.get(event.type);
    if (!subscriber) return;
    const detail = syncEvents[event.type].parse(event.detail);
    await this.slot(event.type, subscriber.limit);
    try {
      await subscriber.handle({
        version: "0",
        id: randomUUID(),
        "detail-type": event.type,
        source: eventSource,
        account: "000000000000",
        time: new Date().toISOString(),
        region: "local",
        resources: [],
        detail,
      });
    } catch (error) {
      const retryable = error instanceof SyncError && error.retryable;
      if (retryable && hasAttemptsLeft(this.policy, detail.attempt)) {
        const delay = retryDelayMs(
          this.policy,
          detail.attempt,
          (error as { retryAfterMs?: number }).retryAfterMs,
        );
        this.deliverLater(parseSyncEvent(event.type, { ...detail, attempt: detail.attempt + 1 }), delay);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      this.onFailure("event handler failed", { type: event.type, ...detail, error: message });
    } finally {
      this.release(event.type);
    }
  }

  private async slot(type: SyncEventType, limit: number): Promise<void> {
    const running = this.running.get(type) ?? 0;
    if (running < limit) {
      this.running.set(type, running + 1);
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.waiting.get(type) ?? [];
      queue.push(resolve);
      this.waiting.set(type, queue);
    });
  }

  /** Hands the slot straight to the next waiter, or frees it. */
  private release(type: SyncEventType): void {
    const next = this.waiting.get(type)?.shift();
    if (next) next();
    else this.running.set(type, (this.running.get(type) ?? 1) - 1);
  }

  private settle(): void {
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
