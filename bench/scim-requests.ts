import { ScimHttpClient } from "../core/adapters/scim/scim-http-client";
import { KiroScimEmulator } from "../local/scim-emulator/kiro-scim-emulator";

/**
 * "Add 1,000 users to one group" through the SCIM client: requests Kiro sees versus the minimum
 * (1,000 creates + 1 group + ⌈1000/100⌉ PATCHes), counted from the emulator's request log.
 */
export async function benchScimRequests() {
  const emulator = await KiroScimEmulator.start();
  const { scimUrl, token } = emulator.profile;
  const scim = new ScimHttpClient({ baseUrl: scimUrl, token });
  const userIds: string[] = [];
  for (let index = 0; index < 1_000; index++) {
    const user = await scim.createUser({
      externalId: `00u${index}`,
      userName: `u${index}@bench.test`,
      displayName: `U ${index}`,
      givenName: "U",
      familyName: `N${index}`,
      active: true,
    });
    userIds.push(user.id);
  }
  const group = await scim.createGroup({ displayName: "Bench", externalId: "00gBench" });
  await scim.addMembers(group.id, userIds);
  const requests = emulator.requests();
  await emulator.stop();
  return {
    requests: requests.length,
    minimum: 1_000 + 1 + 10,
    membershipPatches: requests.filter((entry) => entry.method === "PATCH").length,
  };
}
