/**
 * Imported by `npm start` before quiet-defaults, whose ERROR default is for the CLIs and the bench
 * (they print their own results, which log lines would bury): the service run by hand logs at INFO,
 * one line per sync outcome naming the group, so a newcomer sees it work.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= "INFO";
