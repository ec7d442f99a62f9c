import { createLedgerTable } from "../core/adapters/dynamo/create-ledger-table";
import { DynamoLedger } from "../core/adapters/dynamo/dynamo-ledger";
import { ScimHttpClient } from "../core/adapters/scim/scim-http-client";
import type { ServiceConfig } from "../core/config";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb-local";
import { KiroScimEmulator } from "./scim-emulator/kiro-scim-emulator";

export interface LocalStack {
  dynamo: DynamoDbLocal;
  /** Absent when KIRO_SCIM_URL/KIRO_SCIM_TOKEN point at a real Kiro profile. */
  emulator: KiroScimEmulator | undefined;
  kiroScim: { url: string; token: string };
  ledger: DynamoLedger;
  scim: ScimHttpClient;
  stop(): Promise<void>;
}

/**
 * Everything `npm start`, the end-to-end tests and the bench run on: DynamoDB Local with the ledger
 * table, and the Kiro SCIM emulator unless real Kiro credentials are configured. The adapters are
 * the same classes that run in AWS; only their endpoints differ.
 */
export async function startLocalStack(config: ServiceConfig): Promise<LocalStack> {
  const dynamo = await startDynamoDbLocal();
  try {
    await createLedgerTable(dynamo.client, config.ledgerTableName);
    const emulator = config.kiroScim ? undefined : await KiroScimEmulator.start();
    const kiroScim = config.kiroScim ?? { url: emulator!.profile.scimUrl, token: emulator!.profile.token };
    const ledger = new DynamoLedger({ client: dynamo.client, tableName: config.ledgerTableName });
    const scim = new ScimHttpClient({
      baseUrl: kiroScim.url,
      token: kiroScim.token,
      requestTimeoutMs: config.scimRequestTimeoutMs,
      retryPolicy: config.retryPolicy,
    });
    return {
      dynamo,
      emulator,
      kiroScim,
      ledger,
      scim,
      stop: async () => {
        await emulator?.stop();
        await dynamo.stop();
      },
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
