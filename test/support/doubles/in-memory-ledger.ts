import type { GroupRecords } from "../../../core/ports/group-records";
import type { GroupSyncState } from "../../../core/ports/group-sync-state";
import type { MembershipRecords } from "../../../core/ports/membership-records";
import type { RunRecords } from "../../../core/ports/run-records";
import type { UserRecords } from "../../../core/ports/user-records";
import type { SyncGroupDependencies } from "../../../core/use-cases/sync-group";
import { InMemoryGroupRecords } from "./in-memory-group-records";
import { InMemoryGroupSyncState } from "./in-memory-group-sync-state";
import { InMemoryMembershipRecords } from "./in-memory-membership-records";
import { InMemoryRunRecords } from "./in-memory-run-records";
import { LedgerState } from "./in-memory-state";
import { InMemoryUserRecords } from "./in-memory-user-records";

export { InMemoryGroupRecords } from "./in-memory-group-records";
export { InMemoryGroupSyncState } from "./in-memory-group-sync-state";
export { InMemoryMembershipRecords } from "./in-memory-membership-records";
export { InMemoryRunRecords } from "./in-memory-run-records";
export { LedgerState } from "./in-memory-state";
export { InMemoryUserRecords } from "./in-memory-user-records";

/** The ledger ports a group sync uses, as {@link SyncGroupDependencies} names them. */
export type InMemoryLedger = UserRecords & GroupRecords & GroupSyncState & MembershipRecords & RunRecords;

export interface InMemoryLedgerOptions {
  /** The clock for leases, creation claims and every timestamp the ledger sets. Default: the system clock. */
  now?: () => Date;
}

/**
 * A ledger in memory that behaves as DynamoLedger does for these ports (test/contract/ holds the
 * proof): newer-wins writes, dirty marking, leases and claims on the injected clock, sync status.
 * Deterministic and timer-free; every answer is a copy. All ports share one {@link LedgerState}.
 */
export function inMemoryLedger(options: InMemoryLedgerOptions = {}): InMemoryLedger {
  const state = new LedgerState(options.now ?? (() => new Date()));
  const ledger = {
    ...methodsOf<UserRecords>(new InMemoryUserRecords(state)),
    ...methodsOf<GroupRecords>(new InMemoryGroupRecords(state)),
    ...methodsOf<GroupSyncState>(new InMemoryGroupSyncState(state)),
    ...methodsOf<MembershipRecords>(new InMemoryMembershipRecords(state)),
    ...methodsOf<RunRecords>(new InMemoryRunRecords(state)),
  };
  return ledger satisfies SyncGroupDependencies["ledger"];
}

/** The methods of a port's class, bound, as own properties (so they spread into one object). */
function methodsOf<Port extends object>(instance: Port): Port {
  const methods: Record<string, unknown> = {};
  const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = prototype[name];
    if (name !== "constructor" && typeof method === "function") methods[name] = method.bind(instance);
  }
  return methods as Port;
}
