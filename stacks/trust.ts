/**
 * A role that only `service` may assume, and only on behalf of this account: no other account's
 * schedule or function can borrow it (the confused-deputy guard AWS recommends).
 */
export function trustOnly(service: "lambda.amazonaws.com" | "scheduler.amazonaws.com") {
  return $jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": aws.getCallerIdentityOutput().accountId } },
      },
    ],
  });
}

/**
 * SST 4.17 gives every function role a trust policy that also lets the account root assume it (its
 * `sst dev` variant, chosen in deploy too). Only Lambda, for this account, may assume our roles;
 * a function's own role transform still runs after.
 */
export function trustLambdaOnly(inner: NonNullable<sst.aws.FunctionArgs["transform"]>["role"]) {
  return (args: aws.iam.RoleArgs, opts: $util.CustomResourceOptions, name: string): undefined => {
    args.assumeRolePolicy = trustOnly("lambda.amazonaws.com");
    if (typeof inner === "function") inner(args, opts, name);
    else if (inner) Object.assign(args, inner);
  };
}
