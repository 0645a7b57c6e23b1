/**
 * A small typed Beacon API client for what the duty workflow needs. Every failure becomes a
 * CoreError `BEACON_API` naming the request (URL without credentials), the HTTP status and the
 * node's own message.
 */
import { FORK_NAMES, type Fork, type NetworkConfig, validateNetworkConfig } from "@cohort/eth";
import type { Clock } from "./deadline";
import { CoreError } from "./errors";
import type { PubKey } from "./types";

export interface AttesterDutyJson {
  pubkey: string;
  validator_index: string;
  committee_index: string;
  committee_length: string;
  committees_at_slot: string;
  validator_committee_index: string;
  slot: string;
}
export interface ProposerDutyJson {
  pubkey: string;
  validator_index: string;
  slot: string;
}
export interface SyncDutyJson {
  pubkey: string;
  validator_index: string;
  validator_sync_committee_indices: string[];
}
export interface ProduceBlockJson {
  version: string;
  execution_payload_blinded?: boolean;
  data: unknown;
}

/** Removes user:password from a URL before it lands in an error or a log. */
export function scrubUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}

export interface BeaconClientOptions {
  baseUrl: string;
  clock: Clock;
  /** Per-request timeout, default 5 s. */
  timeoutMs?: number;
  /** Observes every request (metrics): path without query, HTTP status or null on a transport error. */
  onRequest?: (info: { method: string; path: string; status: number | null; durationMs: number }) => void;
}

/** Validator ids per `GET …/states/head/validators` request (keeps the URL under ~6 KiB). */
export const VALIDATOR_IDS_PER_REQUEST = 50;

