import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import * as eth from "@cohort/eth";
import type { SimChain } from "./chain";

/** A Beacon API error, as beacon nodes send it: `{code, message}` with the HTTP status. */
export class BeaconApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;
const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

function parseEpoch(value: string | undefined): number {
  if (!value || !/^\d+$/.test(value)) throw new BeaconApiError(400, `Invalid epoch: ${value}`);
  return Number(value);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
  } catch {
    throw new BeaconApiError(400, "Invalid JSON body");
  }
}

/** `/eth/v1/config/spec`: the values a validator client reads, as the Beacon API's strings. */
export function specResponse(chain: SimChain): Record<string, string> {
  const n = chain.network;
  const spec: Record<string, string> = {
    CONFIG_NAME: n.name,
    PRESET_BASE: "mainnet",
    SECONDS_PER_SLOT: String(n.secondsPerSlot),
    SLOTS_PER_EPOCH: String(n.slotsPerEpoch),
    GENESIS_FORK_VERSION: n.genesisForkVersion,
    MIN_GENESIS_TIME: String(n.genesisTime),
    DOMAIN_BEACON_PROPOSER: hex(eth.DOMAIN_BEACON_PROPOSER),
    DOMAIN_BEACON_ATTESTER: hex(eth.DOMAIN_BEACON_ATTESTER),
    DOMAIN_RANDAO: hex(eth.DOMAIN_RANDAO),
    DOMAIN_DEPOSIT: hex(eth.DOMAIN_DEPOSIT),
    DOMAIN_VOLUNTARY_EXIT: hex(eth.DOMAIN_VOLUNTARY_EXIT),
    DOMAIN_SELECTION_PROOF: hex(eth.DOMAIN_SELECTION_PROOF),
    DOMAIN_AGGREGATE_AND_PROOF: hex(eth.DOMAIN_AGGREGATE_AND_PROOF),
    DOMAIN_SYNC_COMMITTEE: hex(eth.DOMAIN_SYNC_COMMITTEE),
    DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF: hex(eth.DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF),
    DOMAIN_CONTRIBUTION_AND_PROOF: hex(eth.DOMAIN_CONTRIBUTION_AND_PROOF),
    DOMAIN_APPLICATION_BUILDER: hex(eth.DOMAIN_APPLICATION_BUILDER),
  };
  for (const fork of n.forks.slice(1)) {
    const name = fork.name.toUpperCase();
    spec[`${name}_FORK_VERSION`] = fork.version;
    spec[`${name}_FORK_EPOCH`] = String(fork.epoch);
  }
  return spec;
}

type Handler = (match: RegExpMatchArray, req: IncomingMessage, url: URL) => Promise<unknown> | unknown;

/**
 * The simulator's Beacon API (the part built so far): node status, genesis, spec, forks,
 * validators and duties, with the response shapes of ethereum/beacon-APIs and its error shape.
 */
