import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "../../domain/concurrency";
import type { IdentitySource } from "../../domain/identity-source";
import type {
  HeldRemovals,
  NewRun,
  RunAdvance,
  RunItem,
  RunItemCounts,
  RunItemOutcome,
  RunItemRef,
  RunRecord,
  RunStep,
} from "../../ports/ledger-records";
import type { RunRecords } from "../../ports/run-records";
import { type Item, key, type LedgerTableAccess, unlessConditionFails } from "./ledger-table-access";

/** A run's position as one comparable string, so advancing can be a conditional write. */
const stepKey = (step: RunStep | undefined) =>
  step ? `${step.phase}|${step.source ?? ""}|${step.cursor ?? ""}` : "finished";

/** Runs and their items expire after 30 days. */
const runExpiry = () => Math.floor(Date.now() / 1000) + 30 * 86_400;

const itemKinds = { GROUP: "groups", USER: "users" } as const;
/** The run item's counter of one kind of item in one state, e.g. `groupsDone`. */
const counter = (kind: RunItemRef["kind"], field: keyof RunItemCounts) =>
  `${itemKinds[kind]}${field[0]!.toUpperCase()}${field.slice(1)}`;
const counterFields: (keyof RunItemCounts)[] = ["total", "done", "failed", "skipped"];

