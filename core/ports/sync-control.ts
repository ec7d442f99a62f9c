import type { ScopeMismatch } from "../domain/group-scope";
import type { IdentitySource } from "../domain/identity-source";
import type { KiroTargetRecord, ScopeCheck, SourceHealth, SyncFailure, SyncPause } from "./ledger-records";

/** What holds or steers the whole sync: the pause, the Kiro profile the ids belong to, each source's health. */
export interface SyncControl {
  /** Set while Kiro (or an IdP) refuses our credentials: the whole sync waits instead of retrying each item. */
  getSyncPause(): Promise<SyncPause | undefined>;

  pauseSync(pause: SyncPause): Promise<void>;

  /** Lets exactly one worker per interval try the credentials again: true for the one that may. */
  claimPauseProbe(now: string, nextProbeAt: string): Promise<boolean>;

  clearSyncPause(): Promise<void>;

  /** Which Kiro profile the stored SCIM ids belong to. */
  getKiroTarget(): Promise<KiroTargetRecord | undefined>;

  /**
   * Conditional on the record read before (its revision), so of several workers noticing a new
   * endpoint or token only one acts on it.
   */
  claimKiroTarget(target: KiroTargetRecord, previous: KiroTargetRecord | undefined): Promise<boolean>;

  /**
   * How a source fared when last read by a scheduled job (the Entra delta round, the local runtime's
   * start): kept in the table so `/status` in any function says it, and a degraded streak keeps its start.
   */
  recordSourceHealth(source: IdentitySource, failure: SyncFailure | undefined): Promise<void>;

  getSourceHealth(): Promise<Partial<Record<IdentitySource, SourceHealth>>>;

  /**
   * Kiro as the local runtime's dependency check last met it (at start, then each minute while it
   * fails), kept like a source's health so `/status` names an unreachable Kiro before a group fails.
   */
  recordKiroHealth(failure: SyncFailure | undefined): Promise<void>;

  getKiroHealth(): Promise<SourceHealth | undefined>;

  /**
   * The `SYNC_GROUPS` entries none of a source's groups matched when something listed them all (a
   * reconcile's discovery, the local runtime's start), so `/status` says an entry selects nothing.
   */
  recordScopeCheck(source: IdentitySource, unmatched: readonly ScopeMismatch[]): Promise<void>;

  getScopeChecks(): Promise<Partial<Record<IdentitySource, ScopeCheck>>>;
}
