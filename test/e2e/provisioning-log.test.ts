import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { oktaDelivery, oktaLogEvent } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaUser,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));

type Entry = {
  kind: string;
  objectId: string;
  name?: string;
  action: string;
  result: string;
  trigger?: string;
  errorCode?: string;
  message?: string;
  changes?: { attribute: string; from?: string; to?: string }[];
};

const readLog = (query: string, token = runtime.config.statusToken) =>
  fetch(`${runtime.url}/log?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const entriesOf = async (query: string) =>
  ((await (await readLog(query)).json()) as { entries: Entry[] }).entries;

describe("the provisioning log", () => {
  it("shows what was done to a group and each member, and why a user Kiro refused is not there", async () => {
    // Prepare
    const good = addOktaUser(runtime);
    const nameless = addOktaUser(runtime, { lastName: null });

    // Act
    const group = await syncNewGroup(runtime, "Logged", [good, nameless]);
    const ofGroup = await entriesOf(`object=${group.id}&source=okta`);
    const ofGood = await entriesOf(`object=${good.id}`);
    const ofNameless = await entriesOf(`object=${nameless.id}`);

    // Assess
    expect(ofGroup).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: "GROUP",
          action: "create",
          result: "success",
          name: group.name,
          trigger: "hook:okta",
        }),
        expect.objectContaining({ kind: "MEMBER", objectId: `${group.id}/${good.id}`, action: "add-member" }),
      ]),
    );
    expect(ofGroup.map((entry) => entry.objectId)).not.toContain(`${group.id}/${nameless.id}`);
    expect(ofGood.map((entry) => `${entry.kind} ${entry.action}`).sort()).toEqual([
      "MEMBER add-member",
      "USER create",
    ]);
    expect(ofNameless).toEqual([
      expect.objectContaining({
        kind: "USER",
        action: "failure",
        result: "failure",
        errorCode: "USER.INVALID_PROFILE",
        message: "familyName is empty",
      }),
    ]);
  });

  it("records a profile change as an update with each changed attribute, old and new", async () => {
    // Prepare
    const person = addOktaUser(runtime, { lastName: "Before" });
    await syncNewGroup(runtime, "Renamed", [person]);
    runtime.oktaOrg!.users.get(person.id)!.profile.lastName = "After";

    // Act
    await postOkta(
      runtime,
      oktaDelivery([oktaLogEvent("user.account.update_profile", [{ id: person.id, type: "User" }])]),
    );
    await runtime.bus.idle();
    const [latest] = await entriesOf(`object=${person.id}&source=okta`);

    // Assess
    expect(latest).toMatchObject({ kind: "USER", action: "update", result: "success" });
    expect(latest?.changes).toEqual(
      expect.arrayContaining([{ attribute: "familyName", from: "Before", to: "After" }]),
    );
  });

  it("exports failures as CSV and keeps the whole log behind the status token", async () => {
    // Prepare
    await syncNewGroup(runtime, "Exported", [addOktaUser(runtime, { lastName: null })]);

    // Act
    const csv = await readLog("result=failure&format=csv");
    const body = await csv.text();
    const unauthenticated = await readLog("format=csv", "");
    const typo = await readLog("reslt=failure");

    // Assess
    const [header, ...rows] = body.trimEnd().split("\r\n");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(header).toBe(
      "at,source,kind,objectId,name,kiroId,action,result,changes,trigger,attempt,errorCode,message,durationMs,actor,request,parameters,status,runId",
    );
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((row) => row.includes('"failure"'))).toBe(true);
    expect(unauthenticated.status).toBe(401);
    expect(typo.status).toBe(400);
  });
});