export class BeaconClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  /** Basic auth from `user:password@` in the base URL (fetch refuses URLs with credentials). */
  private readonly auth: Record<string, string> = {};
  constructor(private readonly options: BeaconClientOptions) {
    const u = new URL(options.baseUrl);
    if (u.username || u.password) {
      const creds = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      this.auth = { authorization: `Basic ${Buffer.from(creds).toString("base64")}` };
      u.username = "";
      u.password = "";
    }
    this.base = u.toString().replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  private async request<T>(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const url = this.base + path;
    const where = `${method} ${scrubUrl(url)}`;
    const abort = new AbortController();
    const cancel = this.options.clock.setTimer(() => abort.abort(), this.timeoutMs);
    const started = performance.now();
    const observe = (status: number | null) =>
      this.options.onRequest?.({
        method,
        path: path.split("?")[0]!,
        status,
        durationMs: performance.now() - started,
      });
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        signal: abort.signal,
        headers: {
          accept: "application/json",
          ...this.auth,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (cause) {
      cancel();
      observe(null);
      const why = abort.signal.aborted ? `timed out after ${this.timeoutMs} ms` : (cause as Error).message;
      throw new CoreError("BEACON_API", `${where}: ${why}`, { url: scrubUrl(url) }, { cause });
    }
    try {
      const text = await res.text();
      observe(res.status);
      if (!res.ok) {
        let message = text;
        let failures: { index: number; message: string }[] | undefined;
        try {
          const parsed = JSON.parse(text) as {
            message?: string;
            failures?: { index?: unknown; message?: unknown }[];
          };
          if (typeof parsed.message === "string") message = parsed.message;
          // Per-item failures (the Beacon API's pool/validator submission shape): name the first few.
          if (Array.isArray(parsed.failures) && parsed.failures.length > 0) {
            failures = parsed.failures.map((f) => ({ index: Number(f.index), message: String(f.message) }));
            const items = parsed.failures.slice(0, 3).map((f) => `[${String(f.index)}] ${String(f.message)}`);
            const more = parsed.failures.length > 3 ? ` (+${parsed.failures.length - 3} more)` : "";
            message = `${message}: ${items.join("; ")}${more}`;
          }
        } catch {}
        throw new CoreError("BEACON_API", `${where}: ${res.status} ${message}`, {
          url: scrubUrl(url),
          status: res.status,
          message,
          ...(failures ? { failures } : {}),
        });
      }
      return (text ? JSON.parse(text) : undefined) as T;
    } finally {
      cancel();
    }
  }

  async genesis(): Promise<{
    genesisTime: number;
    genesisValidatorsRoot: string;
    genesisForkVersion: string;
  }> {
    const { data } = await this.request<{ data: Record<string, string> }>("GET", "/eth/v1/beacon/genesis");
    return {
      genesisTime: Number(data.genesis_time),
      genesisValidatorsRoot: String(data.genesis_validators_root),
      genesisForkVersion: String(data.genesis_fork_version),
    };
  }

  async spec(): Promise<Record<string, string>> {
    return (await this.request<{ data: Record<string, string> }>("GET", "/eth/v1/config/spec")).data;
  }

  async forkSchedule(): Promise<{ previous_version: string; current_version: string; epoch: string }[]> {
    return (await this.request<{ data: never[] }>("GET", "/eth/v1/config/fork_schedule")).data;
  }

  /** The chain's NetworkConfig (genesis + spec + fork schedule), for signing roots with the fork in force. */
  async networkConfig(): Promise<NetworkConfig> {
    const [genesis, spec, schedule] = await Promise.all([this.genesis(), this.spec(), this.forkSchedule()]);
    const forks: Fork[] = schedule
      .filter((f) => BigInt(f.epoch) < 2n ** 53n)
      .map((f, i) => ({
        name: FORK_NAMES[i]!,
        version: f.current_version as `0x${string}`,
        epoch: Number(f.epoch),
      }));
    const config: NetworkConfig = {
      name: spec.CONFIG_NAME ?? "beacon",
      genesisForkVersion: genesis.genesisForkVersion as `0x${string}`,
      genesisValidatorsRoot: genesis.genesisValidatorsRoot as `0x${string}`,
      genesisTime: genesis.genesisTime,
      secondsPerSlot: Number(spec.SECONDS_PER_SLOT),
      slotsPerEpoch: Number(spec.SLOTS_PER_EPOCH),
      forks,
    };
    validateNetworkConfig(config);
    return config;
  }

  /**
   * Validator indices of the given pubkeys (unknown ones are left out). Asked in chunks of
   * {@link VALIDATOR_IDS_PER_REQUEST}: every id is ~100 bytes of query string, and beacon nodes (and
   * Node's HTTP server: 16 KiB of headers) refuse longer request lines with 414/431.
   */
  async validatorIndices(pubkeys: readonly PubKey[]): Promise<Map<PubKey, number>> {
    const out = new Map<PubKey, number>();
    for (let i = 0; i < pubkeys.length; i += VALIDATOR_IDS_PER_REQUEST) {
      const q = pubkeys
        .slice(i, i + VALIDATOR_IDS_PER_REQUEST)
        .map((p) => `id=${p}`)
        .join("&");
      const res = await this.request<{ data: { index: string; validator: { pubkey: string } }[] }>(
        "GET",
        `/eth/v1/beacon/states/head/validators?${q}`,
      );
      for (const v of res.data) out.set(v.validator.pubkey.toLowerCase() as PubKey, Number(v.index));
    }
    return out;
  }

  async attesterDuties(epoch: number, indices: readonly number[]): Promise<AttesterDutyJson[]> {
    return (
      await this.request<{ data: AttesterDutyJson[] }>(
        "POST",
        `/eth/v1/validator/duties/attester/${epoch}`,
        indices.map(String),
      )
    ).data;
  }

  async proposerDuties(epoch: number): Promise<ProposerDutyJson[]> {
    return (
      await this.request<{ data: ProposerDutyJson[] }>("GET", `/eth/v1/validator/duties/proposer/${epoch}`)
    ).data;
  }

  async attestationData(slot: number, committeeIndex: number): Promise<unknown> {
    return (
      await this.request<{ data: unknown }>(
        "GET",
        `/eth/v1/validator/attestation_data?slot=${slot}&committee_index=${committeeIndex}`,
      )
    ).data;
  }

  /** POST /eth/v2/beacon/pool/attestations (SingleAttestation from Electra, else Attestation). */
  async submitAttestations(fork: string, attestations: unknown[]): Promise<void> {
    await this.request("POST", "/eth/v2/beacon/pool/attestations", attestations, {
      "Eth-Consensus-Version": fork,
    });
  }

  async produceBlockV3(slot: number, randaoReveal: string, graffiti?: string): Promise<ProduceBlockJson> {
    const g = graffiti ? `&graffiti=${encodeURIComponent(graffiti)}` : "";
    return this.request<ProduceBlockJson>(
      "GET",
      `/eth/v3/validator/blocks/${slot}?randao_reveal=${randaoReveal}${g}`,
    );
  }

  /** POST /eth/v2/beacon/blocks: `body` is signed block contents (Deneb+) or a signed block. */
  async publishBlock(fork: string, body: unknown): Promise<void> {
    await this.request("POST", "/eth/v2/beacon/blocks", body, { "Eth-Consensus-Version": fork });
  }

  /** POST /eth/v1/validator/duties/sync/{epoch}: the sync committee duties of the period of `epoch`. */
  async syncDuties(epoch: number, indices: readonly number[]): Promise<SyncDutyJson[]> {
    return (
      await this.request<{ data: SyncDutyJson[] }>(
        "POST",
        `/eth/v1/validator/duties/sync/${epoch}`,
        indices.map(String),
      )
    ).data;
  }

  /** GET /eth/v1/beacon/blocks/{block_id}/root. */
  async blockRoot(blockId: string | number): Promise<`0x${string}`> {
    const res = await this.request<{ data: { root: string } }>(
      "GET",
      `/eth/v1/beacon/blocks/${blockId}/root`,
    );
    return res.data.root.toLowerCase() as `0x${string}`;
  }

  /** GET /eth/v2/validator/aggregate_attestation: the aggregate `Attestation` JSON for a data root. */
  async aggregateAttestation(
    slot: number,
    attestationDataRoot: string,
    committeeIndex: number,
  ): Promise<{ version: string | undefined; data: unknown }> {
    const res = await this.request<{ version?: string; data: unknown }>(
      "GET",
      `/eth/v2/validator/aggregate_attestation?attestation_data_root=${attestationDataRoot}&slot=${slot}&committee_index=${committeeIndex}`,
    );
    return { version: res.version, data: res.data };
  }

  /** POST /eth/v2/validator/aggregate_and_proofs (`SignedAggregateAndProof`s of `fork`). */
  async submitAggregateAndProofs(fork: string, signed: unknown[]): Promise<void> {
    await this.request("POST", "/eth/v2/validator/aggregate_and_proofs", signed, {
      "Eth-Consensus-Version": fork,
    });
  }

  /** POST /eth/v1/beacon/pool/sync_committees (`SyncCommitteeMessage`s). */
  async submitSyncCommitteeMessages(messages: unknown[]): Promise<void> {
    await this.request("POST", "/eth/v1/beacon/pool/sync_committees", messages);
  }

  /** GET /eth/v1/validator/sync_committee_contribution: `SyncCommitteeContribution` JSON. */
  async syncCommitteeContribution(
    slot: number,
    subcommitteeIndex: number,
    beaconBlockRoot: string,
  ): Promise<unknown> {
    return (
      await this.request<{ data: unknown }>(
        "GET",
        `/eth/v1/validator/sync_committee_contribution?slot=${slot}&subcommittee_index=${subcommitteeIndex}&beacon_block_root=${beaconBlockRoot}`,
      )
    ).data;
  }

  /** POST /eth/v1/validator/contribution_and_proofs (`SignedContributionAndProof`s). */
  async submitContributionAndProofs(signed: unknown[]): Promise<void> {
    await this.request("POST", "/eth/v1/validator/contribution_and_proofs", signed);
  }

  /** POST /eth/v1/validator/register_validator (`SignedValidatorRegistrationV1`s). */
  async submitValidatorRegistrations(signed: unknown[]): Promise<void> {
    await this.request("POST", "/eth/v1/validator/register_validator", signed);
  }

  /** POST /eth/v1/beacon/pool/voluntary_exits (one `SignedVoluntaryExit`). */
  async submitVoluntaryExit(signed: unknown): Promise<void> {
    await this.request("POST", "/eth/v1/beacon/pool/voluntary_exits", signed);
  }

  /** GET /eth/v1/beacon/states/head/validators?id=…: index, pubkey and status of one validator. */
  async validator(
    id: string | number,
  ): Promise<{ index: number; pubkey: PubKey; status: string } | undefined> {
    const res = await this.request<{
      data: { index: string; status: string; validator: { pubkey: string } }[];
    }>("GET", `/eth/v1/beacon/states/head/validators?id=${encodeURIComponent(String(id))}`);
    const v = res.data[0];
    return v
      ? { index: Number(v.index), pubkey: v.validator.pubkey.toLowerCase() as PubKey, status: v.status }
      : undefined;
  }
}
