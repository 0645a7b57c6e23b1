/**
 * A real 3-of-4 cluster (Hoodi, v1.10.0, fully signed lock) with three validators and eight
 * attester duties in epoch 100, and the evidence its members would produce: member 4 is absent for
 * the last four slots; member 2's message for slot 3201 reaches the others after the deadline.
 */
import { randomBytes } from "node:crypto";
import {
  createBuilderRegistration,
  createDefinition,
  createDepositData,
  createEnr,
  createLock,
  type DistributedValidator,
  k1Address,
  k1GeneratePrivateKey,
  k1PublicKey,
  k1Sign,
  type Lock,
  signDefinition,
} from "@cohort/cluster";
import { generateSecretKey, partialSign, secretToPublicKey, sign, splitSecretKey } from "@cohort/tbls";
import {
  type BundleTiming,
  dutyDeadline,
  type EvidenceCluster,
  type ExpectedDuty,
  epochOf,
  evidenceClusterFromLock,
  type MemberEpochLog,
  type ParSigMsg,
  parSigMsgDigest,
  type ReceiptEvidence,
  type SignedParSigMsg,
  signEpochRoot,
  toHex,
} from "../src";

export const N = 4;
export const T = 3;
export const ATTESTER = 1;
export const HOODI_TIMING: BundleTiming = {
  genesisTime: 1742213400,
  secondsPerSlot: 12,
  slotsPerEpoch: 32,
  deadlineSlots: 3,
};
export const SLOTS = [3200, 3201, 3202, 3203, 3204, 3205, 3206, 3207];
export const EPOCH = 100;
export const ABSENT = 4;
export const ABSENT_FROM = 3204;
export const LATE = { shareIndex: 2, slot: 3201 };

export const slotStart = (slot: number) =>
  (HOODI_TIMING.genesisTime + slot * HOODI_TIMING.secondsPerSlot) * 1000;

export interface World {
  lock: Lock;
  cluster: EvidenceCluster;
  identityKeys: Uint8Array[]; // index shareIndex − 1
  /** The operators' Ethereum keys (the lock's operator addresses), index shareIndex − 1. */
  operatorKeys: Uint8Array[];
  /** Per validator (group pubkey hex), share index → secret share. */
  shares: Map<string, Map<number, Uint8Array>>;
  validators: string[];
  /** (slot, validator) → signing root hex. */
  roots: Map<string, string>;
  duties: ExpectedDuty[];
  messages: SignedParSigMsg[];
  receipts: ReceiptEvidence[];
  logs: MemberEpochLog[];
}

export const rootKey = (slot: number, v: string) => `${slot}|${v}`;

export function signMsg(message: ParSigMsg, identityKey: Uint8Array): SignedParSigMsg {
  return { message, signature: toHex(k1Sign(identityKey, parSigMsgDigest(message))) };
}

export function partialFor(
  w: World,
  shareIndex: number,
  slot: number,
  v: string,
  root = w.roots.get(rootKey(slot, v))!,
) {
  return {
    pubkey: v,
    signingRoot: root,
    signature: toHex(partialSign(w.shares.get(v)!.get(shareIndex)!, Buffer.from(root.slice(2), "hex"))),
    data: { slot },
  };
}

export function messageFor(
  w: World,
  shareIndex: number,
  slot: number,
  sentAt = slotStart(slot) + 4000,
  key?: Uint8Array,
) {
  return signMsg(
    {
      lockHash: w.cluster.lockHash,
      slot,
      dutyType: ATTESTER,
      shareIndex,
      sentAt,
      partials: w.validators.map((v) => partialFor(w, shareIndex, slot, v)),
    },
    key ?? w.identityKeys[shareIndex - 1]!,
  );
}

export const digestOf = (m: SignedParSigMsg) => toHex(parSigMsgDigest(m.message));

export interface GeneratedLock {
  lock: Lock;
  identityKeys: Uint8Array[];
  operatorKeys: Uint8Array[];
  /** Per validator (group pubkey hex), share index → secret share. */
  shares: Map<string, Map<number, Uint8Array>>;
}

let cachedLock: GeneratedLock | undefined;

function makeLock() {
  cachedLock ??= generateLock(3, "evidence test");
  return cachedLock;
}

