import { startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { devnetConfig } from "@cohort/eth";
import {
  generateSecretKey,
  partialSign,
  publicShares,
  secretToPublicKey,
  splitSecretKey,
} from "@cohort/tbls";
import { describe, expect, it } from "vitest";
import {
  BeaconClient,
  type CoreError,
  decodeValue,
  duty,
  encodeValue,
  isCoreError,
  leaderIndex,
  MemParSigDB,
  type ParSig,
  type PubKey,
  scrubUrl,
  signingRootOf,
  singleBitlist,
  systemClock,
  ThresholdSigAgg,
  toHex,
  type UnsignedData,
} from "../src/index";

const network = devnetConfig({
  genesisForkVersion: "0x10000038",
  genesisValidatorsRoot: `0x${"ab".repeat(32)}`,
  genesisTime: 1_700_000_000,
  secondsPerSlot: 1,
  slotsPerEpoch: 8,
  forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 3 },
});

describe("BeaconClient", () => {
  it("reads the network config and wraps errors with the URL (no credentials), status and message", async () => {
    const bn = await startBeaconSim({
      network,
      validators: validatorSet([], { fillers: 4 }),
      now: () => 1_700_000_100_000,
    });
    try {
      const client = new BeaconClient({ baseUrl: bn.url, clock: systemClock });
      const config = await client.networkConfig();
      expect(config.forks.map((f) => [f.name, f.epoch])).toEqual(network.forks.map((f) => [f.name, f.epoch]));
      expect(config.genesisValidatorsRoot).toBe(network.genesisValidatorsRoot);
      const withCreds = new BeaconClient({
        baseUrl: bn.url.replace("http://", "http://user:secret@"),
        clock: systemClock,
      });
      const err = (await withCreds.attestationData(1, 5).catch((e: unknown) => e)) as CoreError;
      expect(isCoreError(err, "BEACON_API")).toBe(true);
      expect(err.details.status).toBe(400);
      expect(err.message).toContain("Invalid committee_index");
      expect(err.message).not.toContain("secret");
    } finally {
      await bn.stop();
    }
    expect(scrubUrl("https://u:p@bn.example/x?y=1")).toBe("https://bn.example/x?y=1");
  });
});

describe("consensus helpers", () => {
  it("leader = (slot + duty type code + round) mod n; values round-trip canonically", () => {
    expect(leaderIndex(duty(10, "attester"), 1, 4)).toBe((10 + 1 + 1) % 4);
    expect(leaderIndex(duty(10, "proposer"), 2, 4)).toBe((10 + 2 + 2) % 4);
    const a: UnsignedData = { kind: "randao", epoch: 1 };
    const set = new Map<PubKey, UnsignedData>([
      ["0xbb", a],
      ["0xaa", a],
    ]);
    expect(encodeValue(set)).toBe(encodeValue(new Map([...set].reverse())));
    expect(decodeValue(encodeValue(set))).toEqual(new Map([...set].sort()));
  });

  it("single-bit bitlists put the delimiter after the committee", () => {
    expect(singleBitlist(4, 1)).toBe("0x12");
    expect(singleBitlist(8, 0)).toBe("0x0101");
  });
});

describe("ParSigDB + SigAgg", () => {
  it("verifies every partial against the sender's public share and emits once at threshold", async () => {
    const sk = generateSecretKey();
    const pubkey = toHex(secretToPublicKey(sk)) as PubKey;
    const shares = splitSecretKey(sk, 3, 4);
    const pubShares = publicShares(shares);
    const invalid: [number, string][] = [];
    const db = new MemParSigDB({
      network,
      threshold: 3,
      publicShare: (pk, idx) => (pk === pubkey ? pubShares.get(idx) : undefined),
      onInvalid: (_d, _pk, from, reason) => invalid.push([from, reason]),
    });
    const data: UnsignedData = { kind: "randao", epoch: 4 };
    const root = signingRootOf(network, data);
    const par = (idx: number, signer = idx): ParSig => ({
      data,
      signingRoot: root,
      signature: partialSign(shares.get(signer)!, root),
      shareIndex: idx,
    });
    const d = duty(33, "randao");
    const emitted: ParSig[][] = [];
    db.subscribeThreshold((_d, _pk, partials) => emitted.push([...partials]));
    db.storeInternal(d, new Map([[pubkey, par(1)]]));
    db.storeExternal(d, new Map([[pubkey, par(2, 3)]]), 2); // share 3's partial claimed by 2
    db.storeExternal(d, new Map([[pubkey, par(3)]]), 4); // claims index 3, sent by 4
    db.storeExternal(d, new Map([[pubkey, { ...par(4), signingRoot: new Uint8Array(32) }]]), 4);
    expect(invalid).toEqual([
      [2, "invalid_signature"],
      [4, "share_idx_mismatch"],
      [4, "signing_root_mismatch"],
    ]);
    expect(emitted).toHaveLength(0);
    db.storeExternal(d, new Map([[pubkey, par(3)]]), 3);
    db.storeExternal(d, new Map([[pubkey, par(4)]]), 4);
    expect(emitted).toHaveLength(1);
    const agg = new ThresholdSigAgg(3);
    const out: Uint8Array[] = [];
    agg.subscribe((_d, _pk, s) => out.push(s.signature));
    await agg.aggregate(d, pubkey, emitted[0]!);
    expect(out).toHaveLength(1);
  });
});
