import type { DeliveryInbox } from "../../../core/ports/delivery-inbox";
import type { EntraSyncState } from "../../../core/ports/entra-sync-state";
import type { GroupRecords } from "../../../core/ports/group-records";
import type { GroupSyncState } from "../../../core/ports/group-sync-state";
import type { HookRejections } from "../../../core/ports/hook-rejections";
import type { KiroCallHistory } from "../../../core/ports/kiro-call-history";
import type { Ledger } from "../../../core/ports/ledger";
import type { MembershipRecords } from "../../../core/ports/membership-records";
import type { ProcessedEvents } from "../../../core/ports/processed-events";
import type { RunRecords } from "../../../core/ports/run-records";
import type { StatusQueries } from "../../../core/ports/status-queries";
import type { SyncControl } from "../../../core/ports/sync-control";
import type { UserRecords } from "../../../core/ports/user-records";
import type { SyncGroupDependencies } from "../../../core/use-cases/sync-group";
import { InMemoryDeliveryInbox } from "./in-memory-delivery-inbox";
import { InMemoryEntraSyncState } from "./in-memory-entra-sync-state";
import { InMemoryGroupRecords } from "./in-memory-group-records";
import { InMemoryGroupSyncState } from "./in-memory-group-sync-state";
import { InMemoryHookRejections } from "./in-memory-hook-rejections";
import { InMemoryKiroCallHistory } from "./in-memory-kiro-call-history";
import { InMemoryMembershipRecords } from "./in-memory-membership-records";
import { defaultEventTtlSeconds, InMemoryProcessedEvents } from "./in-memory-processed-events";
import { InMemoryRunRecords } from "./in-memory-run-records";
import { LedgerState } from "./in-memory-state";
import { InMemoryStatusQueries } from "./in-memory-status-queries";
import { InMemorySyncControl } from "./in-memory-sync-control";
import { InMemoryUserRecords } from "./in-memory-user-records";

/** Every ledger port, as the composition roots take them: the double stands in for DynamoLedger whole. */
export type InMemoryLedger = Ledger;

export interface InMemoryLedgerOptions {
  /** The clock for leases, creation claims, event marks and every timestamp the ledger sets. Default: the system clock. */
  now?: () => Date;
  /** Default dedupe window for event ids, as DynamoLedger's option. Default: 3 days. */
  eventTtlSeconds?: number;
}

/**
 * A ledger in memory that behaves as DynamoLedger does (test/contract/ holds the proof): newer-wins
 * writes, dirty marking, leases, claims and event marks on the injected clock, sync status and the
 * status index. Deterministic and timer-free; every answer is a copy. All ports share one {@link LedgerState}.
 */
export function inMemoryLedger(options: InMemoryLedgerOptions = {}): InMemoryLedger {
  const state = new LedgerState(options.now ?? (() => new Date()));
  const ledger = {
    ...methodsOf<UserRecords>(new InMemoryUserRecords(state)),
    ...methodsOf<GroupRecords>(new InMemoryGroupRecords(state)),
    ...methodsOf<GroupSyncState>(new InMemoryGroupSyncState(state)),
    ...methodsOf<MembershipRecords>(new InMemoryMembershipRecords(state)),
    ...methodsOf<RunRecords>(new InMemoryRunRecords(state)),
    ...methodsOf<SyncControl>(new InMemorySyncControl(state)),
    ...methodsOf<EntraSyncState>(new InMemoryEntraSyncState(state)),
    ...methodsOf<StatusQueries>(new InMemoryStatusQueries(state)),
    ...methodsOf<DeliveryInbox>(new InMemoryDeliveryInbox(state)),
    ...methodsOf<KiroCallHistory>(new InMemoryKiroCallHistory()),
    ...methodsOf<HookRejections>(new InMemoryHookRejections()),
    ...methodsOf<ProcessedEvents>(
      new InMemoryProcessedEvents(state, options.eventTtlSeconds ?? defaultEventTtlSeconds),
    ),
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