/** A fully signed 3-of-4 Hoodi lock with `count` validators and fresh keys (slow for large counts). */
export function generateLock(count: number, name: string): GeneratedLock {
  const operatorKeys = Array.from({ length: N }, () => k1GeneratePrivateKey());
  const identityKeys = Array.from({ length: N }, () => k1GeneratePrivateKey());
  const address = (k: Uint8Array) => k1Address(k1PublicKey(k));
  const fee = address(operatorKeys[0]!);
  const definition = signDefinition(
    createDefinition({
      name,
      operators: operatorKeys.map((k, i) => ({
        address: address(k),
        enr: createEnr(identityKeys[i]!, { ip: "127.0.0.1", tcp: 3610 + i }),
      })),
      creator: { address: fee },
      validators: Array.from({ length: count }, () => ({
        feeRecipientAddress: fee,
        withdrawalAddress: "0x000000000000000000000000000000000000dEaD",
      })),
      threshold: T,
      forkVersion: "0x10000910",
      version: "v1.10.0",
    }),
    { creatorKey: operatorKeys[0], operatorKeys },
  );
  const fork = definition.forkVersion;
  const secrets = definition.validators.map(() => generateSecretKey());
  const split = secrets.map((sk) => splitSecretKey(sk, T, N));
  const dvs = secrets.map((sk, v): DistributedValidator => {
    const pubkey = secretToPublicKey(sk);
    const signer = (root: Uint8Array) => sign(sk, root);
    const va = definition.validators[v]!;
    return {
      distributedPublicKey: pubkey,
      publicShares: [1, 2, 3, 4].map((i) => secretToPublicKey(split[v]!.get(i)!)),
      partialDepositData: [
        createDepositData(
          { pubkey, withdrawalAddress: va.withdrawalAddress, amount: 32_000_000_000n, forkVersion: fork },
          signer,
        ),
      ],
      builderRegistration: createBuilderRegistration(
        {
          pubkey,
          feeRecipientAddress: va.feeRecipientAddress,
          timestamp: HOODI_TIMING.genesisTime,
          forkVersion: fork,
        },
        signer,
      ),
    };
  });
  const lock = createLock({
    definition,
    distributedValidators: dvs,
    shareSecretKeys: split.map((m) => [1, 2, 3, 4].map((i) => m.get(i)!)),
    nodeKeys: identityKeys,
  });
  const shares = new Map(dvs.map((dv, v) => [toHex(dv.distributedPublicKey), split[v]!]));
  return { lock, identityKeys, operatorKeys, shares };
}

/** The honest world: messages, receipts and signed epoch logs as the agents would have produced them. */
export interface WorldOptions {
  /** Attester duty slots, all inside epoch 100 (default SLOTS). */
  slots?: number[];
  /** Whether member i is up at a slot (default: member 4 absent from ABSENT_FROM on). */
  present?: (shareIndex: number, slot: number) => boolean;
  /** A member whose message for one slot arrives after the deadline (default LATE; null for none). */
  late?: { shareIndex: number; slot: number } | null;
}

export function makeWorld(options: WorldOptions = {}): World {
  const slots = options.slots ?? SLOTS;
  const lateOne = options.late === undefined ? LATE : options.late;
  const { lock, identityKeys, operatorKeys, shares } = makeLock();
  const cluster = evidenceClusterFromLock(lock);
  const validators = cluster.validators.map((v) => v.pubkey);
  const roots = new Map<string, string>();
  for (const slot of slots) for (const v of validators) roots.set(rootKey(slot, v), toHex(randomBytes(32)));
  const w: World = {
    lock,
    cluster,
    identityKeys,
    operatorKeys,
    shares,
    validators,
    roots,
    duties: slots.map((slot) => ({
      slot,
      dutyType: ATTESTER,
      validators,
      deadline: dutyDeadline(HOODI_TIMING, slot),
    })),
    messages: [],
    receipts: [],
    logs: [],
  };
  const present = options.present ?? ((i: number, slot: number) => !(i === ABSENT && slot >= ABSENT_FROM));
  for (const slot of slots) {
    for (let i = 1; i <= N; i++) {
      if (!present(i, slot)) continue;
      const late = lateOne !== null && i === lateOne.shareIndex && slot === lateOne.slot;
      const sentAt = late ? dutyDeadline(HOODI_TIMING, slot) + 1500 : slotStart(slot) + 4000;
      const msg = messageFor(w, i, slot, sentAt);
      w.messages.push(msg);
      for (let r = 1; r <= N; r++) {
        if (r === i || !present(r, slot)) continue;
        w.receipts.push({ receiver: r, digest: digestOf(msg), from: i, receivedAt: sentAt + 40 + r });
      }
    }
  }
  w.logs = signLogs(w, w.messages, w.receipts);
  return w;
}

/** Every member's signed epoch log over the given messages and receipts (members with nothing sign nothing). */
export function signLogs(
  w: World,
  messages: SignedParSigMsg[],
  receipts: ReceiptEvidence[],
): MemberEpochLog[] {
  const logs: MemberEpochLog[] = [];
  for (let i = 1; i <= N; i++) {
    const sentDigests = messages
      .filter((m) => m.message.shareIndex === i && epochOf(HOODI_TIMING, m.message.slot) === EPOCH)
      .map(digestOf);
    const recs = receipts
      .filter((r) => r.receiver === i)
      .map(({ digest, from, receivedAt }) => ({ digest, from, receivedAt }));
    const root = signEpochRoot(
      w.cluster.lockHash,
      i,
      EPOCH,
      sentDigests.map((d) => Buffer.from(d.slice(2), "hex")),
      recs,
      w.identityKeys[i - 1]!,
    );
    logs.push({ shareIndex: i, epoch: EPOCH, root, sentDigests, receipts: recs });
  }
  return logs;
}
