import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import { type RunChunk, RunChunkSchema } from "../core/domain/sync-events";
import { deliverWithRetries } from "../core/use-cases/deliver-with-retries";
import { executeRunChunk } from "../core/use-cases/run-chunks";
import { once } from "./shared/once";
import { logger, metrics } from "./shared/powertools";
import { retryDependencies } from "./shared/retry-dependencies";
import { type WorkerDependencies, workerDependencies } from "./shared/worker-dependencies";

/**
 * EventBridge target for `RunChunk`: one chunk of a reconcile or re-provisioning run, which
 * publishes the next. Chunks are small, so a 100k-user directory never meets the Lambda timeout.
 */
export function createRunChunkHandler(dependencies: () => WorkerDependencies) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(parser({ schema: RunChunkSchema, envelope: EventBridgeEnvelope }))
    .handler(async (chunk) => {
      const deps = dependencies();
      logger.appendKeys({ runId: chunk.runId, phase: chunk.step.phase, source: chunk.step.source });
      const delivery = await deliverWithRetries(
        { type: "RunChunk", detail: chunk },
        async () =>
          executeRunChunk(chunk, {
            ...deps,
            directories: await deps.configuredDirectories(),
            scim: readsKiro(chunk) ? await deps.kiroScim() : undefined,
            removalPolicy: deps.config.removalPolicy,
            chunkSize: deps.config.runChunkSize,
          }),
        retryDependencies(deps),
      );
      logger.info("run chunk", { ...delivery });
      return delivery;
    });
}

/** The audit reads Kiro and a reconcile's user re-read pushes the users it found changed. */
const readsKiro = (chunk: RunChunk) => chunk.step.phase.startsWith("audit") || chunk.step.phase === "users";

export const handler = createRunChunkHandler(once(() => workerDependencies(loadConfig())));