/**
 * Run items, which expire after 30 days. A run's held removals and queued items share its
 * partition, so taking them for approval, or recounting them, is one Query.
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
          planned: false,
          gsi2pk: "RUNS",
          gsi2sk: `${run.startedAt}#${run.runId}`,
          updatedAt: run.startedAt,
          expiresAt: runExpiry(),
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
      ":one": 1,
      ":now": this.table.iso(),
    };
    const sets = ["stepKey = :to", "updatedAt = :now"];
    const adds = ["chunks :one"];
    if (advance.next) {
      sets.push("step = :step");
      values[":step"] = advance.next;
    } else {
      sets.push("finishedAt = :now");
    }
    if (advance.tally) {
      for (const kind of ["GROUP", "USER"] as const)
        for (const field of counterFields) {
          const name = counter(kind, field);
          sets.push(`${name} = :${name}`);
          values[`:${name}`] = advance.tally.items[itemKinds[kind]][field];
        }
      sets.push("planned = :true", "failedItems = :failedItems");
      values[":true"] = true;
      values[":failedItems"] = advance.tally.failedItems;
    } else {
      if (advance.plannedGroups !== undefined) {
        sets.push("groupsTotal = :plannedGroups", "planned = :true");
        values[":plannedGroups"] = advance.plannedGroups;
        values[":true"] = true;
      } else if (advance.queued?.groups) {
        adds.push("groupsTotal :queuedGroups");
        values[":queuedGroups"] = advance.queued.groups;
      }
      if (advance.queued?.users) {
        adds.push("usersTotal :queuedUsers");
        values[":queuedUsers"] = advance.queued.users;
      }
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
          UpdateExpression: `SET ${sets.join(", ")} ADD ${adds.join(", ")}${advance.next ? "" : " REMOVE step"}`,
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

  /** One conditional write per item (16 at a time): a batch write could not leave a settled item alone. */
  async queueRunItems(runId: string, items: readonly RunItemRef[]): Promise<number> {
    let queued = 0;
    await forEachLimited(items, 16, async (item) => {
      const written = await unlessConditionFails(
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: key.runItem(runId, item.source, item.kind, item.id),
            UpdateExpression:
              "SET kind = :kind, runId = :runId, itemKind = :itemKind, #source = :source, itemId = :id, #state = :queued, expiresAt = :expiresAt" +
              (item.name === undefined ? "" : ", #name = :name"),
            ConditionExpression: "attribute_not_exists(pk)",
            ExpressionAttributeNames: {
              "#source": "source",
              "#state": "state",
              ...(item.name === undefined ? {} : { "#name": "name" }),
            },
            ExpressionAttributeValues: {
              ":kind": "RUNITEM",
              ":runId": runId,
              ":itemKind": item.kind,
              ":source": item.source,
              ":id": item.id,
              ":queued": "queued",
              ":expiresAt": runExpiry(),
              ...(item.name === undefined ? {} : { ":name": item.name.slice(0, 512) }),
            },
          }),
        ),
      );
      if (written) queued += 1;
    });
    return queued;
  }

  /**
   * Each item moves from queued in its own conditional write, then one write counts the ones that
   * moved on the run. A crash between them loses a count, never adds one: the run's recount
   * (see run-progress.ts) finds the item settled and finishes the run on the items themselves.
   */
  async settleRunItems(runId: string, outcomes: readonly RunItemOutcome[]): Promise<RunRecord | undefined> {
    const moved: RunItemOutcome[] = [];
    const now = this.table.iso();
    await forEachLimited(outcomes, 16, async (outcome) => {
      const settled = await unlessConditionFails(
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: key.runItem(runId, outcome.source, outcome.kind, outcome.id),
            UpdateExpression: `SET #state = :state, settledAt = :now${outcome.reason === undefined ? "" : ", reason = :reason"}${outcome.errorCode === undefined ? "" : ", errorCode = :errorCode"}`,
            ConditionExpression: "#state = :queued",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: {
              ":state": outcome.state,
              ":queued": "queued",
              ":now": now,
              ...(outcome.reason === undefined ? {} : { ":reason": outcome.reason.slice(0, 1000) }),
              ...(outcome.errorCode === undefined ? {} : { ":errorCode": outcome.errorCode }),
            },
          }),
        ),
      );
      if (settled) moved.push(outcome);
    });
    if (moved.length === 0) return undefined;
    const counts = new Map<string, number>();
    for (const outcome of moved) {
      const name = counter(outcome.kind, outcome.state);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    let run: RunRecord | undefined;
    await unlessConditionFails(
      this.table.db
        .send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: key.run(runId),
            UpdateExpression: `SET updatedAt = :now ADD ${[...counts.keys()].map((name) => `${name} :${name}`).join(", ")}`,
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: {
              ":now": now,
              ...Object.fromEntries([...counts].map(([name, count]) => [`:${name}`, count])),
            },
            ReturnValues: "ALL_NEW",
          }),
        )
        .then((result) => {
          if (result.Attributes) run = toRunRecord(result.Attributes);
        }),
    );
    return run;
  }

  async listRunItems(runId: string): Promise<RunItem[]> {
    const items = await this.table.queryAll({
      TableName: this.table.name,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :item)",
      ExpressionAttributeValues: { ":pk": key.run(runId).pk, ":item": "ITEM#" },
      ConsistentRead: true,
    });
    return items.map(toRunItem);
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
  const counts = (kind: RunItemRef["kind"]): RunItemCounts =>
    Object.fromEntries(
      counterFields.map((field) => [field, Number(item[counter(kind, field)] ?? 0)]),
    ) as unknown as RunItemCounts;
  return {
    runId: String(item.runId),
    kind: item.runKind as RunRecord["kind"],
    reason: String(item.reason ?? ""),
    startedAt: String(item.startedAt),
    managedUsers: Number(item.managedUsers ?? 0),
    step: item.step as RunStep | undefined,
    removals: Number(item.removals ?? 0),
    chunks: Number(item.chunks ?? 0),
    items: { groups: counts("GROUP"), users: counts("USER") },
    planned: item.planned === true,
    failedItems: item.failedItems as RunItemOutcome[] | undefined,
    finishedAt: item.finishedAt === undefined ? undefined : String(item.finishedAt),
    unmanaged: item.unmanaged as RunRecord["unmanaged"],
    drift: item.drift as RunRecord["drift"],
    skipped: item.skipped as string[] | undefined,
    deep: item.deep === true ? true : undefined,
    updatedAt: String(item.updatedAt ?? item.startedAt),
    error: item.error === undefined ? undefined : String(item.error),
  };
}

function toRunItem(item: Item): RunItem {
  return {
    source: item.source as IdentitySource,
    kind: item.itemKind as RunItem["kind"],
    id: String(item.itemId),
    name: item.name === undefined ? undefined : String(item.name),
    state: item.state as RunItem["state"],
    reason: item.reason === undefined ? undefined : String(item.reason),
    errorCode: item.errorCode === undefined ? undefined : String(item.errorCode),
    settledAt: item.settledAt === undefined ? undefined : String(item.settledAt),
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
