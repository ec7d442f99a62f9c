import { startDynamoDbLocal } from "../local/dynamodb-local";
import { OktaOrgServer } from "../local/okta-org/okta-org-server";
import { KiroScimEmulator } from "../local/scim-emulator/kiro-scim-emulator";
import { crashAndRecover, syncUninterrupted } from "../local/tooling/crash-drill";

let drills = 0;

/**
 * Recovery after `kill -9`: the local runtime as its own process on DynamoDB Local syncs a 400-user,
 * 12-group Okta directory from hook deliveries, is killed once Kiro has taken 60 writes, and is
 * started again on the same table; the figure is the seconds from the restart until Kiro holds
 * Okta's truth (see local/tooling/crash-drill.ts), next to the same directory synced by a process
 * nobody kills.
 */
export async function benchCrashRecovery() {
  const dynamo = await startDynamoDbLocal();
  const org = await OktaOrgServer.start();
  const emulator = await KiroScimEmulator.start();
  try {
    drills += 1;
    const outcome = await crashAndRecover(
      { org, emulator, dynamoEndpoint: dynamo.endpoint },
      `Drill${drills}`,
      { users: 400, groups: 12 },
    );
    const baseline = await syncUninterrupted(
      { org, emulator, dynamoEndpoint: dynamo.endpoint },
      `Baseline${drills}`,
      { users: 400, groups: 12 },
    );
    return {
      users: 400,
      groups: 12,
      secondsToConverge: outcome.seconds,
      secondsWithoutCrash: baseline.seconds,
      converged: outcome.converged,
      deliveriesResent: outcome.unanswered,
    };
  } finally {
    await emulator.stop();
    await org.stop();
    await dynamo.stop();
  }
}
