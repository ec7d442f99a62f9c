/**
 * Imported first by the local entry points: Powertools reads its settings when its modules load,
 * and ESM evaluates imports before the importing module's body. Errors only, for the CLIs and the
 * bench; `npm start` sets INFO before this runs (start-log-level.ts).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
