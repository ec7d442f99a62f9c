import type { DeliveryInbox } from "../../ports/delivery-inbox";
import type { EntraSyncState } from "../../ports/entra-sync-state";
import type { GroupRecords } from "../../ports/group-records";
import type { GroupSyncState } from "../../ports/group-sync-state";
import type { HookRejections } from "../../ports/hook-rejections";
import type { KiroCallHistory } from "../../ports/kiro-call-history";
import type { Ledger } from "../../ports/ledger";
import type { MembershipRecords } from "../../ports/membership-records";
import type { ProcessedEvents } from "../../ports/processed-events";
import type { RunRecords } from "../../ports/run-records";
import type { StatusQueries } from "../../ports/status-queries";
import type { SyncControl } from "../../ports/sync-control";
import type { UserRecords } from "../../ports/user-records";
import { DynamoDeliveryInbox } from "./dynamo-delivery-inbox";
import { DynamoEntraSyncState } from "./dynamo-entra-sync-state";
import { DynamoGroupRecords } from "./dynamo-group-records";
import { DynamoGroupSyncState } from "./dynamo-group-sync-state";
import { DynamoHookRejections } from "./dynamo-hook-rejections";
import { DynamoKiroCallHistory } from "./dynamo-kiro-call-history";
import { DynamoMembershipRecords } from "./dynamo-membership-records";
import { DynamoProcessedEvents } from "./dynamo-processed-events";
import { DynamoRunRecords } from "./dynamo-run-records";
import { DynamoStatusQueries } from "./dynamo-status-queries";
import { DynamoSyncControl } from "./dynamo-sync-control";
import { DynamoUserRecords } from "./dynamo-user-records";
import { LedgerTableAccess, type LedgerTableOptions } from "./ledger-table-access";

export interface DynamoLedgerOptions extends LedgerTableOptions {
  /** Default dedupe window for event ids: longer than any IdP redelivery (Graph retries for 4 h). */
  eventTtlSeconds?: number;
}

/**
 * The ledger on one DynamoDB table (see ledger-table.ts for keys and indexes): one module per port,
 * all on the same table access, so callers that need the whole ledger keep one object.
 */
export class DynamoLedger implements Ledger {
  private readonly events: DynamoProcessedEvents;
  private readonly users: DynamoUserRecords;
  private readonly groups: DynamoGroupRecords;
  private readonly groupSync: DynamoGroupSyncState;
  private readonly memberships: DynamoMembershipRecords;
  private readonly runs: DynamoRunRecords;
  private readonly control: DynamoSyncControl;
  private readonly entra: DynamoEntraSyncState;
  private readonly statusQueries: DynamoStatusQueries;
  private readonly inbox: DynamoDeliveryInbox;
  private readonly kiroCalls: DynamoKiroCallHistory;
  private readonly hookRejections: DynamoHookRejections;

  constructor(options: DynamoLedgerOptions) {
    const table = new LedgerTableAccess(options);
    this.events = new DynamoProcessedEvents(table, options.eventTtlSeconds ?? 3 * 24 * 3600);
    this.users = new DynamoUserRecords(table);
    this.memberships = new DynamoMembershipRecords(table);
    this.groups = new DynamoGroupRecords(table, this.memberships);
    this.groupSync = new DynamoGroupSyncState(table);
    this.runs = new DynamoRunRecords(table);
    this.control = new DynamoSyncControl(table);
    this.entra = new DynamoEntraSyncState(table);
    this.statusQueries = new DynamoStatusQueries(table);
    this.inbox = new DynamoDeliveryInbox(table);
    this.kiroCalls = new DynamoKiroCallHistory(table);
    this.hookRejections = new DynamoHookRejections(table);
  }

  markEventProcessed(...args: Parameters<ProcessedEvents["markEventProcessed"]>) {
    return this.events.markEventProcessed(...args);
  }

  hasProcessedEvent(...args: Parameters<ProcessedEvents["hasProcessedEvent"]>) {
    return this.events.hasProcessedEvent(...args);
  }

