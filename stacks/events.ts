/** The bus every trigger travels on: GroupChanged and RunChunk, first deliveries and scheduled retries alike. */
export const bus = new sst.aws.Bus("SyncBus");

/** IAM statement for publishing to our bus and no other. */
export const publishToBus = { actions: ["events:PutEvents"], resources: [bus.arn] };
