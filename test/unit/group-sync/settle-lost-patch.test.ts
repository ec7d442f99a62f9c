import { describe, expect, it } from "vitest";
import type { PatchIntent } from "../../../core/ports/ledger-records";
import { settleLostPatch } from "../../../core/use-cases/group-sync/settle-lost-patch";
import { type InMemoryLedger, inMemoryLedger } from "../../support/doubles/in-memory-ledger";
import {
  addKiroMembers,
  seedMembership,
  seedSyncedUser,
  seedVersion,
  source,
  useKiroEmulator,
} from "./support";

const kiro = useKiroEmulator();

const deps = (ledger: InMemoryLedger) => ({ ledger, scim: kiro.scim() });

/**
 * A group in Kiro and in the ledger whose users Kiro has; `intent` is the PATCH sent for them whose
 * answer was lost. Answers the group as the pass read it and each user's Kiro id.
 */
async function groupWithLostPatch(
  ledger: InMemoryLedger,
  groupId: string,
  userIds: string[],
  intent: Omit<PatchIntent, "userIds" | "at">,
) {
  const scimGroupId = String(
    kiro.emulator().directory.createGroup({ displayName: groupId, externalId: groupId }).id,
  );
  await ledger.recordGroupName(source, groupId, groupId, seedVersion());
  await ledger.recordGroupApplied(source, groupId, { scimId: scimGroupId, createdByUs: true, name: groupId });
  const scimIds = new Map<string, string>();
  for (const userId of userIds) scimIds.set(userId, await seedSyncedUser(ledger, kiro.emulator(), userId));
  await ledger.recordPatchIntent(source, groupId, { ...intent, userIds, at: new Date().toISOString() });
  return { scimGroupId, scimIds, group: async () => (await ledger.getGroup(source, groupId))! };
}

const appliedOf = async (ledger: InMemoryLedger, groupId: string) =>
  Object.fromEntries(
    (await ledger.listMemberships(source, groupId)).map((membership) => [
      membership.userId,
      `${membership.applied ? "applied" : "not applied"}, ${membership.status}`,
    ]),
  );

describe("settleLostPatch", () => {
  it("records the adds Kiro really applied from a lost PATCH, and clears the intent", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const userIds = ["00usettle01", "00usettle02", "00usettle03"];
    for (const userId of userIds)
      await seedMembership(ledger, "00gsettle1", userId, { desired: true, applied: false });
    const lost = await groupWithLostPatch(ledger, "00gsettle1", userIds, { op: "add" });
    addKiroMembers(kiro.emulator(), lost.scimGroupId, [
      lost.scimIds.get("00usettle01")!,
      lost.scimIds.get("00usettle02")!,
    ]);
    const kiroUserIds = new Map<string, string>();

    // Act
    await settleLostPatch(await lost.group(), lost.scimGroupId, kiroUserIds, deps(ledger));

    // Assess
    expect(await appliedOf(ledger, "00gsettle1")).toEqual({
      "00usettle01": "applied, synced",
      "00usettle02": "applied, synced",
      "00usettle03": "not applied, pending",
    });
    expect((await lost.group()).patchIntent).toBeUndefined();
    expect(kiroUserIds).toEqual(lost.scimIds);
  });

  it("records a removal Kiro applied although its answer was lost", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    await seedMembership(ledger, "00gsettle2", "00usettle04", { desired: false, applied: true });
    const lost = await groupWithLostPatch(ledger, "00gsettle2", ["00usettle04"], { op: "remove" });

    // Act
    await settleLostPatch(await lost.group(), lost.scimGroupId, new Map(), deps(ledger));

    // Assess
    expect(await appliedOf(ledger, "00gsettle2")).toEqual({ "00usettle04": "not applied, synced" });
    expect((await lost.group()).patchIntent).toBeUndefined();
  });

  it("keeps pending a membership Kiro was found not to match, after the user was added back meanwhile", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    await seedMembership(ledger, "00gsettle4", "00usettle09", { desired: false, applied: true });
    const lost = await groupWithLostPatch(ledger, "00gsettle4", ["00usettle09"], { op: "remove" });
    await ledger.recordDesiredMembership(source, "00gsettle4", "00usettle09", true, seedVersion());

    // Act
    await settleLostPatch(await lost.group(), lost.scimGroupId, new Map(), deps(ledger));

    // Assess
    expect(await appliedOf(ledger, "00gsettle4")).toEqual({ "00usettle09": "not applied, pending" });
  });

  it("keeps every answered read when one fails, and leaves only the unread user in the intent", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const userIds = ["00usettle05", "00usettle06", "00usettle07", "00usettle08"];
    for (const userId of userIds)
      await seedMembership(ledger, "00gsettle3", userId, { desired: true, applied: false });
    const lost = await groupWithLostPatch(ledger, "00gsettle3", userIds, { op: "add" });
    addKiroMembers(kiro.emulator(), lost.scimGroupId, [...lost.scimIds.values()]);
    kiro.emulator().addFault({ kind: "server-error", count: 1, method: "GET", path: "^/Groups" });

    // Act
    const failure = await settleLostPatch(
      await lost.group(),
      lost.scimGroupId,
      new Map(),
      deps(ledger),
    ).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.SERVER_ERROR" });
    const memberships = await ledger.listMemberships(source, "00gsettle3");
    const unread = memberships
      .filter((membership) => !membership.applied)
      .map((membership) => membership.userId);
    expect(unread).toHaveLength(1);
    expect((await lost.group()).patchIntent).toMatchObject({ op: "add", userIds: unread });
  });
});
