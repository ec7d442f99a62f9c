import { forEachLimited } from "../domain/concurrency";
import type { GroupScope } from "../domain/group-scope";
import type { IdentitySource } from "../domain/identity-source";
import type { KiroUserProfile } from "../domain/kiro-user";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { KiroScimPort, ScimGroup, ScimUser } from "../ports/kiro-scim";
import type { GroupRecord, MembershipRecord, UserRecord } from "../ports/ledger-records";
import type { UserRecords } from "../ports/user-records";
import type { InlineRetry } from "./read-with-retries";

/**
 * What `?live=true` reads now: Kiro and the object's IdP, every read under the inline retry, to
 * compare with what the ledger wants (see {@link liveUser}, {@link liveGroup}).
 */
export interface LiveReads {
  scim: KiroScimPort;
  directoryFor(source: IdentitySource): Promise<IdentityDirectory>;
  retryRead: InlineRetry;
}

export type Attributes = Partial<Record<(typeof comparedAttributes)[number], string>>;

export interface LiveUser {
  readAt: string;
  idp: { found: boolean; active?: boolean | undefined; groups?: string[] | undefined };
  kiro: { found: boolean; id?: string | undefined; groups?: string[] | undefined };
  /** Only attributes that differ somewhere: what the ledger wants, the IdP says now, Kiro holds now. */
  attributes: {
    attribute: string;
    ledger?: string | undefined;
    idp?: string | undefined;
    kiro?: string | undefined;
  }[];
  /** Only groups where the three disagree. */
  memberships: { group: string; ledger: boolean; idp: boolean; kiro: boolean }[];
  differences: string[];
}

export interface LiveGroup {
  readAt: string;
  idp: {
    found: boolean;
    name?: string | undefined;
    members?: number | undefined;
    complete?: boolean | undefined;
  };
  kiro: { found: boolean; id?: string | undefined; displayName?: string | undefined };
  /** Members the IdP has that the ledger does not want (yet), and the other way round; up to 50 each. */
  onlyInIdp: string[];
  onlyInLedger: string[];
  /** Kiro offers no member list: each member the ledger has is looked up, up to {@link liveMemberChecks}. */
  kiroMembers: { checked: number; of: number; missingInKiro: string[]; unexpectedInKiro: string[] };
  differences: string[];
}

const listedMembers = 50;
const liveMemberChecks = 100;
const comparedAttributes = ["userName", "displayName", "givenName", "familyName", "email", "active"] as const;

export function attributesOf(profile: KiroUserProfile, active: boolean): Attributes {
  return {
    userName: profile.userName,
    displayName: profile.displayName,
    givenName: profile.givenName,
    familyName: profile.familyName,
    email: profile.email,
    active: String(active),
  };
}

function scimAttributes(user: ScimUser): Attributes {
  return {
    userName: user.userName,
    displayName: user.displayName,
    givenName: user.givenName,
    familyName: user.familyName,
    email: user.email,
    active: String(user.active),
  };
}

/**
 * The user as the IdP and Kiro hold it now against the ledger: attributes and memberships, only
 * where they differ, in rows and in words. Memberships are matched by the Kiro group's externalId
 * (our groups carry the IdP id), else by the Kiro id the ledger holds.
 */
