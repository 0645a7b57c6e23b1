/**
 * Offline stand-in for `prisma migrate`, on Prisma's WASM schema engine (see ./engine.ts).
 *
 *   tsx packages/db/src/migrate/cli.ts create <name>   new migration from schema changes (no database needed)
 *   tsx packages/db/src/migrate/cli.ts deploy          apply pending migrations to DATABASE_URL
 *   tsx packages/db/src/migrate/cli.ts status          compare DATABASE_URL with the migrations folder
 *   tsx packages/db/src/migrate/cli.ts check           fail if the schema has changes without a migration
 *   tsx packages/db/src/migrate/cli.ts resolve --rolled-back|--applied <migration>
 *
 * Exit codes: 0 ok, 1 failure (or: not up to date / drift found), 2 usage error. The process always
 * exits explicitly once the command is done.
 */
import path from "node:path";
import {
  checkDrift,
  createMigration,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  deployMigrations,
  enginePanicMessage,
  MigrateError,
  type MigrateLog,
  migrationStatus,
  resolveMigration,
} from "./engine.ts";

const USAGE = `Usage: tsx packages/db/src/migrate/cli.ts <command>

Commands:
  create <name>   Create prisma/migrations/<timestamp>_<name>/migration.sql from the changes in
                  prisma/schema.prisma (replayed in an in-memory database; nothing is applied)
  deploy          Apply pending migrations to DATABASE_URL
  status          Show applied / pending / failed migrations and schema drift of DATABASE_URL
  check           Exit 1 if prisma/schema.prisma has changes no migration covers
  resolve --rolled-back <migration> | --applied <migration>
                  Mark a failed migration as rolled back (deploy retries it) or as applied by hand

Options: --schema <path> (default prisma/schema.prisma), --migrations <dir> (default prisma/migrations)

npm scripts: db:migrate:create <name>, db:migrate:deploy, db:migrate:status, db:migrate:check`;

class UsageError extends Error {}

/** `--schema <path>` / `--migrations <dir>` (anywhere on the line) override the repo defaults. */
const paths = { schemaPath: DEFAULT_SCHEMA_PATH, migrationsDir: DEFAULT_MIGRATIONS_DIR };

function takePathOptions(argv: string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const key = arg === "--schema" ? "schemaPath" : arg === "--migrations" ? "migrationsDir" : null;
    if (!key) {
      rest.push(arg);
      continue;
    }
    const value = argv[++i];
    if (!value) throw new UsageError(`${arg} needs a path`);
    paths[key] = path.resolve(value);
  }
  return rest;
}

const rel = (p: string) => path.relative(process.cwd(), p) || p;
const out = (line = "") => process.stdout.write(`${line}\n`);
const err = (line = "") => process.stderr.write(`${line}\n`);

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new MigrateError(
      "DATABASE_URL is not set. Point it at the target database, e.g.\n" +
        "  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cohort npm run db:migrate:deploy",
      { command: "env" },
    );
  }
  return url;
}

/** host:port/db for messages; never the password. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/** Engine warnings and errors on stderr; with MIGRATE_DEBUG=1, everything. */
const engineLog: MigrateLog = (event) => {
  const verbose = process.env.MIGRATE_DEBUG === "1";
  if (verbose || event.level === "error" || event.level === "warn") {
    err(`[engine ${event.level}] ${event.message}${verbose ? ` ${JSON.stringify(event.fields)}` : ""}`);
  }
};

async function create(args: string[]): Promise<number> {
  const name = args.join(" ").trim();
  if (!name)
    throw new UsageError("create needs a migration name, e.g. `npm run db:migrate:create add_invites`");
  const started = Date.now();
  const result = await createMigration(name, { ...paths, log: engineLog });
  if (!result.migration) {
    out(result.message);
    return 0;
  }
  const { migration } = result;
  if (migration.createdLockfile)
    out(`Created ${rel(path.join(path.dirname(migration.path), "..", "migration_lock.toml"))}`);
  out(`Created ${rel(migration.path)} (${Date.now() - started} ms)`);
  if (migration.warnings.length > 0) {
    out("Warnings (also at the top of the file):");
    for (const w of migration.warnings) out(`  - ${w}`);
  }
  out("Review the SQL (data migrations, defaults for new required columns), then apply it with");
  out("  npm run db:migrate:deploy");
  return 0;
}