  hasProcessedEvents(...args: Parameters<ProcessedEvents["hasProcessedEvents"]>) {
    return this.events.hasProcessedEvents(...args);
  }

  recordEventChanges(...args: Parameters<ProcessedEvents["recordEventChanges"]>) {
    return this.events.recordEventChanges(...args);
  }

  recordUserProfile(...args: Parameters<UserRecords["recordUserProfile"]>) {
    return this.users.recordUserProfile(...args);
  }

  requestUserProfile(...args: Parameters<UserRecords["requestUserProfile"]>) {
    return this.users.requestUserProfile(...args);
  }

  recordUserLifecycle(...args: Parameters<UserRecords["recordUserLifecycle"]>) {
    return this.users.recordUserLifecycle(...args);
  }

  getUser(...args: Parameters<UserRecords["getUser"]>) {
    return this.users.getUser(...args);
  }

  getUsers(...args: Parameters<UserRecords["getUsers"]>) {
    return this.users.getUsers(...args);
  }

  findUsers(...args: Parameters<UserRecords["findUsers"]>) {
    return this.users.findUsers(...args);
  }

  recordUserSynced(...args: Parameters<UserRecords["recordUserSynced"]>) {
    return this.users.recordUserSynced(...args);
  }

  recordUserFailed(...args: Parameters<UserRecords["recordUserFailed"]>) {
    return this.users.recordUserFailed(...args);
  }

  claimUserCreation(...args: Parameters<UserRecords["claimUserCreation"]>) {
    return this.users.claimUserCreation(...args);
  }

  releaseUserCreation(...args: Parameters<UserRecords["releaseUserCreation"]>) {
    return this.users.releaseUserCreation(...args);
  }

  invalidateUsers(...args: Parameters<UserRecords["invalidateUsers"]>) {
    return this.users.invalidateUsers(...args);
  }

  recordGroupName(...args: Parameters<GroupRecords["recordGroupName"]>) {
    return this.groups.recordGroupName(...args);
  }

  getGroup(...args: Parameters<GroupRecords["getGroup"]>) {
    return this.groups.getGroup(...args);
  }

  getGroups(...args: Parameters<GroupRecords["getGroups"]>) {
    return this.groups.getGroups(...args);
  }

  findGroupsByName(...args: Parameters<GroupRecords["findGroupsByName"]>) {
    return this.groups.findGroupsByName(...args);
  }

  listGroups(...args: Parameters<GroupRecords["listGroups"]>) {
    return this.groups.listGroups(...args);
  }

  recordGroupDeleted(...args: Parameters<GroupRecords["recordGroupDeleted"]>) {
    return this.groups.recordGroupDeleted(...args);
  }

  recordGroupRestored(...args: Parameters<GroupRecords["recordGroupRestored"]>) {
    return this.groups.recordGroupRestored(...args);
  }

  recordGroupApplied(...args: Parameters<GroupRecords["recordGroupApplied"]>) {
    return this.groups.recordGroupApplied(...args);
  }

  requestGroupRefresh(...args: Parameters<GroupRecords["requestGroupRefresh"]>) {
    return this.groups.requestGroupRefresh(...args);
  }

  clearQueuedByRun(...args: Parameters<GroupRecords["clearQueuedByRun"]>) {
    return this.groups.clearQueuedByRun(...args);
  }

  recordGroupRefreshed(...args: Parameters<GroupRecords["recordGroupRefreshed"]>) {
    return this.groups.recordGroupRefreshed(...args);
  }

  recordNestedGroups(...args: Parameters<GroupRecords["recordNestedGroups"]>) {
    return this.groups.recordNestedGroups(...args);
  }

  listParentGroups(...args: Parameters<GroupRecords["listParentGroups"]>) {
    return this.groups.listParentGroups(...args);
  }

  invalidateGroups(...args: Parameters<GroupRecords["invalidateGroups"]>) {
    return this.groups.invalidateGroups(...args);
  }

  acquireGroupLease(...args: Parameters<GroupSyncState["acquireGroupLease"]>) {
    return this.groupSync.acquireGroupLease(...args);
  }

