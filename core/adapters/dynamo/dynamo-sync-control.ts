import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ScopeMismatch } from "../../domain/group-scope";
import type { IdentitySource } from "../../domain/identity-source";
import type {
  KiroTargetRecord,
  ScopeCheck,
  SourceHealth,
  SyncFailure,
  SyncPause,
} from "../../ports/ledger-records";
import type { SyncControl } from "../../ports/sync-control";
import { key, type LedgerTableAccess, unlessConditionFails } from "./ledger-table-access";

/**
 * One item each (the pause, the Kiro target, each source's and Kiro's health, each source's scope
 * check), read by every function, so the
 * whole sync agrees on them; the claims are conditional writes so exactly one worker acts.
 */
export class DynamoSyncControl implements SyncControl {
  constructor(private readonly table: LedgerTableAccess) {}

  async getSyncPause(): Promise<SyncPause | undefined> {
    const [item] = await this.table.batchGet([key.pause]);
    if (!item) return undefined;
    return {
      reason: String(item.reason),
      errorCode: String(item.errorCode),
      since: String(item.since),
      probeAt: String(item.probeAt),
    };
  }

  async pauseSync(pause: SyncPause): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.pause,
        UpdateExpression:
          "SET kind = :kind, reason = :reason, errorCode = :errorCode, since = if_not_exists(since, :since), probeAt = :probeAt",
        ExpressionAttributeValues: {
          ":kind": "PAUSE",
          ":reason": pause.reason.slice(0, 1000),
          ":errorCode": pause.errorCode,
          ":since": pause.since,
          ":probeAt": pause.probeAt,
        },
      }),
    );
  }

  async claimPauseProbe(now: string, nextProbeAt: string): Promise<boolean> {
    return unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key.pause,
          UpdateExpression: "SET probeAt = :next",
          ConditionExpression: "attribute_exists(pk) AND probeAt <= :now",
          ExpressionAttributeValues: { ":next": nextProbeAt, ":now": now },
        }),
      ),
    );
  }

  async clearSyncPause(): Promise<void> {
    await this.table.db.send(new DeleteCommand({ TableName: this.table.name, Key: key.pause }));
  }

  async getKiroTarget(): Promise<KiroTargetRecord | undefined> {
    const [item] = await this.table.batchGet([key.kiroTarget]);
    if (!item) return undefined;
    return {
      fingerprint: String(item.fingerprint),
      url: String(item.url),
      since: String(item.since),
      credential: item.credential === undefined ? undefined : String(item.credential),
      revision: item.revision === undefined ? undefined : Number(item.revision),
      reprovisionRunId: item.reprovisionRunId === undefined ? undefined : String(item.reprovisionRunId),
    };
  }

  async claimKiroTarget(target: KiroTargetRecord, previous: KiroTargetRecord | undefined): Promise<boolean> {
    const condition =
      previous === undefined
        ? { ConditionExpression: "attribute_not_exists(pk)" }
        : previous.revision === undefined
          ? { ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(revision)" }
          : {
              ConditionExpression: "revision = :previous",
              ExpressionAttributeValues: { ":previous": previous.revision },
            };
    return unlessConditionFails(
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...key.kiroTarget, kind: "TARGET", ...target, revision: (previous?.revision ?? 0) + 1 },
          ...condition,
        }),
      ),
    );
  }

  async recordSourceHealth(source: IdentitySource, failure: SyncFailure | undefined): Promise<void> {
    await this.recordHealth(key.health(source), failure);
  }

  async getSourceHealth(): Promise<Partial<Record<IdentitySource, SourceHealth>>> {
    const items = await this.table.batchGet([key.health("okta"), key.health("entra")]);
    return Object.fromEntries(items.map((item) => [String(item.sk), toHealth(item)]));
  }

  async recordKiroHealth(failure: SyncFailure | undefined): Promise<void> {
    await this.recordHealth(key.health("kiro"), failure);
  }

  async getKiroHealth(): Promise<SourceHealth | undefined> {
    const [item] = await this.table.batchGet([key.health("kiro")]);
    return item ? toHealth(item) : undefined;
  }

  /** An update, not a put: the reconcile's chunk worker may update the table but not put items. */
  async recordScopeCheck(source: IdentitySource, unmatched: readonly ScopeMismatch[]): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.scopeCheck(source),
        UpdateExpression: "SET kind = :kind, unmatched = :unmatched, checkedAt = :now",
        ExpressionAttributeValues: {
          ":kind": "SCOPE",
          ":unmatched": unmatched.map(({ entry, caseOnly }) => (caseOnly ? { entry, caseOnly } : { entry })),
          ":now": this.table.iso(),
        },
      }),
    );
  }

  async getScopeChecks(): Promise<Partial<Record<IdentitySource, ScopeCheck>>> {
    const items = await this.table.batchGet([key.scopeCheck("okta"), key.scopeCheck("entra")]);
    return Object.fromEntries(
      items.map((item) => [
        String(item.sk),
        { unmatched: item.unmatched as ScopeMismatch[], checkedAt: String(item.checkedAt) },
      ]),
    );
  }

  /** A failure keeps the start of the current streak; an ok check ends it and forgets the failure. */
  private async recordHealth(itemKey: { pk: string; sk: string }, failure: SyncFailure | undefined) {
    const now = this.table.iso();
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: itemKey,
        UpdateExpression: failure
          ? "SET #state = :degraded, checkedAt = :now, since = if_not_exists(since, :now), code = :code, reason = :reason"
          : "SET #state = :ok, checkedAt = :now REMOVE since, code, reason",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: failure
          ? {
              ":degraded": "degraded",
              ":now": now,
              ":code": failure.errorCode,
              ":reason": failure.reason.slice(0, 500),
            }
          : { ":ok": "ok", ":now": now },
      }),
    );
  }
}

function toHealth(item: Record<string, unknown>): SourceHealth {
  return {
    state: item.state === "degraded" ? "degraded" : "ok",
    since: item.since as string | undefined,
    code: item.code as string | undefined,
    reason: item.reason as string | undefined,
    checkedAt: String(item.checkedAt),
  };
}
