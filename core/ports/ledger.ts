import type { DeliveryInbox } from "./delivery-inbox";
import type { EntraSyncState } from "./entra-sync-state";
import type { GroupRecords } from "./group-records";
import type { GroupSyncState } from "./group-sync-state";
import type { HookRejections } from "./hook-rejections";
import type { KiroCallHistory } from "./kiro-call-history";
import type { MembershipRecords } from "./membership-records";
import type { ProcessedEvents } from "./processed-events";
import type { RunRecords } from "./run-records";
import type { StatusQueries } from "./status-queries";
import type { SyncControl } from "./sync-control";
import type { UserRecords } from "./user-records";

/**
 * The durable truth of what we want in Kiro and what Kiro has. Every write that carries an IdP
 * change takes its {@link changeVersion} and is ignored when a newer one is already recorded.
 * Methods answer whether they changed anything so callers publish events only for real changes.
 */
export type Ledger = ProcessedEvents &
  UserRecords &
  GroupRecords &
  GroupSyncState &
  MembershipRecords &
  RunRecords &
  SyncControl &
  EntraSyncState &
  StatusQueries &
  DeliveryInbox &
  KiroCallHistory &
  HookRejections;
