// Prisma CLI configuration. Only `prisma generate|validate|format` are used through the CLI: the
// CLI's native schema engine is a download this machine cannot make, so a stub stands in for it,
// and migrations run through Prisma's WASM schema engine (`npm run db:migrate:*`).
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(
  new URL("./scripts/prisma-engine-stub.sh", import.meta.url),
);

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  // `env()` throws when unset, even for `generate`; the URL is only needed by commands we don't run.
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/cohort" },
});
