import { randomUUID } from "node:crypto";
import { eventSource, parseSyncEvent, type SyncEvent, type SyncEventType } from "../core/domain/sync-events";
import type { EventBus } from "../core/ports/event-bus";
import type { RetryScheduler, ScheduleOptions } from "../core/ports/retry-scheduler";

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

/** Lambda's default for async invocations: a failed invocation is retried twice, then sent on. */
const asyncRetries = 2;

/**
 * The bus for `npm start` and the tests: same port and schemas as EventBridge, delivered in
 * process with EventBridge's envelope. It is also the local stand-in for the two AWS mechanisms
 * around it: EventBridge Scheduler (`schedule`: a timer per name, a duplicate name is one timer)
 * and Lambda's async invocation (a handler that throws is invoked again twice, then its event goes
 * to the on-failure destination).
 */
export class LocalBus implements EventBus, RetryScheduler {
  private readonly subscribers = new Map<SyncEventType, { handle: Subscriber; limit: number }>();
  private readonly running = new Map<SyncEventType, number>();
  private readonly waiting = new Map<SyncEventType, (() => void)[]>();
  private readonly scheduled = new Set<string>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** A stopped bus delivers nothing more, as a Lambda being shut down takes no new event. */
  private stopped = false;

  constructor(
    private readonly onFailure: (event: SyncEvent, error: unknown) => Promise<void> = async () => {},
    private readonly asyncRetryDelayMs = 50,
  ) {}

  /** `limit` plays the part of the Lambda's reserved concurrency: at most that many run at once. */
  subscribe(type: SyncEventType, subscriber: Subscriber, limit = 10): void {
    this.subscribers.set(type, { handle: subscriber, limit });
  }

  async publish(events: readonly SyncEvent[]): Promise<void> {
    for (const event of events) this.deliverLater(parseSyncEvent(event.type, event.detail), 0, 0);
  }

  async schedule(event: SyncEvent, at: Date, name: string, options: ScheduleOptions = {}): Promise<void> {
    if (this.scheduled.has(name)) return;
    this.scheduled.add(name);
    this.deliverLater(
      parseSyncEvent(event.type, event.detail),
      Math.max(0, at.getTime() - Date.now()),
      0,
      name,
      options.safetyNet === true,
    );
  }

  /** In process, both the bus and its timers are always there. */
  async probe(): Promise<void> {}

  /** Resolves when nothing is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.inFlight === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
    this.scheduled.clear();
    this.inFlight = 0;
    this.settle();
  }

  /** A safety net counts for `idle()` only once it fires: until then nothing is waiting for it. */
  private deliverLater(
    event: SyncEvent,
    delayMs: number,
    failures: number,
    scheduleName?: string,
    safetyNet = false,
  ): void {
    if (this.stopped) return;
    if (!safetyNet) this.inFlight += 1;
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      if (scheduleName) this.scheduled.delete(scheduleName);
      if (safetyNet) this.inFlight += 1;
      try {
        await this.deliver(event, failures);
      } finally {
        this.inFlight -= 1;
        this.settle();
      }
    }, delayMs);
    this.timers.add(timer);
  }

  private async deliver(event: SyncEvent, failures: number): Promise<void> {
    const subscriber = this.subscribers.get(event.type);
    if (!subscriber) return;
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
        detail: event.detail,
      });
    } catch (error) {
      if (failures < asyncRetries)
        this.deliverLater(event, this.asyncRetryDelayMs * 2 ** failures, failures + 1);
      else await this.onFailure(event, error).catch(() => undefined);
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
