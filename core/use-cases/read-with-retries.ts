import { ScimError, SyncError } from "../domain/errors";
import { hasAttemptsLeft, type RetryPolicy, retryDelayMs } from "../domain/retry-policy";

/** How far a read done inside an operator's request may go before the request gives up. */
export interface InlineRetryOptions {
  policy: RetryPolicy;
  /** Attempts at most, fewer if the policy allows fewer. */
  maxAttempts: number;
  /**
   * The read answers within this much time of its start, whatever the dependency does: an attempt
   * still running then is abandoned, and no new one starts that its delay would carry past it.
   */
  budgetMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A read wrapped so that a transient failure is tried again within a request's time. */
export type InlineRetry = <T>(read: () => Promise<T>) => Promise<T>;

/**
 * The same retry policy as the workers, shortened to what an HTTP request can wait for: API Gateway
 * ends a request at 29 s, so a blip (a dropped connection, a 503) is absorbed by a few quick attempts
 * and a real outage reaches the caller as the last retryable SyncError, for it to answer 503 instead
 * of the request hanging until the gateway times it out.
 */
export function inlineRetry(options: InlineRetryOptions): InlineRetry {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  return async <T>(read: () => Promise<T>): Promise<T> => {
    const startedAt = now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await withinBudget(read(), options.budgetMs - (now() - startedAt), options.budgetMs);
      } catch (error) {
        if (!(error instanceof SyncError && error.retryable)) throw error;
        if (attempt >= options.maxAttempts || !hasAttemptsLeft(options.policy, attempt)) throw error;
        const delay = retryDelayMs(options.policy, attempt, retryAfterOf(error));
        if (now() - startedAt + delay > options.budgetMs) throw error;
        await sleep(delay);
      }
    }
  };
}

/**
 * A dependency that hangs (accepts the connection, never answers) would hold the request through
 * every in-process retry of its client, past the 29 s API Gateway gives it: the caller got a
 * gateway timeout instead of a 503 naming the cause.
 */
async function withinBudget<T>(read: Promise<T>, leftMs: number, budgetMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SyncError("DEPENDENCY.TIMEOUT", `no answer within ${Math.round(budgetMs / 1000)} s`, {
            retryable: true,
          }),
        ),
      Math.max(0, leftMs),
    );
  });
  try {
    return await Promise.race([read, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long a caller that met `error` after `attempts` tries should wait: Kiro's own word, or the policy's next delay. */
export function retryAfterSeconds(policy: RetryPolicy, attempts: number, error: SyncError): number {
  const ms = retryDelayMs(policy, attempts, retryAfterOf(error), () => 1);
  return Math.max(1, Math.ceil(ms / 1000));
}

function retryAfterOf(error: SyncError): number | undefined {
  return error instanceof ScimError ? error.retryAfterMs : undefined;
}
