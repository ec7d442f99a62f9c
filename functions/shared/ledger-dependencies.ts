import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import type { ServiceConfig } from "../../core/config";
import { GroupScope } from "../../core/domain/group-scope";
import type { Ledger } from "../../core/ports/ledger";

/** What every function has: its configuration, the ledger and the sync scope. */
export interface LedgerDependencies {
  config: ServiceConfig;
  ledger: Ledger;
  scope: GroupScope;
}

/** DynamoDB in AWS, DynamoDB Local through DYNAMODB_ENDPOINT (or the client a local runtime passes). */
export function ledgerDependencies(config: ServiceConfig, dynamo?: DynamoDBClient): LedgerDependencies {
  const client =
    dynamo ?? new DynamoDBClient(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {});
  return {
    config,
    ledger: new DynamoLedger({ client, tableName: config.ledgerTableName }),
    scope: new GroupScope(config.syncGroups),
  };
}
