// Provision PostgreSQL and Redis for the test suite on any machine — no npm dependencies.
//
//   ensurePostgres({ log }) -> { url, stop, description }
//   ensureRedis({ log })    -> { url, stop, description }
//   startRedisServer({ port?, dir?, persistent?, log }) -> { url, stop, port, dir, pid, description }
//   findRedisServer() -> path | null
//   freePort() -> number
//
// Lookup order for both services:
//   1. TEST_*_URL / *_URL from the environment, if the server answers;
//   2. the conventional local server on 127.0.0.1 (5432 with trust auth for user postgres / 6379);
//   3. a private throwaway server on a free loopback port, started from the locally installed
//      binaries (installed with apt-get first when we are root and apt-get exists);
//   4. otherwise an Error that says what to install.
//
// COHORT_TEST_NO_REUSE=1 skips steps 1 and 2 and always starts private servers. Useful for CI
// debugging and for testing step 3 on a machine that already runs PostgreSQL/Redis.
//
// Private servers are child processes of this Node process. They are stopped by `stop()`, and as a
// safety net when the process exits (see "Cleanup on exit" below). The servers are spawned in our
// process group on purpose: a Ctrl-C in the terminal, or a CI runner that kills the whole group,
// reaches them too. (Only a SIGKILL aimed at this process alone can leave them running.)

import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";

const PROBE_TIMEOUT_MS = 2000;
const defaultLog = (msg) => console.error(`[services] ${msg}`);
const noop = async () => {};

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
const noReuse = () => /^(1|true|yes|on)$/i.test(process.env.COHORT_TEST_NO_REUSE ?? "");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Blocking sleep, only for the synchronous process 'exit' hook. */
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

/** A free TCP port on the loopback interface (the OS picks one when we bind port 0). */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Like `which`: the first executable `name` on PATH, then in `extraDirs`. */
function which(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

function lastLines(text, n = 25) {
  const lines = String(text).trimEnd().split("\n");
  return lines.slice(-n).join("\n");
}

function tailFile(file, n = 25) {
  try {
    return lastLines(fs.readFileSync(file, "utf8"), n) || "(log is empty)";
  } catch (err) {
    return `(could not read ${file}: ${err.message})`;
  }
}

const indent = (text) => text.replace(/^/gm, "    ");

/** Hide the password of a URL for logging. */
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/** Run a command to completion with captured output (used for initdb). */
function runCaptured(cmd, args, { cwd, user, env, onSpawn } = {}) {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      uid: user?.uid,
      gid: user?.gid,
    });
    watchExit(child);
    onSpawn?.(child);
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (err) => resolve({ code: -1, output: `${output}\n${err.message}` }));
    child.on("close", (code, signal) => resolve({ code: code ?? `signal ${signal}`, output }));
  });
}

/** Run a command with inherited stdio (so the user sees progress, e.g. apt-get). */
function runInherit(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "inherit", env });
    child.on("error", () => resolve(-1));
    child.on("close", (code) => resolve(code ?? -1));
  });
}

/**
 * Install Debian packages when we can do so non-interactively: only as root and only if
 * apt-get exists. Tries without `apt-get update` first (fast when the lists are fresh), then
 * updates and retries. Returns true on success.
 */
async function aptInstall(packages, log) {
  if (!isRoot()) return false;
  const aptGet = which("apt-get", ["/usr/bin"]);
  if (!aptGet) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => runInherit(aptGet, ["install", "-y", "--no-install-recommends", ...packages], env);

  log(`installing ${packages.join(" ")} with apt-get (running as root)...`);
  if ((await install()) === 0) return true;
  log("apt-get install failed; running apt-get update and retrying");
  if ((await runInherit(aptGet, ["update"], env)) !== 0) {
    log("apt-get update failed");
    return false;
  }
  if ((await install()) === 0) return true;
  log(`apt-get install ${packages.join(" ")} failed`);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Cleanup on exit
//
// Every private server registers itself here until it is stopped.
//  - On process 'exit' (normal end, process.exit(), uncaught exception) we stop the servers
//    synchronously: that hook cannot await, so it signals them and busy-waits briefly.
//  - On SIGINT/SIGTERM/SIGHUP, *if nothing else in the process handles that signal*, we stop the
//    servers properly and then re-raise the signal so the process still dies from it. If the host
//    program has its own handler (scripts/test.mjs does), it owns the shutdown and is expected to
//    call stop(); the 'exit' hook remains the safety net.
// ---------------------------------------------------------------------------------------------

const running = new Set();
let hooksInstalled = false;

function track(service) {
  running.add(service);
  installExitHooks();
}

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;

  process.on("exit", () => {
    for (const service of [...running]) {
      try {
        service.stopSync();
      } catch {
        // best effort; nothing useful to do while exiting
      }
    }
  });

  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    const handler = () => {
      const others = process.listeners(sig).filter((l) => l !== handler);
      if (others.length > 0) return; // the host program handles this signal
      Promise.allSettled([...running].map((s) => s.stop())).finally(() => {
        process.removeListener(sig, handler);
        process.kill(process.pid, sig); // default disposition again: die by the signal
      });
    };
    process.on(sig, handler);
  }
}

