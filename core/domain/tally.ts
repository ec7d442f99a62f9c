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
