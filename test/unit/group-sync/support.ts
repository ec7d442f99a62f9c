import { afterAll, beforeAll, beforeEach } from "vitest";
import type { ScimHttpClient } from "../../../core/adapters/scim/scim-http-client";
import { changeVersion } from "../../../core/domain/identity-source";
import { type KiroUserProfile, toScimUserResource } from "../../../core/domain/kiro-user";
import { KiroScimEmulator } from "../../../local/scim-emulator/kiro-scim-emulator";
import type { InMemoryLedger } from "../../support/doubles/in-memory-ledger";
import { patchOp } from "../../support/raw-scim";
import { emulatorClient, kiroProfile } from "../../support/scim-client-fixture";

/** The identity source every group-sync step test records under. */
export const source = "okta" as const;

let serial = 0;

/**
 * A change version newer than every one handed out before, and older than any read a step makes
 * on today's clock (2020), so a step's own writes always win over the seed.
 */
export function seedVersion(): string {
  serial += 1;
  return changeVersion(new Date(Date.UTC(2020, 0, 1) + serial * 1_000), `seed-${serial}`);
}

/** A clock the test moves by hand, for the ledger and the step alike. */
export function manualClock(start = "2026-03-01T12:00:00.000Z") {
  let at = Date.parse(start);
  return {
    now: () => new Date(at),
    advance: (ms: number) => {
      at += ms;
    },
  };
}

/**
 * A Kiro SCIM emulator for the whole file, emptied before each test (new profile, no faults, no
 * request log). `scim()` is the real SCIM client on the current profile, without in-process retries,
 * so a fault injected once is the answer the step gets.
 */
export function useKiroEmulator(): { emulator: () => KiroScimEmulator; scim: () => ScimHttpClient } {
  let emulator: KiroScimEmulator | undefined;
  beforeAll(async () => {
    emulator = await KiroScimEmulator.start();
  });
  afterAll(() => emulator?.stop());
  beforeEach(() => {
    emulator!.resetProfile();
    emulator!.faults.clear();
    emulator!.clearRequests();
  });
  return {
    emulator: () => emulator!,
    scim: () => emulatorClient(emulator!, { maxInProcessAttempts: 1 }),
  };
}

/** A user the IdP described with a valid profile: pending, not in Kiro yet. */
export async function seedUser(
  ledger: InMemoryLedger,
  userId: string,
  overrides: Partial<KiroUserProfile> = {},
): Promise<KiroUserProfile> {
  const profile = kiroProfile("Member", { externalId: userId, ...overrides });
  await ledger.recordUserProfile(source, userId, profile, seedVersion());
  return profile;
}

/** A user Kiro has (created in the emulator's directory) and the ledger records as synced; its Kiro id. */
export async function seedSyncedUser(
  ledger: InMemoryLedger,
  emulator: KiroScimEmulator,
  userId: string,
): Promise<string> {
  const profile = await seedUser(ledger, userId);
  const scimId = String(emulator.directory.createUser(toScimUserResource(profile)).id);
  const user = await ledger.getUser(source, userId);
  await ledger.recordUserSynced(source, userId, scimId, {
    profileVersion: user?.profileVersion,
    lifecycleVersion: user?.lifecycleVersion,
  });
  return scimId;
}

/**
 * A membership as the IdP wants it and, when `applied`, as Kiro accepted it. `desired: false,
 * applied: false` is a removal already done; `desired: false, applied: true` one still to send.
 */
export async function seedMembership(
  ledger: InMemoryLedger,
  groupId: string,
  userId: string,
  state: { desired: boolean; applied: boolean },
): Promise<void> {
  const wanted = seedVersion();
  await ledger.recordDesiredMembership(source, groupId, userId, true, wanted);
  if (state.applied || !state.desired)
    await ledger.recordMembershipsApplied(source, groupId, [{ userId, applied: true, seenVersion: wanted }]);
  if (state.desired) return;
  const unwanted = seedVersion();
  await ledger.recordDesiredMembership(source, groupId, userId, false, unwanted);
  if (!state.applied)
    await ledger.recordMembershipsApplied(source, groupId, [
      { userId, applied: false, seenVersion: unwanted },
    ]);
}

/** Puts Kiro users into a Kiro group behind the service's back, at most 100 a PATCH as Kiro allows. */
export function addKiroMembers(emulator: KiroScimEmulator, scimGroupId: string, scimUserIds: string[]): void {
  for (let start = 0; start < scimUserIds.length; start += 100) {
    const value = scimUserIds.slice(start, start + 100).map((id) => ({ value: id }));
    emulator.directory.patchGroup(scimGroupId, patchOp([{ op: "add", path: "members", value }]));
  }
}
