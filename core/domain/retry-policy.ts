import { z } from "zod";

/**
 * The single retry policy for SCIM work. The in-process client retries and the scheduled (EventBridge
 * Scheduler / local timer) retries both ask it for the next delay, so a 429 is treated the same way
 * whether it is retried 200 ms later inside one Lambda run or 10 minutes later by a schedule.
 */
export const RetryPolicySchema = z.object({
  baseDelayMs: z.number().int().positive(),
  maxDelayMs: z.number().int().positive(),
  maxAttempts: z.number().int().positive(),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const defaultRetryPolicy: RetryPolicy = {
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  maxAttempts: 10,
};

/**
 * The longest wait a Retry-After can impose. Kiro documents no Retry-After at all, so a larger value
 * comes from a broken or hostile hop; honoured as sent, one `Retry-After: 1000000000` stopped every
 * later sync for decades (and overflowed a 32-bit timer locally).
 */
export const maxRetryAfterMs = 15 * 60_000;

/**
 * Exponential backoff with full jitter (spreads a burst of throttled workers instead of having them
 * return together), capped per attempt. The server's Retry-After is a floor that wins over the cap
 * (sending before it only earns another 429), up to {@link maxRetryAfterMs}.
 *
 * @param attempt the attempt that just failed, starting at 1
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, maxRetryAfterMs));
}

/** Whether another attempt is allowed after `attempt` failures. */
export function hasAttemptsLeft(policy: RetryPolicy, attempt: number): boolean {
  return attempt < policy.maxAttempts;
}

/**
 * How long a user Kiro refused (invalid or conflicting attributes) waits before it is sent again:
 * 5 minutes after the first refusal, doubling up to a day. Without it every pass of each of the
 * user's groups sent the same refused request again. A profile change in the IdP ends the wait.
 */
export const refusedUserPolicy: RetryPolicy = {
  baseDelayMs: 5 * 60_000,
  maxDelayMs: 24 * 3_600_000,
  maxAttempts: 1,
};

/** When a user refused `attempts` times, last at `lastAttemptAt`, may be sent again (no jitter). */
export function refusedUserRetryAt(lastAttemptAt: string, attempts: number): string {
  return new Date(
    Date.parse(lastAttemptAt) + retryDelayMs(refusedUserPolicy, attempts, undefined, () => 1),
  ).toISOString();
}
