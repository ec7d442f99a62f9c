import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { EntraSyncState } from "../../ports/entra-sync-state";
import type { SubscriptionRecord } from "../../ports/ledger-records";
import { type Item, key, type LedgerTableAccess } from "./ledger-table-access";

/** Kept in the ledger table so whichever function renews a subscription or resumes a delta round finds them. */
export class DynamoEntraSyncState implements EntraSyncState {
  constructor(private readonly table: LedgerTableAccess) {}

  async getSubscription(resource: string): Promise<SubscriptionRecord | undefined> {
    const [item] = await this.table.batchGet([key.subscription(resource)]);
    return item ? toSubscriptionRecord(item) : undefined;
  }

  async recordSubscription(record: SubscriptionRecord): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...key.subscription(record.resource),
          kind: "SUBSCRIPTION",
          gsi2pk: "entra#SUBSCRIPTIONS",
          gsi2sk: record.resource,
          ...record,
        },
      }),
    );
  }

  async listSubscriptions(): Promise<SubscriptionRecord[]> {
    return (await this.table.collection("entra#SUBSCRIPTIONS")).map(toSubscriptionRecord);
  }

  async getDeltaLink(name: string): Promise<string | undefined> {
    const [item] = await this.table.batchGet([key.deltaLink(name)]);
    return item?.deltaLink as string | undefined;
  }

  async recordDeltaLink(name: string, deltaLink: string | undefined): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...key.deltaLink(name),
          kind: "DELTA",
          updatedAt: this.table.iso(),
          ...(deltaLink ? { deltaLink } : {}),
        },
      }),
    );
  }
}

function toSubscriptionRecord(item: Item): SubscriptionRecord {
  return {
    resource: String(item.resource),
    subscriptionId: String(item.subscriptionId),
    expiresAt: String(item.expiresAt),
    renewalError: item.renewalError as string | undefined,
    renewalFailedAt: item.renewalFailedAt as string | undefined,
  };
}
