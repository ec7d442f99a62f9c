import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoProvisioningLog } from "../../core/adapters/dynamo/dynamo-provisioning-log";
import { LedgerTableAccess } from "../../core/adapters/dynamo/ledger-table-access";
import type { ProvisioningLogEntry } from "../../core/ports/provisioning-log";
import { freshLedger } from "../support/ledger-fixture";

async function freshLog(retentionDays = 30) {
  const { client, tableName } = await freshLedger();
  return {
    log: new DynamoProvisioningLog(new LedgerTableAccess({ client, tableName }), retentionDays),
    client,
    tableName,
  };
}

const entry = (at: string, changes: Partial<ProvisioningLogEntry> = {}): ProvisioningLogEntry => ({
  at,
  source: "okta",
  kind: "USER",
  objectId: "00ualice",
  name: "alice@acme.test",
  action: "create",
  result: "success",
  ...changes,
});

/* Entries from three days ago to today: DynamoDB Local deletes items past their TTL, as AWS does, so
   fixed dates would expire under a later run. */
const dayOf = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
const [d0, d1, d2, d3] = [dayOf(3), dayOf(2), dayOf(1), dayOf(0)];
const window = { since: `${d1}T00:00:00.000Z`, until: `${d3}T23:59:59.999Z`, limit: 100 };

describe("DynamoProvisioningLog", () => {
  it("reads a user's entries and its memberships' in one view, and a group's with its members'", async () => {
    // Prepare
    const { log } = await freshLog();
    await log.appendLogEntries([
      entry(`${d1}T10:00:00.000Z`),
      entry(`${d1}T10:00:01.000Z`, { kind: "GROUP", objectId: "00gsales", name: "Sales" }),
      entry(`${d1}T10:00:02.000Z`, {
        kind: "MEMBER",
        objectId: "00gsales/00ualice",
        action: "add-member",
      }),
      entry(`${d1}T10:00:03.000Z`, { objectId: "00ubob", name: "bob@acme.test" }),
    ]);

    // Act
    const alice = await log.listObjectLog("okta", "USER", "00ualice", window);
    const sales = await log.listObjectLog("okta", "GROUP", "00gsales", window);

    // Assess
    expect(alice.entries.map((each) => `${each.kind} ${each.action}`)).toEqual([
      "MEMBER add-member",
      "USER create",
    ]);
    expect(sales.entries.map((each) => `${each.kind} ${each.action}`)).toEqual([
      "MEMBER add-member",
      "GROUP create",
    ]);
  });

  it("lists the whole log newest first across days, a page at a time, within the window", async () => {
    // Prepare
    const { log } = await freshLog();
    const times = [
      `${d0}T23:00:00.000Z`,
      `${d1}T09:00:00.000Z`,
      `${d2}T09:00:00.000Z`,
      `${d2}T10:00:00.000Z`,
      `${d3}T09:00:00.000Z`,
    ];
    await log.appendLogEntries(times.map((at, index) => entry(at, { objectId: `00u${index}` })));

    // Act
    const first = await log.listLog({ ...window, limit: 2 });
    const second = await log.listLog({ ...window, limit: 2, after: first.next });
    const third = await log.listLog({ ...window, limit: 2, after: second.next });

    // Assess
    expect([...first.entries, ...second.entries, ...third.entries].map((each) => each.at)).toEqual(
      times.slice(1).reverse(),
    );
  });

  it("writes 60 entries in batches and sets each to expire after the retention period", async () => {
    // Prepare
    const { log, client, tableName } = await freshLog(7);
    const entries = Array.from({ length: 60 }, (_, index) =>
      entry(`${d1}T10:00:${String(index).padStart(2, "0")}.000Z`, { objectId: "00ucarol" }),
    );

    // Act
    await log.appendLogEntries(entries);
    const page = await log.listObjectLog("okta", "USER", "00ucarol", window);
    const [oldest] = page.entries.slice(-1);

    // Assess
    expect(page.entries).toHaveLength(60);
    expect(oldest?.at).toBe(`${d1}T10:00:00.000Z`);
    const raw = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: "LOG#okta#USER#00ucarol" } },
        Limit: 1,
      }),
    );
    expect(Number(raw.Items?.[0]?.expiresAt?.N)).toBe(Date.parse(`${d1}T10:00:00.000Z`) / 1000 + 7 * 86_400);
  });
});
