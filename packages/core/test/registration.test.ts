/**
 * builder_registration: the lock's pre-signed registrations submitted as is; an overriding fee
 * recipient threshold-signed after consensus (members with different overrides agree on one).
 */
import { devnetConfig, validatorRegistrationFromJson, validatorRegistrationSigningRoot } from "@cohort/eth";
import { sign, verify } from "@cohort/tbls";
import { afterEach, describe, expect, it } from "vitest";
import {
  BuilderRegistrations,
  type DutyOutcome,
  duty,
  fromHex,
  type PubKey,
  registrationRefusal,
  registrationTimestamp,
  type SignedRegistrationJson,
  toHex,
} from "../src/index";
import { type Simnet, startSimnet, type TestCluster } from "./inprocess";

const LOCK_FEE = `0x${"fe".repeat(20)}` as const;
const GAS = 30_000_000;

/** The lock's registrations, as `cluster create` makes them: group-signed, timestamp = genesis time. */
function lockRegistrations(
  cluster: TestCluster,
  network: ReturnType<typeof devnetConfig>,
): Map<PubKey, SignedRegistrationJson> {
  const out = new Map<PubKey, SignedRegistrationJson>();
  for (const [pubkey, sk] of cluster.secrets) {
    const message = {
      fee_recipient: LOCK_FEE,
      gas_limit: String(GAS),
      timestamp: String(network.genesisTime),
      pubkey,
    };
    const root = validatorRegistrationSigningRoot(network, validatorRegistrationFromJson(message));
    out.set(pubkey, { message, signature: toHex(sign(sk, root)) });
  }
  return out;
}

interface Recorded {
  validatorIndex: number;
  pubkey: string;
  feeRecipient: string;
  gasLimit: number;
  timestamp: number;
  signature: string;
}
const recorded = async (net: Simnet): Promise<Recorded[]> =>
  ((await (await fetch(`${net.bn.url}/cohort/v1/registrations`)).json()) as { data: Recorded[] }).data;

/**
 * The simulator's registrations once it has `n` of them at least `minTimestamp` (the start-up duty
 * of epoch 1 may land first), or whatever it has at the end of epoch 2.
 */
async function registered(net: Simnet, n: number, minTimestamp = 0): Promise<Recorded[]> {
  for (let slot = net.firstSlot + 1; ; slot++) {
    await net.untilSlot(slot);
    const regs = await recorded(net);
    if (regs.filter((r) => r.timestamp >= minTimestamp).length >= n || slot >= net.firstSlot + 7) return regs;
  }
}

const registrationOutcomes = (net: Simnet, fromSlot: number): DutyOutcome[] =>
  net.nodes.flatMap((n) =>
    n!.tracker.outcomes().filter((o) => o.duty.type === "builder_registration" && o.duty.slot >= fromSlot),
  );

const failures = (os: readonly DutyOutcome[]) =>
  os.filter((o) => !o.success).map((o) => `${o.duty.slot}: ${o.reason} ${o.errors.join("; ")}`);

