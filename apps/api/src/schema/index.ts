import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder";
import "./modules/auth";
import "./modules/clusters";
import "./modules/dashboard";
import "./modules/incidents";
import "./modules/oncall";
import "./modules/participation";
import "./modules/settlement";

/** The executable schema. Modules register themselves on the builder when imported above. */
export const schema = builder.toSchema();

/** The SDL checked in as apps/api/schema.graphql (sorted, so diffs are stable). */
export const printSdl = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
