import type { GraphTenantServer, GraphUserState } from "./graph-tenant-server";

export const sampleEntraGroups = {
  developers: { id: "e0a1f9d2-0000-4000-8000-000000000001", displayName: "Kiro-Developers" },
  platform: { id: "e0a1f9d2-0000-4000-8000-000000000002", displayName: "Platform Team" },
  sre: { id: "e0a1f9d2-0000-4000-8000-000000000003", displayName: "SRE On-Call" },
} as const;

const entraUserId = (index: number) => `e0a1f9d2-0000-4000-9000-${String(index).padStart(12, "0")}`;

/**
 * A small Entra tenant: Kiro-Developers contains two people directly and the Platform Team group,
 * which contains SRE On-Call, so Kiro (no nested groups) must see all of them flattened. One
 * service account has no given name or surname and a one-word displayName.
 */
export function seedSampleTenant(tenant: GraphTenantServer): { users: GraphUserState[] } {
  const people = [
    "Mae Jemison",
    "Annie Easley",
    "Dorothy Vaughan",
    "Mary Jackson",
    "Evelyn Boyd",
    "Christine Darden",
  ];
  const users: GraphUserState[] = people.map((name, index) => {
    const [givenName, surname] = name.split(" ") as [string, string];
    const upn = `${givenName}.${surname}@contoso.example`.toLowerCase();
    return {
      id: entraUserId(index),
      userPrincipalName: upn,
      displayName: name,
      givenName,
      surname,
      mail: upn,
      accountEnabled: true,
    };
  });
  users.push({
    id: entraUserId(people.length),
    userPrincipalName: "buildbot@contoso.example",
    displayName: "buildbot",
    givenName: null,
    surname: null,
    mail: null,
    accountEnabled: true,
  });
  for (const user of users) tenant.addUser(user);
  for (const group of Object.values(sampleEntraGroups)) tenant.addGroup(group);
  const { developers, platform, sre } = sampleEntraGroups;
  tenant.addMember(developers.id, users[0]!.id);
  tenant.addMember(developers.id, users[1]!.id);
  tenant.addMember(developers.id, platform.id);
  tenant.addMember(platform.id, users[2]!.id);
  tenant.addMember(platform.id, users[3]!.id);
  tenant.addMember(platform.id, sre.id);
  tenant.addMember(sre.id, users[4]!.id);
  return { users };
}
