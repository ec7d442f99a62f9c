import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * Compares a presented secret with the expected one in constant time. Both sides are hashed first
 * so neither the content nor the length of the secret leaks through timing.
 */
export function secretsMatch(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Which token made a request, for the log: 8 hex digits of its SHA-256 tell two tokens (or a rotated
 * one) apart, and 32 bits of a hash of 32 random characters give nothing away about the token.
 */
export function secretFingerprint(secret: string): string {
  return digest(secret).toString("hex").slice(0, 8);
}