async function deploy(): Promise<number> {
  const url = databaseUrl();
  const started = Date.now();
  out(`Deploying ${rel(paths.migrationsDir)} to ${describe(url)}`);
  const applied = await deployMigrations(url, {
    migrationsDir: paths.migrationsDir,
    log: (event) => {
      if (event.level === "info" && event.message.startsWith("Applying ")) out(`  ${event.message}`);
      else engineLog(event);
    },
  });
  out(
    applied.length === 0
      ? "No pending migrations to apply."
      : `Applied ${applied.length} migration(s) in ${Date.now() - started} ms.`,
  );
  return 0;
}

async function status(): Promise<number> {
  const url = databaseUrl();
  out(`Database ${describe(url)}, migrations ${rel(paths.migrationsDir)}`);
  const s = await migrationStatus(url, { ...paths, detectDrift: true, log: engineLog });
  out(`${s.local.length} migration(s) in the folder, ${s.applied.length} applied.`);
  if (!s.hasMigrationsTable) out("The database has no _prisma_migrations table yet (never deployed).");
  const list = (title: string, names: string[]) => {
    if (names.length === 0) return;
    out(`${title}:`);
    for (const n of names) out(`  ${n}`);
  };
  list("Pending (run npm run db:migrate:deploy)", s.pending);
  list("Failed (fix, then `resolve --rolled-back <migration>` and deploy again)", s.failed);
  list("Edited after being applied (checksum differs)", s.edited);
  list("Applied to the database but missing from the folder", s.missingLocally);
  if (s.drift) {
    out("Drift: the database schema differs from what the migrations produce. SQL that would align it:");
    out(s.drift.trimEnd());
  }
  out(s.upToDate ? "Database schema is up to date." : "Database schema is NOT up to date.");
  return s.upToDate ? 0 : 1;
}

async function check(): Promise<number> {
  const started = Date.now();
  const sql = await checkDrift({ ...paths, log: engineLog });
  if (sql === "") {
    out(`${rel(paths.schemaPath)} and ${rel(paths.migrationsDir)} are in sync (${Date.now() - started} ms).`);
    return 0;
  }
  err(`${rel(paths.schemaPath)} has changes that no migration covers. The missing SQL:`);
  err();
  err(sql.trimEnd());
  err();
  err("Create the migration: run npm run db:migrate:create <name>");
  return 1;
}

async function resolve(args: string[]): Promise<number> {
  const [flag, migration, ...rest] = args;
  if ((flag !== "--rolled-back" && flag !== "--applied") || !migration || rest.length > 0) {
    throw new UsageError("resolve needs --rolled-back <migration> or --applied <migration>");
  }
  const url = databaseUrl();
  await resolveMigration(url, migration, {
    migrationsDir: paths.migrationsDir,
    as: flag === "--applied" ? "applied" : "rolledBack",
    log: engineLog,
  });
  out(`Marked ${migration} as ${flag === "--applied" ? "applied" : "rolled back"} in ${describe(url)}.`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = takePathOptions(argv);
  switch (command) {
    case "create":
      return create(args);
    case "deploy":
    case "status":
    case "check":
      if (args.length > 0) throw new UsageError(`${command} takes no arguments`);
      return command === "deploy" ? deploy() : command === "status" ? status() : check();
    case "resolve":
      return resolve(args);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`Unknown command ${JSON.stringify(command)}`);
  }
}

// An engine panic usually escapes as an uncaught `RuntimeError: unreachable`; say what it was.
process.on("uncaughtException", (error) => {
  const panic = enginePanicMessage();
  err(panic ? `The schema engine crashed: ${panic}` : (error.stack ?? String(error)));
  process.exit(1);
});

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    err(error.message);
    err();
    err(USAGE);
    code = 2;
  } else if (error instanceof MigrateError) {
    err(`Error${error.code ? ` ${error.code}` : ""}: ${error.message}`);
    if (process.env.MIGRATE_DEBUG === "1" && error.trace) err(error.trace);
    code = 1;
  } else {
    err(error instanceof Error ? (error.stack ?? error.message) : String(error));
    code = 1;
  }
}
// The engine and its pools are closed by now; exit explicitly anyway, in case a driver leaves a handle.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
process.exit(code);
