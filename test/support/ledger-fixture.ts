import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";
import { createLedgerTable } from "../../core/adapters/dynamo/create-ledger-table";
import { DynamoLedger, type DynamoLedgerOptions } from "../../core/adapters/dynamo/dynamo-ledger";
import { localAwsConfig } from "../../local/dynamodb-local";

/** A fresh ledger table on the run's DynamoDB Local, so test files never see each other's items. */
export async function freshLedger(
  options: Partial<DynamoLedgerOptions> = {},
): Promise<{ ledger: DynamoLedger; client: DynamoDBClient; tableName: string }> {
  const client = new DynamoDBClient({ ...localAwsConfig, endpoint: inject("dynamoEndpoint") });
  const tableName = `ledger-${randomUUID()}`;
  await createLedgerTable(client, tableName);
  return { ledger: new DynamoLedger({ client, tableName, ...options }), client, tableName };
}
