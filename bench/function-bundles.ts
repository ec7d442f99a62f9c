import { startLambda } from "../test/support/lambda-runner";
import { evaluateStage } from "../test/support/stack-model";
import { median, round } from "./stats";

const samples = 5;

/**
 * What SST ships per function, built from the stacks as `sst deploy` builds it (Okta and Entra
 * both on): the zip's bytes and the module init time of the bundle in a fresh Node 24 process
 * (import to ready, as Lambda's INIT phase spends it on our code), median of five cold starts.
 */
export async function benchFunctionBundles() {
  const model = await evaluateStage("bench", {
    OKTA_ORG_URL: "https://example.okta.com",
    ENTRA_ENABLED: "true",
  });
  const figures: Record<string, { bytes: number; initMsMedian: number; initMs: number[] }> = {};
  for (const fn of model.functions) {
    const initMs: number[] = [];
    for (let sample = 0; sample < samples; sample++) {
      const lambda = await startLambda({
        bundleDir: fn.bundle.dir,
        handler: fn.bundle.handler,
        name: fn.id,
        env: { ...fn.environment, AWS_REGION: "us-east-1" },
      });
      initMs.push(round(lambda.initMs));
      await lambda.stop();
    }
    figures[fn.source.replace(/^functions\//, "")] = {
      bytes: fn.bundle.bytes,
      initMsMedian: round(median(initMs)),
      initMs,
    };
  }
  for (const [name, figure] of Object.entries(figures))
    console.log(
      `  ${name.padEnd(22)} ${(figure.bytes / 1e6).toFixed(2).padStart(6)} MB  init ${String(figure.initMsMedian).padStart(6)} ms`,
    );
  return figures;
}