/**
 * Spawn a long-running server with stdout/stderr going to `logFile`.
 * The child is unref'd: it does not keep the event loop alive on its own — its lifetime is bound
 * to ours through stop() and the exit hooks.
 */
function spawnServer(cmd, args, { logFile, cwd, user }) {
  const fd = fs.openSync(logFile, "a");
  let child;
  try {
    child = spawn(cmd, args, {
      cwd,
      stdio: ["ignore", fd, fd],
      uid: user?.uid,
      gid: user?.gid,
    });
  } finally {
    fs.closeSync(fd);
  }
  child.unref();
  watchExit(child, (err) => {
    try {
      fs.appendFileSync(logFile, `\nfailed to start ${cmd}: ${err.message}\n`);
    } catch {
      // the directory may already be gone
    }
  });
  return child;
}

/** child.exited: a promise of { code, signal } that also settles if the spawn itself fails. */
function watchExit(child, onSpawnError) {
  child.exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (err) => {
      child.spawnError = err;
      onSpawnError?.(err);
      resolve({ code: -1, signal: null, error: err });
    });
  });
}

const hasExited = (child) => child.exitCode !== null || child.signalCode !== null || !!child.spawnError;

/** Send signals in turn, waiting up to `ms` after each, until the child exits. */
async function stopChild(child, steps) {
  for (const [signal, ms] of steps) {
    if (hasExited(child)) return;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([child.exited, timeout]);
    clearTimeout(timer);
  }
}

/**
 * Poll `probe()` until it reports ok. Fails early if the child exits, with the log tail.
 * `probe` resolves to { ok, reason }.
 */
async function waitUntilReady({ child, probe, what, logFile, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  let last = "not probed yet";
  for (;;) {
    if (hasExited(child)) {
      const { code, signal } = await child.exited;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const err = new Error(
        `${what} ${how} during startup. Last lines of ${logFile}:\n${indent(tailFile(logFile))}`,
      );
      err.serverLog = tailFile(logFile);
      throw err;
    }
    const result = await probe();
    if (result.ok) return;
    last = result.reason;
    if (Date.now() > deadline) {
      const err = new Error(
        `${what} did not become ready within ${timeoutMs / 1000}s (last check: ${last}). ` +
          `Last lines of ${logFile}:\n${indent(tailFile(logFile))}`,
      );
      err.serverLog = tailFile(logFile);
      throw err;
    }
    await sleep(100);
  }
}

const looksLikePortClash = (text) =>
  /address already in use|could not bind|could not create any TCP/i.test(text ?? "");

// ---------------------------------------------------------------------------------------------
// PostgreSQL wire protocol: just enough to log in.
// https://www.postgresql.org/docs/current/protocol-flow.html
// Success = AuthenticationOk followed by ReadyForQuery. Waiting for ReadyForQuery matters: with
// trust auth the server sends AuthenticationOk *before* checking that the role and database exist
// (those failures arrive as an ErrorResponse afterwards).
// Supports trust, cleartext password, md5 and SCRAM-SHA-256 (so env URLs with credentials can be
// verified too), optional TLS (sslmode=prefer/require/verify-ca/verify-full) and unix sockets
// (?host=/path/to/socket/dir).
// ---------------------------------------------------------------------------------------------

const AUTH_NAMES = { 2: "Kerberos", 3: "password", 5: "md5", 7: "GSSAPI", 9: "SSPI", 10: "SCRAM" };

const int32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (s) => Buffer.from(`${s}\0`, "utf8");
/** A typed frontend message: type byte, int32 length (including itself), body. */
function pgMessage(type, ...parts) {
  const body = Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
  return Buffer.concat([Buffer.from(type, "latin1"), int32(body.length + 4), body]);
}
function pgStartupMessage(params) {
  const body = Buffer.concat([
    int32(196608), // protocol 3.0
    ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}
/** ErrorResponse body: fields of (code byte, cstring), e.g. S=FATAL C=28000 M=... */
function pgErrorText(body) {
  const fields = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]);
    const end = body.indexOf(0, i + 1);
    fields[code] = body.toString("utf8", i + 1, end);
    i = end + 1;
  }
  return `${fields.S ?? "ERROR"} ${fields.C ?? ""}: ${fields.M ?? "(no message)"}`.replace(/ :/, ":");
}

