import type { IdentitySource } from "../domain/identity-source";
import type { KiroUserProfile } from "../domain/kiro-user";
import type { DirectoryUser, IdentityDirectory } from "../ports/identity-directory";
import type { UserLifecycle, UserRecord } from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { UserRecords } from "../ports/user-records";

export interface UserReread {
  /** Users whose profile or status the IdP changed since the ledger last read them. */
  changed: string[];
  /** Users the IdP no longer has, now marked deleted and taken out of every group. */
  deleted: string[];
  /** Groups whose desired membership changed (a deleted user), to trigger. */
  groupsTouched: string[];
}

/**
 * Compares what the IdP says of each known user now with what the ledger last recorded, and
 * records only the differences (at `version`, the read's own time, so a newer event still wins).
 * `read` holds the users that were read: `undefined` for one the IdP no longer has, which is marked
 * deleted and removed from its groups as a deletion event would; a user not in `read` was not read.
 * Users the ledger does not know are ignored (not in scope), and an unchanged user gets no write
 * at all, so a re-read of a converged directory writes nothing.
 */
export async function recordUserRereads(
  ledger: MembershipRecords & UserRecords,
  source: IdentitySource,
  known: ReadonlyMap<string, UserRecord>,
  read: ReadonlyMap<string, DirectoryUser | undefined>,
  version: string,
): Promise<UserReread> {
  const outcome: UserReread = { changed: [], deleted: [], groupsTouched: [] };
  for (const [userId, record] of known) {
    if (!read.has(userId)) continue;
    const user = read.get(userId);
    if (!user) {
      if (record.lifecycle === "deleted") continue;
      await ledger.recordUserLifecycle(source, userId, "deleted", version);
      for (const groupId of await ledger.listGroupIdsOfUser(source, userId))
        if (await ledger.recordDesiredMembership(source, groupId, userId, false, version))
          outcome.groupsTouched.push(groupId);
      outcome.deleted.push(userId);
      continue;
    }
    const lifecycle: UserLifecycle = user.active ? "active" : "inactive";
    const profileChanged = record.profile !== undefined && !sameProfile(record.profile, user.profile);
    if (profileChanged) await ledger.recordUserProfile(source, userId, user.profile, version);
    if (record.lifecycle !== lifecycle) await ledger.recordUserLifecycle(source, userId, lifecycle, version);
    if (profileChanged || record.lifecycle !== lifecycle) outcome.changed.push(userId);
  }
  return outcome;
}

/** Kiro's attributes compared field by field; `active` is the lifecycle's business, not the profile's. */
export function sameProfile(a: KiroUserProfile, b: KiroUserProfile): boolean {
  const fields = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof KiroUserProfile)[]);
  fields.delete("active");
  return [...fields].every((field) => (a[field] ?? undefined) === (b[field] ?? undefined));
}

/**
 * Every id read in the directory's batches; an id a batch did not return is read on its own, and
 * only that read's "not found" counts as deleted, so a list that silently drops users (Okta's
 * deprovisioned, a filter the IdP stopped honouring) can never deactivate anyone by itself.
 */
export async function readUsersConfirmed(
  directory: Pick<IdentityDirectory, "readUsers" | "getUser">,
  ids: readonly string[],
): Promise<Map<string, DirectoryUser | undefined>> {
  const found = await directory.readUsers(ids);
  const read = new Map<string, DirectoryUser | undefined>();
  for (const id of ids) read.set(id, found.get(id) ?? (await directory.getUser(id)));
  return read;
}