  releaseGroupLease(...args: Parameters<GroupSyncState["releaseGroupLease"]>) {
    return this.groupSync.releaseGroupLease(...args);
  }

  markGroupsDirty(...args: Parameters<GroupSyncState["markGroupsDirty"]>) {
    return this.groupSync.markGroupsDirty(...args);
  }

  recordPatchIntent(...args: Parameters<GroupSyncState["recordPatchIntent"]>) {
    return this.groupSync.recordPatchIntent(...args);
  }

  recordGroupSynced(...args: Parameters<GroupSyncState["recordGroupSynced"]>) {
    return this.groupSync.recordGroupSynced(...args);
  }

  recordGroupFailed(...args: Parameters<GroupSyncState["recordGroupFailed"]>) {
    return this.groupSync.recordGroupFailed(...args);
  }

  recordGroupRetry(...args: Parameters<GroupSyncState["recordGroupRetry"]>) {
    return this.groupSync.recordGroupRetry(...args);
  }

  quarantineGroup(...args: Parameters<GroupSyncState["quarantineGroup"]>) {
    return this.groupSync.quarantineGroup(...args);
  }

  redriveGroup(...args: Parameters<GroupSyncState["redriveGroup"]>) {
    return this.groupSync.redriveGroup(...args);
  }

  recordDesiredMembership(...args: Parameters<MembershipRecords["recordDesiredMembership"]>) {
    return this.memberships.recordDesiredMembership(...args);
  }

  listMemberships(...args: Parameters<MembershipRecords["listMemberships"]>) {
    return this.memberships.listMemberships(...args);
  }

  listGroupIdsOfUser(...args: Parameters<MembershipRecords["listGroupIdsOfUser"]>) {
    return this.memberships.listGroupIdsOfUser(...args);
  }

  listMembershipsOfUser(...args: Parameters<MembershipRecords["listMembershipsOfUser"]>) {
    return this.memberships.listMembershipsOfUser(...args);
  }

  recordMembershipsApplied(...args: Parameters<MembershipRecords["recordMembershipsApplied"]>) {
    return this.memberships.recordMembershipsApplied(...args);
  }

  recordMembershipsFailed(...args: Parameters<MembershipRecords["recordMembershipsFailed"]>) {
    return this.memberships.recordMembershipsFailed(...args);
  }

  startRun(...args: Parameters<RunRecords["startRun"]>) {
    return this.runs.startRun(...args);
  }

  getRun(...args: Parameters<RunRecords["getRun"]>) {
    return this.runs.getRun(...args);
  }

  advanceRun(...args: Parameters<RunRecords["advanceRun"]>) {
    return this.runs.advanceRun(...args);
  }

  listRuns(...args: Parameters<RunRecords["listRuns"]>) {
    return this.runs.listRuns(...args);
  }

  countRunRemovals(...args: Parameters<RunRecords["countRunRemovals"]>) {
    return this.runs.countRunRemovals(...args);
  }

  failRun(...args: Parameters<RunRecords["failRun"]>) {
    return this.runs.failRun(...args);
  }

  queueRunItems(...args: Parameters<RunRecords["queueRunItems"]>) {
    return this.runs.queueRunItems(...args);
  }

  settleRunItems(...args: Parameters<RunRecords["settleRunItems"]>) {
    return this.runs.settleRunItems(...args);
  }

  listRunItems(...args: Parameters<RunRecords["listRunItems"]>) {
    return this.runs.listRunItems(...args);
  }

  holdRemovals(...args: Parameters<RunRecords["holdRemovals"]>) {
    return this.runs.holdRemovals(...args);
  }

  listHeldRemovals(...args: Parameters<RunRecords["listHeldRemovals"]>) {
    return this.runs.listHeldRemovals(...args);
  }

  takeHeldRemovals(...args: Parameters<RunRecords["takeHeldRemovals"]>) {
    return this.runs.takeHeldRemovals(...args);
  }

  getSyncPause(...args: Parameters<SyncControl["getSyncPause"]>) {
    return this.control.getSyncPause(...args);
  }