export async function liveUser(
  user: UserRecord,
  memberships: MembershipRecord[],
  groups: Map<string, GroupRecord>,
  scope: GroupScope,
  live: LiveReads,
  now: Date,
): Promise<LiveUser> {
  const directory = await live.directoryFor(user.source);
  const [idpUser, idpGroups, kiroUser] = await Promise.all([
    live.retryRead(() => directory.getUser(user.idpId)),
    live.retryRead(() => directory.listGroupsOfUser(user.idpId)),
    live.retryRead(() =>
      user.scimId ? live.scim.getUser(user.scimId) : live.scim.findUserByExternalId(user.idpId),
    ),
  ]);
  const kiroGroups: ScimGroup[] = kiroUser
    ? await live.retryRead(() => live.scim.listGroupsOfUser(kiroUser.id))
    : [];
  const ledgerValues = user.profile ? attributesOf(user.profile, user.lifecycle === "active") : {};
  const idpValues = idpUser ? attributesOf(idpUser.profile, idpUser.active) : {};
  const kiroValues = kiroUser ? scimAttributes(kiroUser) : {};
  const attributes = comparedAttributes
    .map((attribute) => ({
      attribute,
      ledger: ledgerValues[attribute],
      idp: idpUser ? idpValues[attribute] : undefined,
      kiro: kiroUser ? kiroValues[attribute] : undefined,
    }))
    .filter((row) => (idpUser && row.idp !== row.ledger) || (kiroUser && row.kiro !== row.ledger));
  const byKiroId = new Map(
    [...groups.values()].flatMap((group) => (group.scimId ? [[group.scimId, group.idpId]] : [])),
  );
  const nameOf = new Map([...groups.values()].map((group) => [group.idpId, group.name ?? group.idpId]));
  for (const group of idpGroups ?? []) if (!nameOf.has(group.id)) nameOf.set(group.id, group.name);
  const inKiro = new Set<string>();
  for (const group of kiroGroups) {
    const id = group.externalId ?? byKiroId.get(group.id) ?? `kiro:${group.id}`;
    inKiro.add(id);
    if (!nameOf.has(id)) nameOf.set(id, group.displayName);
  }
  const wanted = new Set(
    memberships.filter((membership) => membership.desired).map((membership) => membership.groupId),
  );
  const inIdp = new Set(
    (idpGroups ?? [])
      .filter((group) => wanted.has(group.id) || scope.includes(group))
      .map((group) => group.id),
  );
  const membershipRows = [...new Set([...wanted, ...inIdp, ...inKiro])]
    .map((id) => ({
      group: nameOf.get(id) ?? id,
      ledger: wanted.has(id),
      idp: inIdp.has(id),
      kiro: inKiro.has(id),
    }))
    .filter((row) => !(row.ledger === row.idp && row.ledger === row.kiro));
  const differences = [
    ...(idpUser ? [] : ["the IdP no longer has this user"]),
    ...(kiroUser
      ? []
      : [user.scimId ? `Kiro no longer has user ${user.scimId}` : "Kiro has no user with this externalId"]),
    ...attributes.flatMap((row) => [
      ...(idpUser && row.idp !== row.ledger
        ? [`the IdP says ${row.attribute} ${show(row.idp)}, the ledger last read ${show(row.ledger)}`]
        : []),
      ...(kiroUser && row.kiro !== row.ledger
        ? [`Kiro holds ${row.attribute} ${show(row.kiro)}, the ledger wants ${show(row.ledger)}`]
        : []),
    ]),
    ...membershipRows.flatMap((row) => [
      ...(idpGroups && row.idp !== row.ledger
        ? [
            `the IdP has the user ${row.idp ? "in" : "not in"} ${row.group}, the ledger ${row.ledger ? "wants it there" : "does not"}`,
          ]
        : []),
      ...(kiroUser && row.kiro !== row.ledger
        ? [
            `Kiro has the user ${row.kiro ? "in" : "not in"} ${row.group}, the ledger ${row.ledger ? "wants it there" : "does not"}`,
          ]
        : []),
    ]),
  ];
  return {
    readAt: now.toISOString(),
    idp: {
      found: idpUser !== undefined,
      active: idpUser?.active,
      groups: idpGroups?.filter((group) => scope.includes(group)).map((group) => group.name),
    },
    kiro: {
      found: kiroUser !== undefined,
      id: kiroUser?.id,
      groups: kiroUser ? kiroGroups.map((group) => group.displayName) : undefined,
    },
    attributes,
    memberships: membershipRows,
    differences,
  };
}

