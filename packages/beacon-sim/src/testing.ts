// Test-only helpers shared by this package's *.test.ts files (not exported from index.ts).
import { attestationSigningRoot, devnetConfig } from "@cohort/eth";
import { generateSecretKey, secretToPublicKey, sign } from "@cohort/tbls";
import { ssz } from "@lodestar/types";
import type { SimChain } from "./chain";
import { bitlistHex } from "./server";
import { startBeaconSim } from "./start";
import { fillerSecretKey, validatorSet } from "./validators";

/** Epoch 0 is Deneb, Electra from epoch 1; 8 slots of 2 s. */
export const network = devnetConfig({
  genesisForkVersion: "0x10000038",
  genesisValidatorsRoot: `0x${"ab".repeat(32)}`,
  genesisTime: 1_700_000_000,
  secondsPerSlot: 2,
  slotsPerEpoch: 8,
  forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 1 },
});

export const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

/**
 * A running simulator with 2 "cluster" validators (fresh random keys) and 14 fillers, a settable
 * clock, and helpers to sign and submit as any validator.
 */
export async function simFixture(
  options: { epochsPerSyncCommitteePeriod?: number; shardCommitteePeriod?: number } = {},
) {
  const clusterKeys = [generateSecretKey(), generateSecretKey()];
  const validators = validatorSet(
    clusterKeys.map((k) => hex(secretToPublicKey(k))),
    { fillers: 14 },
  );
  const secretKey = (i: number) => (i < 2 ? clusterKeys[i]! : fillerSecretKey(i - 2));
  const clock = { ms: 0 };
  /** Sets the clock to `offsetMs` into `slot`. */
  const at = (slot: number, offsetMs = 500) => {
    clock.ms = (network.genesisTime + slot * network.secondsPerSlot) * 1000 + offsetMs;
  };
  at(20);
  const sim = await startBeaconSim({
    network,
    validators,
    now: () => clock.ms,
    statsFromSlot: 0,
    ...options,
  });
  const chain: SimChain = sim.chain;

  const request = async (path: string, init?: RequestInit) => {
    const res = await fetch(sim.url + path, init);
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: JSON responses are inspected loosely in assertions
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as any };
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    request(path, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...headers },
    });

  /** Data JSON a correct attester signs (from the chain), optionally altered. */
  const dataJson = (slot: number) =>
    ssz.phase0.AttestationData.toJson(chain.attestationData(slot, 0)) as {
      slot: string;
      index: string;
      beacon_block_root: string;
      source: { epoch: string; root: string };
      target: { epoch: string; root: string };
    };
  const signData = (validatorIndex: number, data: unknown) =>
    hex(
      sign(
        secretKey(validatorIndex),
        attestationSigningRoot(network, ssz.phase0.AttestationData.fromJson(data)),
      ),
    );
  /** An Electra SingleAttestation JSON. */
  const single = (
    validatorIndex: number,
    data = dataJson(chain.committee(0)[0]!.slot),
    signer = validatorIndex,
  ) => ({
    committee_index: "0",
    attester_index: String(validatorIndex),
    data,
    signature: signData(signer, data),
  });
  /** A phase0 Attestation JSON with the validator's aggregation bit (`position` overrides it). */
  const aggregate = (
    slot: number,
    validatorIndex: number,
    {
      data = dataJson(slot),
      signer = validatorIndex,
      bits,
    }: { data?: unknown; signer?: number; bits?: boolean[] } = {},
  ) => {
    const committee = chain.committee(slot);
    const position = committee.findIndex((d) => d.validatorIndex === validatorIndex);
    return {
      aggregation_bits: bitlistHex(bits ?? committee.map((_, i) => i === position)),
      data,
      signature: signData(signer, data),
    };
  };
  /** Validator `i`'s signature of a signing root, as 0x-hex. */
  const signRoot = (i: number, root: Uint8Array) => hex(sign(secretKey(i), root));
  return {
    signRoot,
    sim,
    chain,
    validators,
    secretKey,
    at,
    clock,
    request,
    post,
    dataJson,
    signData,
    single,
    aggregate,
  };
}