  pauseSync(...args: Parameters<SyncControl["pauseSync"]>) {
    return this.control.pauseSync(...args);
  }

  claimPauseProbe(...args: Parameters<SyncControl["claimPauseProbe"]>) {
    return this.control.claimPauseProbe(...args);
  }

  clearSyncPause(...args: Parameters<SyncControl["clearSyncPause"]>) {
    return this.control.clearSyncPause(...args);
  }

  getKiroTarget(...args: Parameters<SyncControl["getKiroTarget"]>) {
    return this.control.getKiroTarget(...args);
  }

  claimKiroTarget(...args: Parameters<SyncControl["claimKiroTarget"]>) {
    return this.control.claimKiroTarget(...args);
  }

  recordSourceHealth(...args: Parameters<SyncControl["recordSourceHealth"]>) {
    return this.control.recordSourceHealth(...args);
  }

  getSourceHealth(...args: Parameters<SyncControl["getSourceHealth"]>) {
    return this.control.getSourceHealth(...args);
  }

  recordKiroHealth(...args: Parameters<SyncControl["recordKiroHealth"]>) {
    return this.control.recordKiroHealth(...args);
  }

  getKiroHealth(...args: Parameters<SyncControl["getKiroHealth"]>) {
    return this.control.getKiroHealth(...args);
  }

  recordScopeCheck(...args: Parameters<SyncControl["recordScopeCheck"]>) {
    return this.control.recordScopeCheck(...args);
  }

  getScopeChecks(...args: Parameters<SyncControl["getScopeChecks"]>) {
    return this.control.getScopeChecks(...args);
  }

  getSubscription(...args: Parameters<EntraSyncState["getSubscription"]>) {
    return this.entra.getSubscription(...args);
  }

  recordSubscription(...args: Parameters<EntraSyncState["recordSubscription"]>) {
    return this.entra.recordSubscription(...args);
  }

  listSubscriptions(...args: Parameters<EntraSyncState["listSubscriptions"]>) {
    return this.entra.listSubscriptions(...args);
  }

  getDeltaLink(...args: Parameters<EntraSyncState["getDeltaLink"]>) {
    return this.entra.getDeltaLink(...args);
  }

  recordDeltaLink(...args: Parameters<EntraSyncState["recordDeltaLink"]>) {
    return this.entra.recordDeltaLink(...args);
  }

  listByStatus(...args: Parameters<StatusQueries["listByStatus"]>) {
    return this.statusQueries.listByStatus(...args);
  }

  countByStatus(...args: Parameters<StatusQueries["countByStatus"]>) {
    return this.statusQueries.countByStatus(...args);
  }

  pageIds(...args: Parameters<StatusQueries["pageIds"]>) {
    return this.statusQueries.pageIds(...args);
  }

  keepDelivery(...args: Parameters<DeliveryInbox["keepDelivery"]>) {
    return this.inbox.keepDelivery(...args);
  }

  readDelivery(...args: Parameters<DeliveryInbox["readDelivery"]>) {
    return this.inbox.readDelivery(...args);
  }

  forgetDelivery(...args: Parameters<DeliveryInbox["forgetDelivery"]>) {
    return this.inbox.forgetDelivery(...args);
  }

  listWaitingDeliveries(...args: Parameters<DeliveryInbox["listWaitingDeliveries"]>) {
    return this.inbox.listWaitingDeliveries(...args);
  }

  recordKiroCalls(...args: Parameters<KiroCallHistory["recordKiroCalls"]>) {
    return this.kiroCalls.recordKiroCalls(...args);
  }

  listKiroCalls(...args: Parameters<KiroCallHistory["listKiroCalls"]>) {
    return this.kiroCalls.listKiroCalls(...args);
  }

  recordHookRejection(...args: Parameters<HookRejections["recordHookRejection"]>) {
    return this.hookRejections.recordHookRejection(...args);
  }

  listHookRejections(...args: Parameters<HookRejections["listHookRejections"]>) {
    return this.hookRejections.listHookRejections(...args);
  }
}
