import { changeVersion } from "../../core/domain/identity-source";
import type { KiroUserProfile } from "../../core/domain/kiro-user";
import { type InMemoryLedger, inMemoryLedger } from "../support/doubles/in-memory-ledger";
import { freshLedger } from "../support/ledger-fixture";

/** Every ledger port (the in-memory double implements them all): what both implementations must agree on. */
export type ContractLedger = InMemoryLedger;

/**
 * One clock for both implementations, set by each test, so the timestamps a ledger writes
 * (pendingSince, updatedAt, syncedAt...) are known and whole records compare exactly.
 */
export const clock = {
  current: new Date("2026-01-01T00:00:00.000Z"),
  set(iso: string): string {
    this.current = new Date(iso);
    return iso;
  },
  advance(ms: number): string {
    this.current = new Date(this.current.getTime() + ms);
    return this.current.toISOString();
  },
  now: () => clock.current,
};

export interface LedgerUnderTest {
  name: string;
  /** A ledger that starts empty (a fresh DynamoDB Local table for the adapter). */
  fresh(): Promise<ContractLedger>;
}

export const ledgersUnderTest: LedgerUnderTest[] = [
  {
    name: "DynamoLedger on DynamoDB Local",
    fresh: async () => (await freshLedger({ now: clock.now })).ledger,
  },
  { name: "in-memory double", fresh: async () => inMemoryLedger({ now: clock.now }) },
];

let serial = 0;
/** An id no other test of the file uses, so tests can share one ledger. */
export const unique = (prefix: string) => `${prefix}-${++serial}`;

/** A change version at `iso`, with a fresh event id unless one is given. */
export const at = (iso: string, eventId = unique("evt")) => changeVersion(iso, eventId);

export function profile(idpId: string, changes: Partial<KiroUserProfile> = {}): KiroUserProfile {
  return {
    externalId: idpId,
    userName: `${idpId}@acme.test`,
    displayName: idpId,
    givenName: "Given",
    familyName: "Family",
    active: true,
    ...changes,
  };
}
