import { describe, expect, it } from "vitest";
import { hasAttemptsLeft, refusedUserRetryAt, retryDelayMs } from "../../core/domain/retry-policy";

const policy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 5 };

describe("retryDelayMs", () => {
  it("draws from a ceiling that doubles with each attempt (full jitter)", () => {
    // Act
    const ceilings = [1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt, undefined, () => 0.999_999));

    // Assess
    expect(ceilings).toEqual([999, 1_999, 3_999, 7_999]);
  });

  it("caps the ceiling at maxDelayMs", () => {
    // Act
    const delay = retryDelayMs(policy, 30, undefined, () => 0.5);

    // Assess
    expect(delay).toBe(30_000);
  });

  it("never returns less than the server's Retry-After, even past the cap", () => {
    // Act
    const floorWins = retryDelayMs(policy, 1, 5_000, () => 0.1);
    const beyondCap = retryDelayMs(policy, 1, 120_000, () => 0.1);

    // Assess
    expect([floorWins, beyondCap]).toEqual([5_000, 120_000]);
  });

  it("honours a Retry-After as a floor only up to 15 minutes", () => {
    // Act
    const delay = retryDelayMs(policy, 1, 1_000_000_000_000, () => 0.1);

    // Assess
    expect(delay).toBe(15 * 60_000);
  });

  it("spreads concurrent retries instead of returning them together", () => {
    // Act
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(policy, 6, undefined)));

    // Assess
    expect(delays.size).toBeGreaterThan(40);
  });
});

describe("hasAttemptsLeft", () => {
  it("allows attempts up to the limit and no further", () => {
    // Act
    const answers = [1, 4, 5, 6].map((attempt) => hasAttemptsLeft(policy, attempt));

    // Assess
    expect(answers).toEqual([true, true, false, false]);
  });
});

describe("a refused user's own back-off", () => {
  it("waits 5 minutes after the first refusal, doubles, and never more than a day", () => {
    // Prepare
    const last = "2026-12-02T08:00:00.000Z";

    // Act
    const waits = [1, 2, 3, 20].map(
      (attempts) => Date.parse(refusedUserRetryAt(last, attempts)) - Date.parse(last),
    );

    // Assess
    expect(waits).toEqual([5 * 60_000, 10 * 60_000, 20 * 60_000, 24 * 3_600_000]);
  });
});
