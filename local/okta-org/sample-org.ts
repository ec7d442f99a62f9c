import type { OktaOrgServer, OktaUserState } from "./okta-org-server";

const people = [
  "Ada Lovelace",
  "Alan Turing",
  "Grace Hopper",
  "Edsger Dijkstra",
  "Barbara Liskov",
  "Donald Knuth",
  "Margaret Hamilton",
  "Ken Thompson",
  "Dennis Ritchie",
  "Frances Allen",
  "John McCarthy",
  "Radia Perlman",
  "Leslie Lamport",
  "Shafi Goldwasser",
  "Tim Berners-Lee",
  "Katherine Johnson",
  "Linus Torvalds",
  "Anita Borg",
  "Bjarne Stroustrup",
  "Jean Sammet",
  "Guido Rossum",
  "Sophie Wilson",
  "James Gosling",
  "Adele Goldberg",
  "Niklaus Wirth",
  "Hedy Lamarr",
  "Vint Cerf",
  "Karen Jones",
  "Brian Kernighan",
  "Mary Kenneth",
  "Yukihiro Matsumoto",
  "Lynn Conway",
  "Robin Milner",
  "Ivan Sutherland",
  "Carol Shaw",
] as const;

export const sampleGroups = [
  { id: "00gsampleengineer001", name: "Kiro-Engineering" },
  { id: "00gsampleplatform002", name: "Kiro-Engineering-Platform" },
  { id: "00gsamplesre0000003", name: "Kiro-Engineering-Platform-SRE" },
  { id: "00gsamplesales00004", name: "Kiro-Sales" },
  { id: "00gsampleallstaff05", name: "All-Staff" },
] as const;

const userId = (index: number) => `00usample${String(index).padStart(11, "0")}`;

/**
 * A small Okta org for `npm start`: five groups (three with a nested-looking naming scheme), 36
 * people, and two on purpose: "Prince" has no last name (Kiro refuses such users), and the
 * newcomer is in Kiro-Engineering in Okta but not yet in Kiro: the printed curl tells us so.
 */
export function seedSampleOrg(org: OktaOrgServer) {
  const users: OktaUserState[] = people.map((name, index) => {
    const [first, last] = name.split(" ") as [string, string];
    const login = `${`${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "")}@example.com`;
    return {
      id: userId(index),
      status: "ACTIVE",
      profile: { login, email: login, firstName: first, lastName: last },
    };
  });
  users.push({
    id: userId(people.length),
    status: "ACTIVE",
    profile: {
      login: "prince@example.com",
      email: "prince@example.com",
      firstName: "Prince",
      lastName: null,
    },
  });
  for (const user of users) org.addUser(user);
  for (const group of sampleGroups) org.addGroup(group);
  const [engineering, platform, sre, sales, allStaff] = sampleGroups;
  users.forEach((user, index) => {
    org.addMember(allStaff.id, user.id);
    if (index < 15) org.addMember(engineering.id, user.id);
    if (index < 8) org.addMember(platform.id, user.id);
    if (index < 4) org.addMember(sre.id, user.id);
    if (index >= 15) org.addMember(sales.id, user.id);
  });
  const newcomer = users[14]!;
  return { users, groups: sampleGroups, newcomer: { user: newcomer, group: engineering } };
}