/**
 * The group's members in the IdP against the ledger, and in Kiro: Kiro has no member list, so the
 * ledger's members are looked up one by one (8 at a time), up to {@link liveMemberChecks}.
 */
export async function liveGroup(
  group: GroupRecord,
  memberships: MembershipRecord[],
  ledger: Pick<UserRecords, "getUsers">,
  live: LiveReads,
  now: Date,
): Promise<LiveGroup> {
  const directory = await live.directoryFor(group.source);
  const [idpGroup, kiroGroup] = await Promise.all([
    live.retryRead(() => directory.listGroupMembers(group.idpId)),
    live.retryRead(() =>
      group.scimId ? live.scim.getGroup(group.scimId) : live.scim.findGroupByExternalId(group.idpId),
    ),
  ]);
  const wanted = new Set(
    memberships.filter((membership) => membership.desired).map((membership) => membership.userId),
  );
  const inIdp = new Set(idpGroup?.userIds ?? []);
  const onlyInIdp = [...inIdp].filter((id) => !wanted.has(id));
  const onlyInLedger = idpGroup?.complete === false ? [] : [...wanted].filter((id) => !inIdp.has(id));
  const known = memberships.filter((membership) => membership.desired || membership.applied);
  const users = await ledger.getUsers(
    group.source,
    known.map((membership) => membership.userId),
  );
  const checkable = known.filter((membership) => users.get(membership.userId)?.scimId);
  const checked = kiroGroup ? checkable.slice(0, liveMemberChecks) : [];
  const missingInKiro: string[] = [];
  const unexpectedInKiro: string[] = [];
  const login = (userId: string) => users.get(userId)?.profile?.userName ?? userId;
  await forEachLimited(checked, 8, async (membership) => {
    const scimUserId = users.get(membership.userId)!.scimId!;
    const member = await live.retryRead(() => live.scim.isMember(kiroGroup!.id, scimUserId));
    if (membership.desired && !member) missingInKiro.push(login(membership.userId));
    if (!membership.desired && member) unexpectedInKiro.push(login(membership.userId));
  });
  const differences = [
    ...(idpGroup ? [] : ["the IdP no longer has this group"]),
    ...(kiroGroup
      ? []
      : [
          group.scimId
            ? `Kiro no longer has group ${group.scimId}`
            : "Kiro has no group with this externalId",
        ]),
    ...(idpGroup?.displayName && idpGroup.displayName !== group.name
      ? [`the IdP names it ${show(idpGroup.displayName)}, the ledger ${show(group.name)}`]
      : []),
    ...(kiroGroup && kiroGroup.displayName !== (group.name ?? group.idpId)
      ? [`Kiro names it ${show(kiroGroup.displayName)}, the ledger wants ${show(group.name)}`]
      : []),
    ...(onlyInIdp.length > 0 ? [`${onlyInIdp.length} members in the IdP the ledger does not want yet`] : []),
    ...(onlyInLedger.length > 0
      ? [`${onlyInLedger.length} members the ledger wants that the IdP no longer has`]
      : []),
    ...missingInKiro.map((name) => `Kiro does not have ${name} in the group, the ledger wants it there`),
    ...unexpectedInKiro.map((name) => `Kiro has ${name} in the group, the ledger does not want it there`),
  ];
  return {
    readAt: now.toISOString(),
    idp: {
      found: idpGroup !== undefined,
      name: idpGroup?.displayName,
      members: idpGroup?.userIds.length,
      complete: idpGroup?.complete,
    },
    kiro: { found: kiroGroup !== undefined, id: kiroGroup?.id, displayName: kiroGroup?.displayName },
    onlyInIdp: onlyInIdp.slice(0, listedMembers),
    onlyInLedger: onlyInLedger.slice(0, listedMembers).map(login),
    kiroMembers: { checked: checked.length, of: checkable.length, missingInKiro, unexpectedInKiro },
    differences,
  };
}

const show = (value: string | undefined) => (value === undefined ? "(none)" : JSON.stringify(value));
