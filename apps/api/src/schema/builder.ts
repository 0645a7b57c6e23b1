import SchemaBuilder from "@pothos/core";
import { GraphQLError, Kind } from "graphql";
import type { GraphQLContext } from "../context";

/** One Pothos builder for the whole API; each file in ./modules adds one domain's types. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({ defaultFieldNullability: false });

builder.scalarType("DateTime", {
  description: "ISO-8601 timestamp with milliseconds, UTC.",
  serialize: (d) => d.toISOString(),
  parseValue: (v) => {
    const d = typeof v === "string" ? new Date(v) : null;
    if (!d || Number.isNaN(d.getTime())) {
      throw new GraphQLError("DateTime must be an ISO-8601 string", {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return d;
  },
});

builder.scalarType("JSON", {
  description: "Arbitrary JSON (e.g. EIP-712 typed data). bigint values are serialised as decimal strings.",
  serialize: (v) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x))),
  parseValue: (v) => v,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING) return ast.value;
    throw new GraphQLError("JSON literals must be passed as variables", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  },
});

builder.queryType({});
builder.mutationType({});
