import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { RunChunkSchema } from "../core/domain/sync-events";
import { executeRunChunk } from "../core/use-cases/run-chunks";
import { logger, metrics } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/**
 * EventBridge target for `RunChunk`: one chunk of a reconcile or re-provisioning run, which
 * publishes the next. Chunks are small, so a 100k-user directory never meets the Lambda timeout.
 */
export function createRunChunkHandler(dependencies: () => ServiceDependencies) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(parser({ schema: RunChunkSchema, envelope: EventBridgeEnvelope }))
    .handler(async (chunk) => {
      const deps = dependencies();
      logger.appendKeys({ runId: chunk.runId, phase: chunk.step.phase, source: chunk.step.source });
      const directories = await deps.configuredDirectories();
      const scim = chunk.step.phase.startsWith("audit") ? await deps.kiroScim() : undefined;
      const outcome = await executeRunChunk(chunk, {
        ...deps,
        directories,
        scim,
        chunkSize: deps.config.runChunkSize,
      });
      logger.info("run chunk", { outcome });
      return { outcome };
    });
}

export const handler = createRunChunkHandler(awsDependencies);
