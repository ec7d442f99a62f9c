import { timingSafeEqual } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { secretFingerprint, secretsMatch } from "../../core/domain/constant-time";

/* The comparer must reach timingSafeEqual for every presented value, a short one included: an
   early return on a length difference is exactly the timing leak it exists to prevent. */
vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

afterEach(() => {
  vi.mocked(timingSafeEqual).mockClear();
});

const expected = "admin-0123456789abcdef0123456789abcdef";

describe("secretsMatch", () => {
  it("accepts the same secret, compared in constant time", () => {
    // Act
    const match = secretsMatch(expected.slice(), expected);

    // Assess
    expect(match).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });

  it("refuses a secret of the same length that differs in its last character", () => {
    // Prepare
    const presented = `${expected.slice(0, -1)}0`;

    // Act
    const match = secretsMatch(presented, expected);

    // Assess
    expect(presented).toHaveLength(expected.length);
    expect(match).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["a prefix of it", expected.slice(0, 8)],
    ["it with more after it", `${expected}-and-more`],
    ["an empty string", ""],
  ])("refuses %s, still through the constant-time comparison of equal-length digests", (_what, presented) => {
    // Act
    const match = secretsMatch(presented, expected);

    // Assess
    expect(match).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [left, right] = vi.mocked(timingSafeEqual).mock.calls[0]!;
    expect(left.byteLength).toBe(right.byteLength);
  });

  it("refuses a missing secret", () => {
    // Act
    const match = secretsMatch(undefined, expected);

    // Assess
    expect(match).toBe(false);
  });
});

describe("secretFingerprint", () => {
  it("is 8 hex digits, the same for the same token and different for another", () => {
    // Act
    const first = secretFingerprint(expected);
    const again = secretFingerprint(expected);
    const other = secretFingerprint(`${expected}x`);

    // Assess
    expect(first).toMatch(/^[0-9a-f]{8}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });
});