export function createBeaconApi(chain: SimChain, { now = () => Date.now() } = {}) {
  const headSlot = () => chain.slotAt(now());
  const validatorJson = (v: (typeof chain.validators)[number]) => ({
    index: String(v.index),
    balance: String(v.balanceGwei),
    status: "active_ongoing",
    validator: {
      pubkey: v.pubkey,
      withdrawal_credentials: v.withdrawalCredentials,
      effective_balance: String(v.balanceGwei > 32_000_000_000n ? 32_000_000_000n : v.balanceGwei),
      slashed: false,
      activation_eligibility_epoch: "0",
      activation_epoch: "0",
      exit_epoch: "18446744073709551615",
      withdrawable_epoch: "18446744073709551615",
    },
  });
  const dependentRoot = (epoch: number) => hex(Buffer.alloc(32, epoch % 256));

  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/eth\/v1\/node\/version$/, () => ({ data: { version: "cohort-beacon-sim/0.1.0" } })],
    [
      "GET",
      /^\/eth\/v1\/node\/syncing$/,
      () => ({
        data: {
          head_slot: String(headSlot()),
          sync_distance: "0",
          is_syncing: false,
          is_optimistic: false,
          el_offline: false,
        },
      }),
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/genesis$/,
      () => ({
        data: {
          genesis_time: String(chain.network.genesisTime),
          genesis_validators_root: chain.network.genesisValidatorsRoot,
          genesis_fork_version: chain.network.genesisForkVersion,
        },
      }),
    ],
    ["GET", /^\/eth\/v1\/config\/spec$/, () => ({ data: specResponse(chain) })],
    [
      "GET",
      /^\/eth\/v1\/config\/fork_schedule$/,
      () => ({
        data: chain.network.forks.map((f, i) => ({
          previous_version: chain.network.forks[Math.max(0, i - 1)]!.version,
          current_version: f.version,
          epoch: String(f.epoch),
        })),
      }),
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/states\/([^/]+)\/fork$/,
      ([, stateId]) => {
        const slot =
          stateId === "head" || stateId === "finalized" || stateId === "justified"
            ? headSlot()
            : Number(stateId);
        if (!Number.isInteger(slot)) throw new BeaconApiError(400, `Invalid state ID: ${stateId}`);
        const f = chain.forkAt(chain.epochOf(slot));
        return {
          execution_optimistic: false,
          finalized: false,
          data: {
            previous_version: f.previousVersion,
            current_version: f.currentVersion,
            epoch: String(f.epoch),
          },
        };
      },
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/states\/[^/]+\/validators$/,
      (_m, _req, url) => {
        const ids = url.searchParams.getAll("id").flatMap((s) => s.split(","));
        const selected = ids.length
          ? ids
              .map((id) => (id.startsWith("0x") ? chain.validatorByPubkey(id) : chain.validators[Number(id)]))
              .filter((v) => v !== undefined)
          : chain.validators;
        return { execution_optimistic: false, finalized: false, data: selected.map(validatorJson) };
      },
    ],
    [
      "GET",
      /^\/eth\/v1\/validator\/duties\/proposer\/([^/]+)$/,
      ([, e]) => {
        const epoch = parseEpoch(e);
        return {
          dependent_root: dependentRoot(epoch),
          execution_optimistic: false,
          data: chain.proposerDuties(epoch).map((d) => ({
            pubkey: d.pubkey,
            validator_index: String(d.validatorIndex),
            slot: String(d.slot),
          })),
        };
      },
    ],
    [
      "POST",
      /^\/eth\/v1\/validator\/duties\/attester\/([^/]+)$/,
      async ([, e], req) => {
        const epoch = parseEpoch(e);
        const body = await readJson(req);
        if (!Array.isArray(body) || !body.every((x) => typeof x === "string" && /^\d+$/.test(x))) {
          throw new BeaconApiError(
            400,
            "Invalid request body: expected an array of validator indices as strings",
          );
        }
        const wanted = new Set(body.map(Number));
        return {
          dependent_root: dependentRoot(epoch),
          execution_optimistic: false,
          data: chain
            .attesterDuties(epoch)
            .filter((d) => wanted.has(d.validatorIndex))
            .map((d) => ({
              pubkey: d.pubkey,
              validator_index: String(d.validatorIndex),
              committee_index: String(d.committeeIndex),
              committee_length: String(d.committeeLength),
              committees_at_slot: String(d.committeesAtSlot),
              validator_committee_index: String(d.validatorCommitteeIndex),
              slot: String(d.slot),
            })),
        };
      },
    ],
  ];

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      for (const [method, pattern, handler] of routes) {
        const m = url.pathname.match(pattern);
        if (!m) continue;
        if (req.method !== method) throw new BeaconApiError(405, `Method ${req.method} not allowed`);
        return send(res, 200, await handler(m, req, url));
      }
      throw new BeaconApiError(404, `Route ${req.method} ${url.pathname} not found`);
    } catch (e) {
      if (e instanceof BeaconApiError) return send(res, e.status, { code: e.status, message: e.message });
      send(res, 500, { code: 500, message: "Internal server error" });
    }
  });
  return server;
}
