import type { ScopeMismatch } from "../../../core/domain/group-scope";
import type { IdentitySource } from "../../../core/domain/identity-source";
import type {
  KiroTargetRecord,
  ScopeCheck,
  SourceHealth,
  SyncFailure,
  SyncPause,
} from "../../../core/ports/ledger-records";
import type { SyncControl } from "../../../core/ports/sync-control";
import { compareStrings, copy, type LedgerState, remove } from "./in-memory-state";

/**
 * {@link SyncControl} in memory: one item each for the pause, the Kiro target, each source's and
 * Kiro's health and each source's scope check, which no other port reads (so they live here; the {@link LedgerState} gives the clock).
 * The claims decide synchronously, so of concurrent callers exactly one wins, as with DynamoDB's conditions.
 */
export class InMemorySyncControl implements SyncControl {
  private pause: SyncPause | undefined;
  private target: KiroTargetRecord | undefined;
  private readonly health = new Map<IdentitySource | "kiro", SourceHealth>();
  private readonly scopeChecks = new Map<IdentitySource, ScopeCheck>();

  constructor(private readonly state: LedgerState) {}

  async getSyncPause(): Promise<SyncPause | undefined> {
    return copy(this.pause);
  }

  /** Pausing again keeps when the pause began and takes the rest (reason, code, next probe) from the new one. */
  async pauseSync(pause: SyncPause): Promise<void> {
    this.pause = {
      reason: pause.reason.slice(0, 1000),
      errorCode: pause.errorCode,
      since: this.pause?.since ?? pause.since,
      probeAt: pause.probeAt,
    };
  }

  /** `probeAt <= now` by string order: the winner moves probeAt on, so the rest of this interval loses. */
  async claimPauseProbe(now: string, nextProbeAt: string): Promise<boolean> {
    if (this.pause === undefined || compareStrings(this.pause.probeAt, now) > 0) return false;
    this.pause.probeAt = nextProbeAt;
    return true;
  }

  async clearSyncPause(): Promise<void> {
    this.pause = undefined;
  }

  async getKiroTarget(): Promise<KiroTargetRecord | undefined> {
    const target = this.target;
    if (target === undefined) return undefined;
    return {
      fingerprint: target.fingerprint,
      url: target.url,
      since: target.since,
      credential: target.credential,
      revision: target.revision,
      reprovisionRunId: target.reprovisionRunId,
    };
  }

  /**
   * Replaces the whole record, its revision one past the one read (whatever revision `target` names),
   * if the record is still the one read: none, one without a revision, or the same revision.
   */
  async claimKiroTarget(target: KiroTargetRecord, previous: KiroTargetRecord | undefined): Promise<boolean> {
    const current = this.target;
    const unchanged =
      previous === undefined
        ? current === undefined
        : previous.revision === undefined
          ? current !== undefined && current.revision === undefined
          : current?.revision === previous.revision;
    if (!unchanged) return false;
    this.target = copy({ ...target, revision: (previous?.revision ?? 0) + 1 });
    return true;
  }

  /** A failure keeps the start of the current degraded streak; an ok read ends the streak and forgets the failure. */
  async recordSourceHealth(source: IdentitySource, failure: SyncFailure | undefined): Promise<void> {
    this.recordHealth(source, failure);
  }

  async getSourceHealth(): Promise<Partial<Record<IdentitySource, SourceHealth>>> {
    const found: Partial<Record<IdentitySource, SourceHealth>> = {};
    for (const [subject, item] of this.health) if (subject !== "kiro") found[subject] = healthOf(item);
    return found;
  }

  async recordKiroHealth(failure: SyncFailure | undefined): Promise<void> {
    this.recordHealth("kiro", failure);
  }

  async getKiroHealth(): Promise<SourceHealth | undefined> {
    const item = this.health.get("kiro");
    return item ? healthOf(item) : undefined;
  }

  /** Replaces the source's last check whole. */
  async recordScopeCheck(source: IdentitySource, unmatched: readonly ScopeMismatch[]): Promise<void> {
    this.scopeChecks.set(source, {
      unmatched: unmatched.map(({ entry, caseOnly }) => (caseOnly ? { entry, caseOnly } : { entry })),
      checkedAt: this.state.iso(),
    });
  }

  async getScopeChecks(): Promise<Partial<Record<IdentitySource, ScopeCheck>>> {
    return Object.fromEntries([...this.scopeChecks].map(([source, check]) => [source, copy(check)]));
  }

  private recordHealth(subject: IdentitySource | "kiro", failure: SyncFailure | undefined): void {
    const checkedAt = this.state.iso();
    const item: Partial<SourceHealth> = this.health.get(subject) ?? {};
    item.checkedAt = checkedAt;
    if (failure) {
      item.state = "degraded";
      item.since ??= checkedAt;
      item.code = failure.errorCode;
      item.reason = failure.reason.slice(0, 500);
    } else {
      item.state = "ok";
      remove(item, "since", "code", "reason");
    }
    this.health.set(subject, item as SourceHealth);
  }
}

function healthOf(item: SourceHealth): SourceHealth {
  return {
    state: item.state === "degraded" ? "degraded" : "ok",
    since: item.since,
    code: item.code,
    reason: item.reason,
    checkedAt: item.checkedAt,
  };
}