const hmac = (key, data) => crypto.createHmac("sha256", key).update(data).digest();
const sha256 = (data) => crypto.createHash("sha256").update(data).digest();
const md5hex = (data) => crypto.createHash("md5").update(data).digest("hex");

/** Parse a postgres:// URL into probe options. Throws on a malformed URL. */
function parsePgUrl(url) {
  const u = new URL(url);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`not a postgres:// URL (${u.protocol})`);
  const q = u.searchParams;
  // Default user as in libpq: PGUSER, else the OS user.
  const envUser = process.env.PGUSER;
  const user = decodeURIComponent(u.username) || q.get("user") || envUser || os.userInfo().username;
  const hostParam = q.get("host");
  const port = Number(u.port || q.get("port") || 5432);
  const sslmode =
    q.get("sslmode") ?? (/^(true|1|require)$/i.test(q.get("ssl") ?? "") ? "require" : "disable");
  return {
    host:
      u.hostname.replace(/^\[|\]$/g, "") ||
      (hostParam && !hostParam.startsWith("/") ? hostParam : "localhost"),
    // A host starting with "/" is a unix socket directory, as with libpq.
    socketPath: hostParam?.startsWith("/") ? path.join(hostParam, `.s.PGSQL.${port}`) : undefined,
    port,
    user,
    password: decodeURIComponent(u.password) || q.get("password") || undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || user,
    sslmode,
    sslrootcert: q.get("sslrootcert") ?? undefined,
  };
}

/**
 * Log in to a PostgreSQL server and report whether it accepted us.
 * Resolves { ok: true } or { ok: false, reason } — never rejects.
 */
