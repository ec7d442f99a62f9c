import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { DynamoProvisioningLog } from "../../core/adapters/dynamo/dynamo-provisioning-log";
import { LedgerTableAccess } from "../../core/adapters/dynamo/ledger-table-access";
import type { ServiceConfig } from "../../core/config";
import { GroupScope } from "../../core/domain/group-scope";
import type { Ledger } from "../../core/ports/ledger";
import type { ProvisioningLog } from "../../core/ports/provisioning-log";

/** What every function has: its configuration, the ledger and the sync scope. */
export interface LedgerDependencies {
  config: ServiceConfig;
  ledger: Ledger;
  /** On the ledger's table; its entries expire after LOG_RETENTION_DAYS. */
  log: ProvisioningLog;
  scope: GroupScope;
}

/** DynamoDB in AWS, DynamoDB Local through DYNAMODB_ENDPOINT (or the client a local runtime passes). */
export function ledgerDependencies(config: ServiceConfig, dynamo?: DynamoDBClient): LedgerDependencies {
  const client =
    dynamo ?? new DynamoDBClient(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {});
  return {
    config,
    ledger: new DynamoLedger({ client, tableName: config.ledgerTableName }),
    log: new DynamoProvisioningLog(
      new LedgerTableAccess({ client, tableName: config.ledgerTableName }),
      config.logRetentionDays,
    ),
    scope: new GroupScope(config.syncGroups),
  };
}
