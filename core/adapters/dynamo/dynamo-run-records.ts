import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import type { HeldRemovals, NewRun, RunAdvance, RunRecord, RunStep } from "../../ports/ledger-records";
import type { RunRecords } from "../../ports/run-records";
import { type Item, key, type LedgerTableAccess, unlessConditionFails } from "./ledger-table-access";

/** A run's position as one comparable string, so advancing can be a conditional write. */
const stepKey = (step: RunStep | undefined) =>
  step ? `${step.phase}|${step.source ?? ""}|${step.cursor ?? ""}` : "finished";

/**
 * Run items, which expire after 30 days. A run's held removals share its partition, so taking them
 * for approval is one Query.
 */
export class DynamoRunRecords implements RunRecords {
  constructor(private readonly table: LedgerTableAccess) {}

  async startRun(run: NewRun): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...key.run(run.runId),
          ...run,
          kind: "RUN",
          runKind: run.kind,
          stepKey: stepKey(run.step),
          removals: 0,
          chunks: 0,
          itemsDone: 0,
          gsi2pk: "RUNS",
          gsi2sk: `${run.startedAt}#${run.runId}`,
          updatedAt: run.startedAt,
          expiresAt: Math.floor(Date.now() / 1000) + 30 * 86_400,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const [item] = await this.table.batchGet([key.run(runId)]);
    return item ? toRunRecord(item) : undefined;
  }

  async advanceRun(runId: string, from: RunStep, advance: RunAdvance): Promise<boolean> {
    const values: Item = {
      ":from": stepKey(from),
      ":to": stepKey(advance.next),
      ":done": advance.itemsDone,
      ":one": 1,
      ":now": this.table.iso(),
    };
    const sets = ["stepKey = :to", "updatedAt = :now"];
    if (advance.next) {
      sets.push("step = :step");
      values[":step"] = advance.next;
    } else {
      sets.push("finishedAt = :now");
    }
    if (advance.unmanaged) {
      sets.push("unmanaged = :unmanaged");
      values[":unmanaged"] = advance.unmanaged;
    }
    if (advance.drift) {
      sets.push("drift = :drift");
      values[":drift"] = advance.drift;
    }
    if (advance.skipped) {
      sets.push("skipped = list_append(if_not_exists(skipped, :none), :skipped)");
      values[":skipped"] = [advance.skipped];
      values[":none"] = [];
    }
    return unlessConditionFails(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key.run(runId),
          UpdateExpression: `SET ${sets.join(", ")} ADD chunks :one, itemsDone :done${advance.next ? "" : " REMOVE step"}`,
          ConditionExpression: "stepKey = :from",
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    const result = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: "byCollection",
        KeyConditionExpression: "gsi2pk = :pk",
        ExpressionAttributeValues: { ":pk": "RUNS" },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const keys = (result.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    return (await this.table.batchGet(keys))
      .map(toRunRecord)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async countRunRemovals(runId: string, count: number): Promise<{ total: number; managedUsers: number }> {
    const result = await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.run(runId),
        UpdateExpression: "ADD removals :count",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":count": count },
        ReturnValues: "ALL_NEW",
      }),
    );
    return {
      total: Number(result.Attributes?.removals ?? count),
      managedUsers: Number(result.Attributes?.managedUsers ?? 0),
    };
  }

  async failRun(runId: string, reason: string): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key.run(runId),
        UpdateExpression: "SET #error = :reason, updatedAt = :now",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: { "#error": "error" },
        ExpressionAttributeValues: { ":reason": reason.slice(0, 1000), ":now": this.table.iso() },
      }),
    );
  }

  async holdRemovals(held: HeldRemovals): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...key.held(held.runId, held.source, held.groupId),
          kind: "HELD",
          gsi2pk: "HELD",
          gsi2sk: `${held.heldAt}#${held.runId}#${held.groupId}`,
          ...held,
        },
      }),
    );
  }

  async listHeldRemovals(): Promise<HeldRemovals[]> {
    return (await this.table.collection("HELD")).map(toHeldRemovals);
  }

  async takeHeldRemovals(runId: string): Promise<HeldRemovals[]> {
    const items = await this.table.queryAll({
      TableName: this.table.name,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :held)",
      ExpressionAttributeValues: { ":pk": key.run(runId).pk, ":held": "HELD#" },
      ConsistentRead: true,
    });
    await forEachLimited(items, 8, async (item) => {
      await this.table.db.send(
        new DeleteCommand({ TableName: this.table.name, Key: { pk: item.pk, sk: item.sk } }),
      );
    });
    return items.map(toHeldRemovals);
  }
}

function toRunRecord(item: Item): RunRecord {
  return {
    runId: String(item.runId),
    kind: item.runKind as RunRecord["kind"],
    reason: String(item.reason ?? ""),
    startedAt: String(item.startedAt),
    managedUsers: Number(item.managedUsers ?? 0),
    total: Number(item.total ?? 0),
    step: item.step as RunStep | undefined,
    removals: Number(item.removals ?? 0),
    chunks: Number(item.chunks ?? 0),
    itemsDone: Number(item.itemsDone ?? 0),
    finishedAt: item.finishedAt === undefined ? undefined : String(item.finishedAt),
    unmanaged: item.unmanaged as RunRecord["unmanaged"],
    drift: item.drift as RunRecord["drift"],
    skipped: item.skipped as string[] | undefined,
    deep: item.deep === true ? true : undefined,
    updatedAt: String(item.updatedAt ?? item.startedAt),
    error: item.error === undefined ? undefined : String(item.error),
  };
}

function toHeldRemovals(item: Item): HeldRemovals {
  return {
    runId: String(item.runId),
    source: item.source as IdentitySource,
    groupId: String(item.groupId),
    userIds: (item.userIds as string[] | undefined) ?? [],
    reason: String(item.reason),
    heldAt: String(item.heldAt),
  };
}
