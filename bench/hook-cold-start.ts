import { startDynamoDbLocal } from "../local/dynamodb-local";
import { membershipEvent, oktaDelivery } from "../local/okta-org/okta-event-payloads";
import { DeployedService } from "../test/support/deployed-service";
import { evaluateStage } from "../test/support/stack-model";
import { median, percentile, round } from "./stats";

const warmDeliveries = 20;

/**
 * A 100-event Okta delivery answered by the okta-events bundle SST builds, in a fresh Node 24
 * sandbox with the stack's environment (as in Lambda: INIT, then the first invoke with its secret
 * read and its first DynamoDB connections), against DynamoDB Local; then warm deliveries on the
 * same sandbox. Okta gives a hook 3 s; the cold figure is INIT plus the first invoke. DynamoDB Local
 * (a JVM) is warmed by a first sandbox's deliveries, so its own warm-up is not counted as ours.
 */
export async function benchHookColdStart() {
  const dynamo = await startDynamoDbLocal();
  const model = await evaluateStage("bench-hook", { OKTA_ORG_URL: "https://example.okta.com" });
  const service = await DeployedService.start(model, dynamo.endpoint);
  try {
    service.fillSecrets();
    const fn = model.fn("okta-events");
    if (!fn) throw new Error("the stack has no okta-events function");
    const org = service.okta!;
    let serial = 0;
    const delivery = () => {
      const group = { id: `00gcold${String(serial).padStart(13, "0")}`, name: `Cold-${serial}` };
      org.addGroup(group);
      return oktaDelivery(
        Array.from({ length: 100 }, () => {
          serial += 1;
          const user = {
            id: `00ucold${String(serial).padStart(13, "0")}`,
            login: `cold${serial}@example.com`,
          };
          return membershipEvent("add", user, group);
        }),
      );
    };
    const post = async () => {
      const answer = await service.request("POST", "/okta/events", {
        body: delivery(),
        headers: { authorization: service.secrets.hookSecret },
      });
      if (answer.status !== 204) throw new Error(`hook answered ${answer.status}: ${answer.text}`);
      const invocation = service.invocations.at(-1)!;
      return invocation.outcome.durationMs;
    };
    await service.coldStart(["okta-events"]);
    for (let index = 0; index < 5; index++) await post();
    const init = await service.coldStart(["okta-events"]);
    const firstInvokeMs = await post();
    const warm: number[] = [];
    for (let index = 0; index < warmDeliveries; index++) warm.push(await post());
    const initMs = init[fn.id] ?? Number.NaN;
    return {
      coldStart100Events: {
        initMs: round(initMs),
        firstInvokeMs: round(firstInvokeMs),
        totalMs: round(initMs + firstInvokeMs),
      },
      warm100Events: {
        p50Ms: round(percentile(warm, 50)),
        p99Ms: round(percentile(warm, 99)),
        medianMs: round(median(warm)),
      },
    };
  } finally {
    await service.stop();
    await dynamo.stop();
  }
}
