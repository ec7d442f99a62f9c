/**
 * The ledger's single-table definition, the one source for both stacks/storage.ts (sst.aws.Dynamo)
 * and local/ (CreateTable against DynamoDB Local). Plain data, no SDK import, so sst.config.ts can
 * load it.
 *
 * - `byStatus` (gsi1): `{source}#{KIND}#{status}` → since (ISO time). Pending and failed items sort
 *   by when their change landed, so "oldest pending first" is one Query. Synced memberships leave
 *   the index (sparse) so a bulk re-provision cannot turn one partition key hot.
 * - `byCollection` (gsi2, keys only): `{source}#GROUPS` / `{source}#USERS` → id, and
 *   `{source}#USERGROUPS#{userId}` → groupId for "which groups is this user in".
 */
export const ledgerTable = {
  fields: {
    pk: "string",
    sk: "string",
    gsi1pk: "string",
    gsi1sk: "string",
    gsi2pk: "string",
    gsi2sk: "string",
  },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: {
    byStatus: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: "all" },
    byCollection: { hashKey: "gsi2pk", rangeKey: "gsi2sk", projection: "keys-only" },
  },
  ttl: "expiresAt",
} as const;

export type LedgerIndexName = keyof typeof ledgerTable.globalIndexes;
