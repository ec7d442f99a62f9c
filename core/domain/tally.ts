/** Counts keyed by text that came from outside: event types, lifecycle event names, reasons. */
export type Tally = Record<string, number>;

/**
 * A tally without a prototype: an event type named `constructor` or `toString` read Object's own
 * function as its count (the sum became a string and the metrics call threw, answering Okta 500),
 * and `__proto__` replaced the prototype instead of being counted.
 */
export function newTally(): Tally {
  return Object.create(null) as Tally;
}

export function countIn(tally: Tally, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

/** An event refused as malformed, by its id (never its payload). */
export interface RejectedEvent {
  uuid: string;
  reason: string;
}

/** A delivery of thousands of bad events lists this many uuids, not thousands. */
export const maxRejectedListed = 20;

/** Counts a refused event under its reason and lists its uuid while the list has room. */
export function countRejected(
  counts: { ignored: Tally; rejected?: RejectedEvent[] },
  uuid: string,
  reason: string,
): void {
  countIn(counts.ignored, reason);
  counts.rejected ??= [];
  if (counts.rejected.length < maxRejectedListed) counts.rejected.push({ uuid, reason });
}
