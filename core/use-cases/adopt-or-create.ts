import { ScimError } from "../domain/errors";
import { assertValidKiroUser, type KiroUserProfile } from "../domain/kiro-user";
import type { KiroScimPort, ScimGroup, ScimUser } from "../ports/kiro-scim";

export interface Ensured<T> {
  resource: T;
  /** `created` by this call, or `adopted`: it already existed (by externalId, or unclaimed by name). */
  outcome: "created" | "adopted";
}

/**
 * Creates the user, or adopts the one Kiro already has. A 409 is expected after a lost response
 * (Kiro created the user, we never heard) and after migrating from built-in provisioning, which also
 * keys users by the IdP id. Adoption by userName only claims a user with no externalId; one that
 * carries another externalId belongs to something else and is left alone.
 */
export async function createOrAdoptUser(
  scim: KiroScimPort,
  profile: KiroUserProfile,
): Promise<Ensured<ScimUser>> {
  assertValidKiroUser(profile);
  try {
    return { resource: await scim.createUser(profile), outcome: "created" };
  } catch (error) {
    if (!(error instanceof ScimError && error.kind === "conflict")) throw error;
    const byExternalId = await scim.findUserByExternalId(profile.externalId);
    if (byExternalId) return { resource: byExternalId, outcome: "adopted" };
    const byUserName = await scim.findUserByUserName(profile.userName);
    if (byUserName && !byUserName.externalId) {
      const claimed = await scim.patchUser(byUserName.id, [
        { op: "replace", path: "externalId", value: profile.externalId },
      ]);
      return { resource: claimed, outcome: "adopted" };
    }
    throw new ScimError(
      "conflict",
      byUserName
        ? `userName ${profile.userName} is taken by a Kiro user managed elsewhere (externalId ${byUserName.externalId})`
        : `Kiro refused ${profile.userName} as a duplicate (email already used by another user?)`,
      { status: 409, cause: error },
    );
  }
}

/** Creates the group, or adopts Kiro's by externalId, then by an unclaimed displayName. */
export async function createOrAdoptGroup(
  scim: KiroScimPort,
  group: { displayName: string; externalId: string },
): Promise<Ensured<ScimGroup>> {
  try {
    return { resource: await scim.createGroup(group), outcome: "created" };
  } catch (error) {
    if (!(error instanceof ScimError && error.kind === "conflict")) throw error;
    const byExternalId = await scim.findGroupByExternalId(group.externalId);
    if (byExternalId) return { resource: byExternalId, outcome: "adopted" };
    const byName = await scim.findGroupByDisplayName(group.displayName);
    if (byName && !byName.externalId) {
      await scim.updateGroup(byName.id, { externalId: group.externalId });
      return { resource: { ...byName, externalId: group.externalId }, outcome: "adopted" };
    }
    throw new ScimError(
      "conflict",
      `group name ${group.displayName} is taken by a Kiro group managed elsewhere (externalId ${byName?.externalId})`,
      { status: 409, cause: error },
    );
  }
}
