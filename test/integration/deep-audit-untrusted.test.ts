import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { OktaDirectory } from "../../core/adapters/okta/okta-directory";
import type { ScimUser } from "../../core/ports/kiro-scim";
import { emptyDriftReport, repairKiroDrift } from "../../core/use-cases/repair-kiro-drift";
import { OktaOrgServer } from "../../local/okta-org/okta-org-server";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { freshLedger } from "../support/ledger-fixture";
import { emulatorClient } from "../support/scim-client-fixture";

let ledger: DynamoLedger;
let emulator: KiroScimEmulator;
let org: OktaOrgServer;

beforeAll(async () => {
  ({ ledger } = await freshLedger());
  emulator = await KiroScimEmulator.start();
  org = await OktaOrgServer.start();
});
afterAll(async () => {
  await emulator.stop();
  await org.stop();
});

describe("the deep audit against a Kiro that ignores the members filter", () => {
  it("refuses the page as a bad answer and writes nothing, instead of taking everyone out of every group", async () => {
    // Prepare
    const kiroGroup = emulator.directory.createGroup({
      displayName: "Managed",
      externalId: "00gaudited0000000001",
    });
    await ledger.recordGroupName(
      "okta",
      "00gaudited0000000001",
      "Managed",
      `${new Date().toISOString()}#seed`,
    );
    await ledger.recordGroupApplied("okta", "00gaudited0000000001", {
      scimId: String(kiroGroup.id),
      createdByUs: true,
      name: "Managed",
    });
    const stranger = emulator.directory.createUser({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "stranger@example.com",
      displayName: "Stranger",
      name: { givenName: "Str", familyName: "Anger" },
      active: true,
    });
    emulator.addFault({ kind: "ignore-filter", rate: 1, method: "GET", path: "^/Groups$" });
    emulator.clearRequests();
    const strangerUser: ScimUser = {
      id: String(stranger.id),
      userName: "stranger@example.com",
      displayName: "Stranger",
      active: true,
    } as ScimUser;
    const report = emptyDriftReport();

    // Act
    const failure = await repairKiroDrift(
      [strangerUser],
      "run-untrusted",
      {
        ledger,
        bus: { publish: async () => undefined },
        scim: emulatorClient(emulator, { maxInProcessAttempts: 1 }),
        directories: { okta: new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken }) },
        removalPolicy: "deactivate",
      },
      report,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.BAD_RESPONSE", retryable: true });
    expect(emulator.requests().filter((entry) => entry.method !== "GET")).toEqual([]);
    expect(report.strangersRemoved).toBe(0);
  });
});
