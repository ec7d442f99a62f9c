import { type IdentitySource, IdentitySourceSchema } from "../domain/identity-source";
import type { GroupRecords } from "../ports/group-records";
import { type GroupRecord, lookupNameMaxBytes, type UserRecord } from "../ports/ledger-records";
import type { UserRecords } from "../ports/user-records";

/** One object an identifier may name, as a 409 lists them: enough to ask again by id and source. */
export interface Candidate {
  source: IdentitySource;
  id: string;
  name: string | undefined;
}

/**
 * The users an operator's identifier names: an IdP id, a login or an email, of one source or both.
 * An id is read by key, a login or email through the ledger's lookup (one query each, never a scan).
 * An identifier longer than any IdP allows names nothing (and never reaches a DynamoDB key).
 */
export async function findUsers(
  ledger: Pick<UserRecords, "getUsers" | "findUsers">,
  identifier: string,
  source: IdentitySource | undefined,
): Promise<UserRecord[]> {
  if (!usable(identifier)) return [];
  const sources = source ? [source] : IdentitySourceSchema.options;
  const [byName, ...byId] = await Promise.all([
    ledger.findUsers(identifier),
    ...sources.map((each) => ledger.getUsers(each, [identifier])),
  ]);
  return distinct(
    [...byId.flatMap((found) => [...found.values()]), ...byName].filter(
      (user) => !source || user.source === source,
    ),
  );
}

/** The groups an identifier names: an IdP id or a group name, of one source or both. */
export async function findGroups(
  ledger: Pick<GroupRecords, "getGroups" | "findGroupsByName">,
  identifier: string,
  source: IdentitySource | undefined,
): Promise<GroupRecord[]> {
  if (!usable(identifier)) return [];
  const sources = source ? [source] : IdentitySourceSchema.options;
  const [byName, ...byId] = await Promise.all([
    ledger.findGroupsByName(identifier),
    ...sources.map((each) => ledger.getGroups(each, [identifier])),
  ]);
  return distinct(
    [...byId.flatMap((found) => [...found.values()]), ...byName].filter(
      (group) => !source || group.source === source,
    ),
  );
}

export const userCandidate = (user: UserRecord): Candidate => ({
  source: user.source,
  id: user.idpId,
  name: user.profile?.userName,
});

export const groupCandidate = (group: GroupRecord): Candidate => ({
  source: group.source,
  id: group.idpId,
  name: group.name,
});

const usable = (identifier: string) =>
  identifier !== "" && Buffer.byteLength(identifier) <= lookupNameMaxBytes;

function distinct<T extends { source: IdentitySource; idpId: string }>(records: T[]): T[] {
  const seen = new Map<string, T>();
  for (const record of records) seen.set(`${record.source}#${record.idpId}`, record);
  return [...seen.values()];
}
