import type { GroupRecord, MembershipRecord, UserRecord } from "../../ports/ledger-records";
import type { MembershipRecords } from "../../ports/membership-records";
import type { UserRecords } from "../../ports/user-records";

/** The group's membership records and the users of those Kiro has or must get. */
export interface DesiredState {
  memberships: MembershipRecord[];
  users: Map<string, UserRecord>;
}

/**
 * Step 1 of a group pass: what the ledger wants for the group and believes Kiro has. A user
 * neither wanted nor applied (a removal already done) is not loaded: nothing will be sent for it.
 */
export async function loadDesiredState(
  group: GroupRecord,
  ledger: MembershipRecords & UserRecords,
): Promise<DesiredState> {
  const memberships = await ledger.listMemberships(group.source, group.idpId);
  const users = await ledger.getUsers(
    group.source,
    memberships
      .filter((membership) => membership.desired || membership.applied)
      .map((membership) => membership.userId),
  );
  return { memberships, users };
}
