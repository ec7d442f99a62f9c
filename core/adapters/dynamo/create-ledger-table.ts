import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { ledgerTable } from "./ledger-table";

/**
 * Creates the ledger table from {@link ledgerTable} where SST does not (DynamoDB Local for
 * `npm start`, tests and bench). An existing table is left as it is.
 */
export async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const attributeType = { string: "S", number: "N", binary: "B" } as const;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: Object.entries(ledgerTable.fields).map(([name, type]) => ({
          AttributeName: name,
          AttributeType: attributeType[type],
        })),
        KeySchema: [
          { AttributeName: ledgerTable.primaryIndex.hashKey, KeyType: "HASH" },
          { AttributeName: ledgerTable.primaryIndex.rangeKey, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: Object.entries(ledgerTable.globalIndexes).map(([name, index]) => ({
          IndexName: name,
          KeySchema: [
            { AttributeName: index.hashKey, KeyType: "HASH" },
            { AttributeName: index.rangeKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: index.projection === "all" ? "ALL" : "KEYS_ONLY" },
        })),
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ledgerTable.ttl, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
