import { ScimHttpClient } from "../core/adapters/scim/scim-http-client";
import { KiroScimEmulator } from "../local/scim-emulator/kiro-scim-emulator";
import { latencies, percentile, round, timed } from "./stats";

function seed(
  emulator: KiroScimEmulator,
  users: number,
  groups: number,
  groupsPerUser: number,
): { userIds: string[]; groupIds: string[] } {
  const directory = emulator.directory;
  const userIds: string[] = [];
  for (let index = 0; index < users; index++) {
    userIds.push(
      String(
        directory.createUser({
          externalId: `00u${index}`,
          userName: `user${index}@bench.test`,
          displayName: `User ${index}`,
          name: { givenName: "User", familyName: `N${index}` },
          emails: [{ value: `user${index}@bench.test`, primary: true }],
        }).id,
      ),
    );
  }
  const groupIds: string[] = [];
  for (let index = 0; index < groups; index++) {
    groupIds.push(
      String(directory.createGroup({ displayName: `Group ${index}`, externalId: `00g${index}` }).id),
    );
  }
  for (let group = 0; group < groups; group++) {
    const members: { value: string }[] = [];
    for (let user = group; user < users; user += Math.ceil(groups / groupsPerUser))
      members.push({ value: userIds[user]! });
    for (let start = 0; start < members.length; start += 100) {
      directory.patchGroup(groupIds[group]!, {
        Operations: [{ op: "add", path: "members", value: members.slice(start, start + 100) }],
      });
    }
  }
  return { userIds, groupIds };
}

async function lookups(emulator: KiroScimEmulator, users: number, groupIds: string[], userIds: string[]) {
  const { scimUrl, token } = emulator.profile;
  const scim = new ScimHttpClient({ baseUrl: scimUrl, token });
  const byUserName = await latencies(2_000, 4, (index) =>
    scim.findUserByUserName(`user${(index * 7919) % users}@bench.test`),
  );
  const memberCheck = await latencies(2_000, 4, (index) =>
    scim.isMember(groupIds[index % groupIds.length]!, userIds[(index * 31) % userIds.length]!),
  );
  return {
    userNameP50Ms: round(percentile(byUserName, 50)),
    userNameP99Ms: round(percentile(byUserName, 99)),
    memberCheckP50Ms: round(percentile(memberCheck, 50)),
    memberCheckP99Ms: round(percentile(memberCheck, 99)),
  };
}

/**
 * The emulator must hold 100k users and 10k groups without slowing down: lookups at full size are
 * compared with the same lookups on a 1k-user directory, and a full cursor walk is timed.
 */
export async function benchEmulatorScale() {
  const small = await KiroScimEmulator.start();
  const smallSeed = seed(small, 1_000, 100, 3);
  const smallLookups = await lookups(small, 1_000, smallSeed.groupIds, smallSeed.userIds);
  await small.stop();

  const rssBefore = process.memoryUsage().rss;
  const large = await KiroScimEmulator.start({ requestLogLimit: 10_000 });
  const seeded = await timed(async () => seed(large, 100_000, 10_000, 3));
  const rssAfter = process.memoryUsage().rss;
  const largeLookups = await lookups(large, 100_000, seeded.value.groupIds, seeded.value.userIds);
  const { scimUrl, token } = large.profile;
  const scim = new ScimHttpClient({ baseUrl: scimUrl, token });
  const walk = await timed(async () => {
    let cursor: string | undefined = "";
    let pages = 0;
    let seen = 0;
    while (cursor !== undefined) {
      const page = await scim.listUsers(cursor);
      seen += page.items.length;
      cursor = page.nextCursor;
      pages += 1;
    }
    return { pages, seen };
  });
  await large.stop();
  return {
    seed100kUsers10kGroupsMs: round(seeded.ms, 0),
    emulatorHeapGrowthMb: round((rssAfter - rssBefore) / 1024 / 1024, 0),
    at1kUsers: smallLookups,
    at100kUsers: largeLookups,
    cursorWalk100kUsers: {
      ms: round(walk.ms, 0),
      ...walk.value,
      msPerPage: round(walk.ms / walk.value.pages),
    },
  };
}
