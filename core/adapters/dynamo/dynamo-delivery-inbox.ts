import { DeleteCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { type IdentitySource, IdentitySourceSchema } from "../../domain/identity-source";
import type { DeliveryInbox, WaitingDelivery } from "../../ports/delivery-inbox";
import { type Item, key, type LedgerTableAccess } from "./ledger-table-access";

/** The byCollection partition of waiting deliveries, sorted by arrival. */
const inboxCollection = "INBOX";

/** DynamoDB's item limit is 400 KB; a part's events stay well under it, with room for the keys. */
const maxPartBytes = 300_000;

/**
 * A delivery as one item per part (one part for any delivery Okta batches), events as a JSON
 * string. Only part 0 is in the inbox collection, so the sweep and /status list deliveries, not
 * parts; parts are written before the hook publishes, so a reader that finds fewer than part 0
 * announces caught a re-keep or a forget half done and fails, to be retried.
 */
export class DynamoDeliveryInbox implements DeliveryInbox {
  constructor(private readonly table: LedgerTableAccess) {}

  async keepDelivery(
    source: IdentitySource,
    deliveryId: string,
    events: readonly unknown[],
    rejectedEvents = 0,
  ): Promise<void> {
    const parts = splitIntoParts(events);
    const receivedAt = this.table.iso();
    await Promise.all(
      parts.map((json, part) =>
        this.table.db.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              ...key.delivery(source, deliveryId, part),
              kind: "DELIVERY",
              events: json,
              ...(part === 0
                ? {
                    source,
                    deliveryId,
                    receivedAt,
                    parts: parts.length,
                    ...(rejectedEvents > 0 ? { rejectedEvents } : {}),
                    gsi2pk: inboxCollection,
                    gsi2sk: `${receivedAt}#${source}#${deliveryId}`,
                  }
                : {}),
            },
          }),
        ),
      ),
    );
  }

  async readDelivery(
    source: IdentitySource,
    deliveryId: string,
  ): Promise<{ receivedAt: string; events: unknown[]; rejectedEvents: number } | undefined> {
    const items = await this.parts(source, deliveryId);
    const head = items.find((item) => item.sk === key.delivery(source, deliveryId, 0).sk);
    if (!head) return undefined;
    if (items.length !== Number(head.parts))
      throw new Error(`delivery ${deliveryId}: ${items.length} of ${String(head.parts)} parts`);
    return {
      receivedAt: String(head.receivedAt),
      events: items.flatMap((item) => JSON.parse(String(item.events)) as unknown[]),
      rejectedEvents: Number(head.rejectedEvents ?? 0),
    };
  }

  async forgetDelivery(source: IdentitySource, deliveryId: string): Promise<void> {
    const items = await this.parts(source, deliveryId);
    await Promise.all(
      items.map((item) =>
        this.table.db.send(
          new DeleteCommand({ TableName: this.table.name, Key: { pk: item.pk, sk: item.sk } }),
        ),
      ),
    );
  }

  async listWaitingDeliveries(limit: number): Promise<WaitingDelivery[]> {
    const result = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: "byCollection",
        KeyConditionExpression: "gsi2pk = :pk",
        ExpressionAttributeValues: { ":pk": inboxCollection },
        Limit: limit,
      }),
    );
    return (result.Items ?? []).flatMap((item) => {
      const [receivedAt, source, deliveryId] = String(item.gsi2sk).split("#");
      const known = IdentitySourceSchema.safeParse(source);
      return known.success && receivedAt && deliveryId
        ? [{ source: known.data, deliveryId, receivedAt }]
        : [];
    });
  }

  /** Parts in order (the sort key pads the part number). */
  private parts(source: IdentitySource, deliveryId: string): Promise<Item[]> {
    return this.table.queryAll({
      TableName: this.table.name,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": key.delivery(source, deliveryId, 0).pk },
      ConsistentRead: true,
    });
  }
}

/** Events as JSON strings of at most `maxPartBytes` each (an event is never split). */
function splitIntoParts(events: readonly unknown[]): string[] {
  const parts: string[][] = [[]];
  let size = 2;
  for (const event of events) {
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json, "utf8") + 1;
    const current = parts[parts.length - 1]!;
    if (current.length > 0 && size + bytes > maxPartBytes) {
      parts.push([json]);
      size = 2 + bytes;
    } else {
      current.push(json);
      size += bytes;
    }
  }
  return parts.map((jsons) => `[${jsons.join(",")}]`);
}
