import { randomUUID } from "node:crypto";
import { createLedgerTable } from "../core/adapters/dynamo/create-ledger-table";
import { DynamoLedger } from "../core/adapters/dynamo/dynamo-ledger";
import { changeVersion } from "../core/domain/identity-source";
import type { DynamoDbLocal } from "../local/dynamodb-local";
import { latencies, percentile, round, timed } from "./stats";

/** Ledger operations on DynamoDB Local: indicative only (Local is slower than the real service). */
export async function benchLedger(dynamo: DynamoDbLocal) {
  const tableName = `bench-${randomUUID()}`;
  await createLedgerTable(dynamo.client, tableName);
  const ledger = new DynamoLedger({ client: dynamo.client, tableName });
  const writes = 2_000;
  const recorded = await timed(() =>
    latencies(writes, 16, (index) =>
      ledger.recordDesiredMembership(
        "okta",
        `g${index % 20}`,
        `u${index}`,
        true,
        changeVersion(new Date(), `e${index}`),
      ),
    ),
  );
  const oldestPending = await latencies(200, 4, () => ledger.listByStatus("okta", "MEMBER", "pending", 50));
  const lease = await latencies(200, 4, async (index) => {
    const group = `g${index % 20}`;
    await ledger.acquireGroupLease("okta", group, `w${index}`, 30_000);
    await ledger.releaseGroupLease("okta", group, `w${index}`);
  });
  return {
    desiredMembershipWrites: {
      count: writes,
      perSecond: round(writes / (recorded.ms / 1000), 0),
      p50Ms: round(percentile(recorded.value, 50)),
      p99Ms: round(percentile(recorded.value, 99)),
    },
    oldestPending50: {
      p50Ms: round(percentile(oldestPending, 50)),
      p99Ms: round(percentile(oldestPending, 99)),
    },
    leaseAcquireRelease: { p50Ms: round(percentile(lease, 50)), p99Ms: round(percentile(lease, 99)) },
  };
}
