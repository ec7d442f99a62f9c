import type {
  HeldRemovals,
  NewRun,
  RunAdvance,
  RunItem,
  RunItemOutcome,
  RunItemRef,
  RunRecord,
  RunStep,
} from "./ledger-records";

/** Reconcile and re-provisioning runs, the items they queued, and the removals a run may not apply on its own. */
export interface RunRecords {
  /**
   * A reconcile or re-provisioning run: how many users we manage, how many removals its reads have
   * proposed so far, and where its next chunk starts.
   */
  startRun(run: NewRun): Promise<void>;

  getRun(runId: string): Promise<RunRecord | undefined>;

  /**
   * Moves a run from the step a chunk started at to the next one, conditional on the run still
   * being at `from`: a redelivered chunk event finds the run moved on and does nothing twice.
   */
  advanceRun(runId: string, from: RunStep, advance: RunAdvance): Promise<boolean>;

  /** Newest first, for `/status`. */
  listRuns(limit: number): Promise<RunRecord[]>;

  /** Adds `count` proposed removals to the run and answers the run's new total and its managed users. */
  countRunRemovals(runId: string, count: number): Promise<{ total: number; managedUsers: number }>;

  /** A run whose chunk failed past the retry policy: stopped, with the reason in `/status`. */
  failRun(runId: string, reason: string): Promise<void>;

  /**
   * Queues items under a run, each once: an item already queued (a redelivered chunk, or a group
   * both the IdP and the ledger list) keeps its state. Answers how many were new.
   */
  queueRunItems(runId: string, items: readonly RunItemRef[]): Promise<number>;

  /**
   * Settles queued items, each once: an item already settled keeps its first outcome, so a
   * redelivered report or a retried sync counts nothing twice. The ones that moved are counted on
   * the run; answers the run as it now stands, or undefined when none moved (or the run is gone).
   */
  settleRunItems(runId: string, outcomes: readonly RunItemOutcome[]): Promise<RunRecord | undefined>;

  /** Every item a run queued, in source, kind and id order: for the recount that finishes a run. */
  listRunItems(runId: string): Promise<RunItem[]>;

  /** Removals a run may not apply on its own: kept until approved or superseded by a newer read. */
  holdRemovals(held: HeldRemovals): Promise<void>;

  listHeldRemovals(): Promise<HeldRemovals[]>;

  /** Takes (and deletes) the held removals of a run, for approval. */
  takeHeldRemovals(runId: string): Promise<HeldRemovals[]>;
}
