#!/bin/sh
# Stand-in for Prisma's native schema-engine binary, which the CLI would download from a host this
# machine cannot reach. `prisma generate|validate|format` only need the CLI to find *an* executable;
# migrations run through Prisma's WASM schema engine instead (packages/db/src/migrate).
echo "cohort: the native Prisma schema engine is not available offline; use npm run db:migrate:* (WASM engine)" >&2
exit 1
