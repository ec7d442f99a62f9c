export const ledger = new sst.aws.Dynamo("Ledger", {
  fields: { pk: "string", sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
});