describe("BuilderRegistrations", () => {
  const network = devnetConfig({
    genesisForkVersion: "0x10000038",
    genesisValidatorsRoot: `0x${"00".repeat(32)}`,
    genesisTime: 1_000,
    secondsPerSlot: 2,
    slotsPerEpoch: 8,
  });
  const pubkey = `0x${"a1".repeat(48)}` as PubKey;
  const lock = new Map<PubKey, SignedRegistrationJson>([
    [
      pubkey,
      {
        message: { fee_recipient: LOCK_FEE, gas_limit: String(GAS), timestamp: "1000", pubkey },
        signature: `0x${"cd".repeat(96)}`,
      },
    ],
  ]);
  const d = duty(19, "builder_registration");

  it("timestamps a fresh registration at the start of the duty's epoch", () => {
    expect(registrationTimestamp(network, 19)).toBe(1_000 + 16 * 2);
    expect(registrationTimestamp(network, 16)).toBe(1_000 + 16 * 2);
  });

  it("proposes the lock's registration when the config matches it, else a fresh one", () => {
    const same = new BuilderRegistrations(network, {
      lock,
      feeRecipient: LOCK_FEE.toUpperCase().replace("0X", "0x"),
    });
    const p = same.proposal(d, pubkey)!;
    expect(p).toEqual({ kind: "builder_registration", ...lock.get(pubkey)! });
    expect(same.presigned(pubkey, p)?.signature).toEqual(fromHex(lock.get(pubkey)!.signature));
    expect(registrationRefusal(network, d, pubkey, p as never)).toMatch(/not the lock's/);

    const other = new BuilderRegistrations(network, { lock, gasLimit: 36_000_000 });
    const q = other.proposal(d, pubkey)!;
    expect(q).toEqual({
      kind: "builder_registration",
      message: { fee_recipient: LOCK_FEE, gas_limit: "36000000", timestamp: "1032", pubkey },
    });
    expect(other.presigned(pubkey, q)).toBeUndefined();
    expect(registrationRefusal(network, d, pubkey, q as never)).toBeUndefined();
    // A forged "pre-signed" value, another validator's pubkey, a far-future timestamp: refused.
    const forged = { ...p, message: { ...lock.get(pubkey)!.message, fee_recipient: `0x${"66".repeat(20)}` } };
    expect(same.presigned(pubkey, forged as never)).toBeUndefined();
    const otherKey = {
      ...q,
      message: { ...(q as { message: object }).message, pubkey: `0x${"b2".repeat(48)}` },
    };
    expect(registrationRefusal(network, d, pubkey, otherKey as never)).toMatch(/names pubkey/);
    const future = { ...q, message: { ...(q as { message: object }).message, timestamp: "99999999999" } };
    expect(registrationRefusal(network, d, pubkey, future as never)).toMatch(/not the epoch start/);
    // Nothing for a validator with neither a lock registration nor a configured fee recipient.
    expect(other.proposal(d, `0x${"b2".repeat(48)}` as PubKey)).toBeUndefined();
    expect(() => new BuilderRegistrations(network, { lock, feeRecipient: "0x12" })).toThrow(/20-byte/);
  });
});

let net: Simnet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

const duties = { aggregation: false, syncCommittee: false };

describe("builder registrations in-process against beacon-sim", { timeout: 30_000 }, () => {
  it("submits the lock's pre-signed registrations as is when the config matches the lock", async () => {
    let lock: Map<PubKey, SignedRegistrationJson> | undefined;
    net = await startSimnet({
      validators: 4,
      duties,
      builderRegistration: (_i, cluster, network) => {
        lock ??= lockRegistrations(cluster, network);
        return { lock };
      },
    });
    const regs = await registered(net, 4);
    expect(regs.length, JSON.stringify(registrationOutcomes(net, 0))).toBe(4);
    for (const r of regs) {
      const l = lock!.get(r.pubkey as PubKey)!;
      expect(r).toMatchObject({
        feeRecipient: LOCK_FEE,
        gasLimit: GAS,
        timestamp: net.network.genesisTime,
        signature: l.signature,
      });
    }
    await net.untilSlot(net.firstSlot + 8, 0.5); // past the epoch-2 duty's deadline (end of its epoch)
    const outcomes = registrationOutcomes(net, net.firstSlot).filter((o) => o.duty.slot === net!.firstSlot);
    expect(outcomes.length, JSON.stringify(outcomes)).toBe(4); // the epoch-2 duty on every node
    expect(failures(outcomes)).toEqual([]);
  });

  it("with overriding fee recipients, members agree on one value and the group key signs it", async () => {
    const feeA = `0x${"aa".repeat(20)}`;
    const feeB = `0x${"bb".repeat(20)}`;
    let lock: Map<PubKey, SignedRegistrationJson> | undefined;
    net = await startSimnet({
      validators: 4,
      duties,
      builderRegistration: (i, cluster, network) => {
        lock ??= lockRegistrations(cluster, network);
        return { lock, feeRecipient: i < 2 ? feeA : feeB, gasLimit: 36_000_000 };
      },
    });
    const epochStart = registrationTimestamp(net.network, net.firstSlot);
    const regs = await registered(net, 4, epochStart);
    expect(regs.length).toBe(4);
    const fees = new Set(regs.map((r) => r.feeRecipient));
    expect(fees.size).toBe(1);
    expect([feeA, feeB]).toContain([...fees][0]);
    for (const r of regs) {
      expect(r).toMatchObject({ gasLimit: 36_000_000, timestamp: epochStart });
      // The simulator verified it; check again that it is the GROUP key's signature.
      const message = {
        fee_recipient: r.feeRecipient,
        gas_limit: String(r.gasLimit),
        timestamp: String(r.timestamp),
        pubkey: r.pubkey,
      };
      const root = validatorRegistrationSigningRoot(net.network, validatorRegistrationFromJson(message));
      expect(verify(fromHex(r.pubkey), root, fromHex(r.signature))).toBe(true);
    }
    await net.untilSlot(net.firstSlot + 8, 0.5);
    const outcomes = registrationOutcomes(net, net.firstSlot).filter((o) => o.duty.slot === net!.firstSlot);
    expect(outcomes.length, JSON.stringify(outcomes)).toBe(4);
    expect(failures(outcomes)).toEqual([]);
    for (const node of net.nodes) expect(node!.tracker.invalidPeers().size).toBe(0);
  });
});
