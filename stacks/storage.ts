import { ledgerTable } from "../core/adapters/dynamo/ledger-table";

/**
 * The ledger: desired and applied state, per-item status, dedupe ids, leases. Same definition as
 * DynamoDB Local uses in `npm start` and the tests. Point-in-time recovery is on because this table
 * is the only record of what we applied to Kiro.
 */
export const ledger = new sst.aws.Dynamo("Ledger", {
  fields: ledgerTable.fields,
  primaryIndex: ledgerTable.primaryIndex,
  globalIndexes: ledgerTable.globalIndexes,
  ttl: ledgerTable.ttl,
  deletionProtection: $app.stage === "production",
  transform: {
    table: (args) => {
      args.pointInTimeRecovery = { enabled: true };
    },
  },
});