export function probePostgres({
  host = "127.0.0.1",
  port = 5432,
  socketPath,
  user = "postgres",
  database = "postgres",
  password,
  sslmode = "disable",
  sslrootcert,
  timeoutMs = PROBE_TIMEOUT_MS,
} = {}) {
  return new Promise((resolve) => {
    const trySsl = ["prefer", "require", "verify-ca", "verify-full"].includes(sslmode);
    const needSsl = trySsl && sslmode !== "prefer";
    let stream = net.connect(socketPath ? { path: socketPath } : { host, port });
    let buf = Buffer.alloc(0);
    let done = false;
    let scram = null;
    let authenticated = false;

    const finish = (ok, reason) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) {
        // Say goodbye with Terminate so the server does not log an unexpected EOF.
        stream.end(pgMessage("X"));
        setTimeout(() => stream.destroy(), 500).unref();
      } else {
        stream.destroy();
      }
      resolve(ok ? { ok: true } : { ok: false, reason });
    };
    const timer = setTimeout(() => finish(false, `no answer within ${timeoutMs} ms`), timeoutMs);

    const onError = (err) =>
      finish(false, err.code === "ECONNREFUSED" ? "connection refused" : err.message || String(err));
    stream.on("error", onError);
    stream.on("close", () => finish(false, "server closed the connection"));

    const startup = () => {
      stream.on("data", onData);
      stream.write(pgStartupMessage({ user, database, application_name: "cohort-service-probe" }));
    };

    stream.once("connect", () => {
      if (!trySsl) return startup();
      stream.write(Buffer.concat([int32(8), int32(80877103)])); // SSLRequest
      stream.once("data", (reply) => {
        if (reply[0] === 0x4e /* N */) {
          if (needSsl) return finish(false, `sslmode=${sslmode} but the server does not support SSL`);
          return startup();
        }
        if (reply[0] !== 0x53 /* S */) return finish(false, "unexpected answer to SSLRequest");
        const raw = stream;
        raw.removeAllListeners("close");
        stream = tls.connect({
          socket: raw,
          servername: net.isIP(host) ? undefined : host,
          rejectUnauthorized: sslmode.startsWith("verify"),
          ca: sslrootcert ? fs.readFileSync(sslrootcert) : undefined,
          // verify-ca checks the certificate chain but not the host name
          checkServerIdentity: sslmode === "verify-ca" ? () => undefined : tls.checkServerIdentity,
        });
        stream.on("error", onError);
        stream.on("close", () => finish(false, "server closed the connection"));
        stream.once("secureConnect", startup);
      });
    });

    function onData(chunk) {
      buf = Buffer.concat([buf, chunk]);
      while (!done && buf.length >= 5) {
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        try {
          handle(type, body);
        } catch (err) {
          finish(false, `protocol error: ${err.message}`);
        }
      }
    }

    function handle(type, body) {
      if (type === "E") return finish(false, pgErrorText(body));
      if (type === "Z")
        return authenticated ? finish(true) : finish(false, "ReadyForQuery before authentication");
      // NegotiateProtocolVersion, ParameterStatus, BackendKeyData, NoticeResponse: keep going
      if ("vSKN".includes(type)) return;
      if (type !== "R") return finish(false, `unexpected '${type}' message — is this a PostgreSQL server?`);

      const code = body.readInt32BE(0);
      const needPassword = () =>
        finish(
          false,
          `server requires ${AUTH_NAMES[code] ?? `auth method ${code}`} authentication for user "${user}" ` +
            "and no password was given (trust authentication is needed to reuse it without credentials)",
        );
      switch (code) {
        case 0: // AuthenticationOk; ReadyForQuery (or an ErrorResponse) follows
          authenticated = true;
          return;
        case 3: // cleartext password
          if (password === undefined) return needPassword();
          return stream.write(pgMessage("p", cstr(password)));
        case 5: {
          // md5: "md5" + md5(md5(password + user) + salt)
          if (password === undefined) return needPassword();
          const salt = body.subarray(4, 8);
          const inner = md5hex(password + user);
          const outer = md5hex(Buffer.concat([Buffer.from(inner), salt]));
          return stream.write(pgMessage("p", cstr(`md5${outer}`)));
        }
        case 10: {
          // SASL: the body lists mechanisms. We do SCRAM-SHA-256 without channel binding.
          if (password === undefined) return needPassword();
          const mechanisms = body.toString("utf8", 4).split("\0").filter(Boolean);
          if (!mechanisms.includes("SCRAM-SHA-256")) {
            return finish(false, `unsupported SASL mechanisms: ${mechanisms.join(", ")}`);
          }
          const nonce = crypto.randomBytes(18).toString("base64");
          scram = { nonce, clientFirstBare: `n=,r=${nonce}` };
          const data = Buffer.from(`n,,${scram.clientFirstBare}`);
          return stream.write(pgMessage("p", cstr("SCRAM-SHA-256"), int32(data.length), data));
        }
        case 11: {
          // SASLContinue: server-first-message "r=<nonce>,s=<salt>,i=<iterations>"
          const serverFirst = body.toString("utf8", 4);
          const attrs = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
          if (!scram || !attrs.r?.startsWith(scram.nonce)) return finish(false, "SCRAM: bad server nonce");
          const salted = crypto.pbkdf2Sync(
            password.normalize("NFKC"),
            Buffer.from(attrs.s, "base64"),
            Number(attrs.i),
            32,
            "sha256",
          );
          const clientKey = hmac(salted, "Client Key");
          const withoutProof = `c=biws,r=${attrs.r}`;
          const authMessage = `${scram.clientFirstBare},${serverFirst},${withoutProof}`;
          const signature = hmac(sha256(clientKey), authMessage);
          const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
          scram.expectedServerSignature = hmac(hmac(salted, "Server Key"), authMessage).toString("base64");
          return stream.write(pgMessage("p", `${withoutProof},p=${proof.toString("base64")}`));
        }
        case 12: {
          // SASLFinal: "v=<server signature>"; AuthenticationOk follows.
          const serverFinal = body.toString("utf8", 4);
          if (serverFinal !== `v=${scram?.expectedServerSignature}`) {
            return finish(false, "SCRAM: server signature mismatch");
          }
          return;
        }
        default:
          return finish(false, `unsupported authentication method: ${AUTH_NAMES[code] ?? `code ${code}`}`);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

/**
 * Locate PostgreSQL server binaries (initdb + postgres). Prefers the highest version.
 * Returns { dir, version } or null.
 */
function findPostgresBinaries() {
  const dirs = [];
  const versioned = (base, re) => {
    try {
      for (const name of fs.readdirSync(base)) if (re.test(name)) dirs.push(path.join(base, name, "bin"));
    } catch {
      // base does not exist
    }
  };
  versioned("/usr/lib/postgresql", /^\d+(\.\d+)?$/); // Debian/Ubuntu
  versioned("/usr", /^pgsql-\d+$/); // RHEL/Fedora (PGDG packages)
  versioned("/opt/homebrew/opt", /^postgresql(@\d+)?$/); // Homebrew (Apple silicon)
  versioned("/usr/local/opt", /^postgresql(@\d+)?$/); // Homebrew (Intel)
  const onPath = which("initdb");
  if (onPath) dirs.push(path.dirname(fs.realpathSync(onPath)));

  let best = null;
  for (const dir of new Set(dirs)) {
    if (!isExecutable(path.join(dir, "initdb")) || !isExecutable(path.join(dir, "postgres"))) continue;
    let version;
    try {
      // "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"; --version is allowed as root.
      const out = execFileSync(path.join(dir, "postgres"), ["--version"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      version = out.match(/(\d+)(?:\.(\d+))?/)?.[0];
    } catch {
      continue;
    }
    if (!version) continue;
    const key = version.split(".").map(Number);
    if (!best || key[0] > best.key[0] || (key[0] === best.key[0] && (key[1] ?? 0) > (best.key[1] ?? 0))) {
      best = { dir, version, key };
    }
  }
  return best && { dir: best.dir, version: best.version };
}

/**
 * PostgreSQL refuses to run as root. When we are root, we run initdb and postgres as the
 * `postgres` system user (created by the distribution packages). We drop privileges with Node's
 * own spawn({ uid, gid }) — the same effect as `runuser -u postgres --`, but the server stays our
 * direct child, so signals (stop, Ctrl-C, exit hooks) reach it without an intermediate su/runuser
 * process that would translate them into something else.
 */
function postgresRunAsUser() {
  if (!isRoot()) return null;
  try {
    const uid = Number(
      execFileSync("id", ["-u", "postgres"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim(),
    );
    const gid = Number(
      execFileSync("id", ["-g", "postgres"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim(),
    );
    return { name: "postgres", uid, gid };
  } catch {
    throw new Error(
      'Running as root, but there is no "postgres" user to run a private PostgreSQL server as ' +
        "(PostgreSQL refuses to run as root). Create one (`useradd --system --user-group postgres`) " +
        "or run the tests as a non-root user.",
    );
  }
}

async function startPrivatePostgres({ bin, log }) {
  const user = postgresRunAsUser();
  // As root, the postgres user must be able to reach the directory: use /tmp rather than a
  // TMPDIR that might live under /root.
  const base = user ? "/tmp" : os.tmpdir();
  const dir = await fsp.mkdtemp(path.join(base, "cohort-pg-"));
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  const pidFile = path.join(dataDir, "postmaster.pid");

  // Registered right away, so that the temp dir (and initdb / postgres, whichever is running) is
  // cleaned up even if we are interrupted during startup.
  let child = null;
  let stopping = null;
  const service = {
    // Fast shutdown (SIGINT) disconnects clients and exits cleanly; escalate if it hangs.
    stop: () =>
      (stopping ??= (async () => {
        if (child)
          await stopChild(child, [
            ["SIGINT", 10_000],
            ["SIGQUIT", 5_000],
            ["SIGKILL", 5_000],
          ]);
        running.delete(service);
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      })()),
    // For the 'exit' hook, which cannot await: immediate shutdown (SIGQUIT) still releases shared
    // memory; busy-wait for postmaster.pid to disappear, which marks the end of the postmaster.
    stopSync: () => {
      running.delete(service);
      if (child && !hasExited(child)) {
        try {
          child.kill("SIGQUIT");
        } catch {}
        for (let i = 0; i < 100 && fs.existsSync(pidFile); i++) sleepSync(50);
        if (fs.existsSync(pidFile)) {
          try {
            child.kill("SIGKILL");
          } catch {}
        }
      }
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  track(service);

  try {
    await fsp.chmod(dir, 0o700);
    if (user) await fsp.chown(dir, user.uid, user.gid);

    log(`initializing a private PostgreSQL ${bin.version} cluster in ${dataDir}`);
    const init = await runCaptured(
      path.join(bin.dir, "initdb"),
      // --no-sync: a throwaway cluster does not need fsync. C locale: available everywhere.
      ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"],
      { cwd: dir, user, onSpawn: (c) => (child = c) },
    );
    if (init.code !== 0) {
      throw new Error(
        `initdb failed (exit ${init.code}). Last lines of its output:\n${indent(lastLines(init.output))}`,
      );
    }

    // The port from freePort() could be taken by someone else before postgres binds it; retry.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const settings = {
        listen_addresses: "127.0.0.1",
        port,
        unix_socket_directories: dir, // inside our private dir, not /var/run/postgresql
        // Throwaway test database: durability is irrelevant, speed is not.
        fsync: "off",
        synchronous_commit: "off",
        full_page_writes: "off",
        max_connections: 200, // parallel test workers with connection pools
      };
      child = spawnServer(
        path.join(bin.dir, "postgres"),
        ["-D", dataDir, ...Object.entries(settings).flatMap(([key, value]) => ["-c", `${key}=${value}`])],
        { logFile, cwd: dir, user },
      );
      try {
        await waitUntilReady({
          child,
          // Probe through the unix socket in our private dir: over TCP we might reach some other
          // server that already had this port. The postmaster creates its TCP listener before the
          // unix socket and exits if the bind fails, so once the socket answers, the port is ours.
          probe: () => probePostgres({ socketPath: path.join(dir, `.s.PGSQL.${port}`), timeoutMs: 1000 }),
          what: `PostgreSQL ${bin.version}`,
          logFile,
          timeoutMs: 30_000,
        });
      } catch (err) {
        await stopChild(child, [
          ["SIGQUIT", 5_000],
          ["SIGKILL", 5_000],
        ]);
        if (attempt < 3 && looksLikePortClash(err.serverLog)) {
          log(`port ${port} was taken, retrying on another port`);
          fs.truncateSync(logFile);
          continue;
        }
        throw err;
      }

      const description = `private PostgreSQL ${bin.version} on 127.0.0.1:${port} (pid ${child.pid}, ${dir})`;
      log(`started ${description}`);
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop: service.stop, description };
    }
  } catch (err) {
    await service.stop();
    throw err;
  }
}

function postgresInstallHint() {
  const lines = ["No usable PostgreSQL found for the tests. Do one of:"];
  if (which("apt-get", ["/usr/bin"])) {
    lines.push(`  - install the server: ${isRoot() ? "" : "sudo "}apt-get install -y postgresql`);
  } else if (which("dnf")) {
    lines.push("  - install the server: sudo dnf install -y postgresql-server");
  } else if (which("brew")) {
    lines.push("  - install the server: brew install postgresql@16");
  } else {
    lines.push(
      "  - install the PostgreSQL server binaries (initdb, postgres), e.g. `apt-get install postgresql`",
    );
  }
  lines.push(
    "  - or point TEST_DATABASE_URL at a server whose user may CREATE DATABASE,",
    "    e.g. TEST_DATABASE_URL=postgres://postgres:secret@127.0.0.1:5432/postgres",
  );
  return lines.join("\n");
}

/**
 * A PostgreSQL admin URL (a user that may CREATE DATABASE) for the test suite.
 * Returns { url, stop, description }; stop() is a no-op for servers we did not start.
 */
export async function ensurePostgres({ log = defaultLog } = {}) {
  if (noReuse()) {
    log("COHORT_TEST_NO_REUSE is set: not looking for an existing PostgreSQL server");
  } else {
    for (const name of ["TEST_DATABASE_URL", "DATABASE_URL"]) {
      const url = process.env[name];
      if (!url) continue;
      let result;
      try {
        result = await probePostgres(parsePgUrl(url));
      } catch (err) {
        result = { ok: false, reason: err.message };
      }
      if (result.ok) {
        const description = `${name} (${redact(url)})`;
        log(`using ${description}`);
        return { url, stop: noop, description };
      }
      log(`${name}=${redact(url)} is set but not usable: ${result.reason}`);
    }

    const local = await probePostgres({
      host: "127.0.0.1",
      port: 5432,
      user: "postgres",
      database: "postgres",
    });
    if (local.ok) {
      const description = "reusing 127.0.0.1:5432 (user postgres, trust auth)";
      log(description);
      return { url: "postgres://postgres@127.0.0.1:5432/postgres", stop: noop, description };
    }
    log(`127.0.0.1:5432 not usable: ${local.reason}`);
  }

  let bin = findPostgresBinaries();
  if (!bin) {
    log("no PostgreSQL server binaries found");
    if (await aptInstall(["postgresql"], log)) bin = findPostgresBinaries();
  }
  if (!bin) throw new Error(postgresInstallHint());
  return startPrivatePostgres({ bin, log });
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

/**
 * PING a Redis server (after AUTH when the URL has credentials) and expect +PONG.
 * With expectPid, also require INFO's process_id to match (used to recognise our own child).
 * Resolves { ok: true } or { ok: false, reason } — never rejects.
 */
export function probeRedis(url, { timeoutMs = PROBE_TIMEOUT_MS, expectPid } = {}) {
  return new Promise((resolve) => {
    let u;
    try {
      u = new URL(url);
      if (u.protocol !== "redis:" && u.protocol !== "rediss:")
        throw new Error(`not a redis:// URL (${u.protocol})`);
    } catch (err) {
      return resolve({ ok: false, reason: err.message });
    }
    const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    const port = Number(u.port || 6379);
    const stream =
      u.protocol === "rediss:"
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
        : net.connect({ host, port });

    // RESP arrays so that passwords with spaces survive.
    const resp = (...args) =>
      `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
    const username = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    const expected = [];
    let request = "";
    if (password) {
      request += username ? resp("AUTH", username, password) : resp("AUTH", password);
      expected.push("+OK");
    }
    request += "PING\r\n";
    expected.push("+PONG");
    if (expectPid !== undefined) request += "INFO server\r\n";

    let buf = "";
    let done = false;
    const finish = (ok, reason) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.destroy();
      resolve(ok ? { ok: true } : { ok: false, reason });
    };
    const timer = setTimeout(() => finish(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    stream.on("error", (err) =>
      finish(false, err.code === "ECONNREFUSED" ? "connection refused" : err.message || String(err)),
    );
    stream.on("close", () => finish(false, "server closed the connection"));
    stream.once(u.protocol === "rediss:" ? "secureConnect" : "connect", () => stream.write(request));
    stream.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      while (!done && expected.length > 0) {
        const nl = buf.indexOf("\r\n");
        if (nl === -1) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const want = expected.shift();
        // -LOADING etc. are errors too; the caller may retry.
        if (line !== want) {
          return finish(
            false,
            line.startsWith("-") ? line.slice(1) : `unexpected reply ${JSON.stringify(line.slice(0, 80))}`,
          );
        }
      }
      if (done || expected.length > 0) return;
      if (expectPid === undefined) return finish(true);
      // INFO reply: a bulk string containing "process_id:<pid>\r\n"
      if (buf.startsWith("-")) return finish(false, buf.slice(1).split("\r\n")[0]);
      const pid = buf.match(/\r\nprocess_id:(\d+)\r\n/)?.[1];
      if (pid === undefined) return; // wait for more data
      if (Number(pid) !== expectPid)
        return finish(false, `port is served by another redis-server (pid ${pid})`);
      finish(true);
    });
  });
}

/** Path of a redis-server binary, or null. */
export function findRedisServer() {
  return which("redis-server", ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/opt/homebrew/bin", "/snap/bin"]);
}

/**
 * Start a redis-server child process on 127.0.0.1 and wait until it answers PING.
 *  - port: defaults to a free port (retried if someone grabs it first)
 *  - dir: working directory (RDB/AOF files, redis.log). Defaults to a fresh temp dir that stop()
 *    deletes. A caller-provided dir is never deleted.
 *  - persistent: append-only file in `dir` (requires dir); otherwise no persistence at all.
 * Returns { url, stop, port, dir, pid, description }.
 */
export async function startRedisServer({ port, dir, persistent = false, log = defaultLog } = {}) {
  const bin = findRedisServer();
  if (!bin) throw new Error(`redis-server not found. ${redisInstallHint()}`);
  if (persistent && !dir)
    throw new Error("startRedisServer: persistent mode needs a dir to keep the data in");

  const ownDir = !dir;
  if (ownDir) dir = await fsp.mkdtemp(path.join(os.tmpdir(), "cohort-redis-"));
  else await fsp.mkdir(dir, { recursive: true });
  dir = path.resolve(dir);
  const logFile = path.join(dir, "redis.log");
  const removeDir = () => {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };

  // Registered right away so the temp dir is removed even if we are interrupted during startup.
  let child = null;
  let stopping = null;
  const service = {
    // SIGTERM makes redis flush the AOF (persistent mode) and exit.
    stop: () =>
      (stopping ??= (async () => {
        if (child)
          await stopChild(child, [
            ["SIGTERM", 10_000],
            ["SIGKILL", 5_000],
          ]);
        running.delete(service);
        removeDir();
      })()),
    stopSync: () => {
      running.delete(service);
      try {
        child?.kill("SIGTERM");
      } catch {}
      removeDir(); // a temp dir means no persistence: redis writes nothing there while exiting
    },
  };
  track(service);

  try {
    for (let attempt = 1; ; attempt++) {
      const chosenPort = port ?? (await freePort());
      const url = `redis://127.0.0.1:${chosenPort}`;
      const options = {
        port: chosenPort,
        bind: "127.0.0.1",
        daemonize: "no",
        dir,
        // persistent: append-only file in dir; otherwise no RDB snapshots and no AOF at all
        ...(persistent ? { appendonly: "yes" } : { save: "", appendonly: "no" }),
      };
      child = spawnServer(
        bin,
        Object.entries(options).flatMap(([key, value]) => [`--${key}`, String(value)]),
        { logFile, cwd: dir },
      );
      try {
        await waitUntilReady({
          child,
          // Check the answer comes from *our* child, not from another server that had the port.
          probe: () => probeRedis(url, { timeoutMs: 1000, expectPid: child.pid }),
          what: "redis-server",
          logFile,
          timeoutMs: persistent ? 120_000 : 15_000, // loading a big AOF can take a while
        });
      } catch (err) {
        await stopChild(child, [["SIGKILL", 5_000]]);
        if (port === undefined && attempt < 3 && looksLikePortClash(err.serverLog)) {
          log(`port ${chosenPort} was taken, retrying on another port`);
          continue;
        }
        throw err;
      }

      const description = `private Redis on 127.0.0.1:${chosenPort} (pid ${child.pid}, ${persistent ? "persistent" : "in-memory"}, ${dir})`;
      log(`started ${description}`);
      return { url, stop: service.stop, port: chosenPort, dir, pid: child.pid, description };
    }
  } catch (err) {
    await service.stop();
    throw err;
  }
}

function redisInstallHint() {
  if (which("apt-get", ["/usr/bin"]))
    return `Install it: ${isRoot() ? "" : "sudo "}apt-get install -y redis-server`;
  if (which("dnf")) return "Install it: sudo dnf install -y redis";
  if (which("brew")) return "Install it: brew install redis";
  return "Install Redis (the redis-server binary), e.g. `apt-get install redis-server`";
}

/** A Redis URL for the test suite. Returns { url, stop, description }. */
export async function ensureRedis({ log = defaultLog } = {}) {
  if (noReuse()) {
    log("COHORT_TEST_NO_REUSE is set: not looking for an existing Redis server");
  } else {
    for (const name of ["TEST_REDIS_URL", "REDIS_URL"]) {
      const url = process.env[name];
      if (!url) continue;
      const result = await probeRedis(url);
      if (result.ok) {
        const description = `${name} (${redact(url)})`;
        log(`using ${description}`);
        return { url, stop: noop, description };
      }
      log(`${name}=${redact(url)} is set but not usable: ${result.reason}`);
    }
    const local = await probeRedis("redis://127.0.0.1:6379");
    if (local.ok) {
      const description = "reusing 127.0.0.1:6379";
      log(description);
      return { url: "redis://127.0.0.1:6379", stop: noop, description };
    }
    log(`127.0.0.1:6379 not usable: ${local.reason}`);
  }

  if (!findRedisServer()) {
    log("redis-server not found");
    await aptInstall(["redis-server"], log);
  }
  if (!findRedisServer()) {
    throw new Error(
      `No usable Redis found for the tests. ${redisInstallHint()}, or set TEST_REDIS_URL=redis://host:port.`,
    );
  }
  return startRedisServer({ persistent: false, log });
}

// ---------------------------------------------------------------------------------------------
// Chromium for the browser tests (Debian's package; Playwright's own download is unreachable here)
// ---------------------------------------------------------------------------------------------

/** Where a usable Chromium is: CHROMIUM_PATH, else chromium / chromium-browser on PATH or /usr/bin. */
export function findChromium() {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit && isExecutable(explicit)) return explicit;
  return which("chromium", ["/usr/bin"]) ?? which("chromium-browser", ["/usr/bin"]);
}

/** The Chromium binary for the browser tests, installed with apt-get when we are root. */
export async function ensureChromium({ log = defaultLog } = {}) {
  let found = findChromium();
  if (found) {
    log(`Chromium: ${found}`);
    return found;
  }
  log("Chromium not found");
  await aptInstall(["chromium"], log);
  found = findChromium();
  if (!found) {
    throw new Error(
      `No Chromium for the browser tests. Install it: ${isRoot() ? "" : "sudo "}apt-get install -y chromium ` +
        "(or set CHROMIUM_PATH to a Chromium/Chrome binary).",
    );
  }
  return found;
}
