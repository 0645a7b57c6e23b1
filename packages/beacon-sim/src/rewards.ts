import type { IncomingMessage } from "node:http";
import type { SimChain } from "./chain";
import { BeaconApiError, hex, type Route, type RouteContext, readJson } from "./http";
import type { BlockRecord, SimRecorder } from "./recorder";

/**
 * The simulator's reward model (gwei; documented so settlement code has stable numbers to split).
 * It mirrors Altair's weights (source 14, target 26, head 14, sync 2, proposer 8 of 64) with a
 * fixed 1 000 gwei per weight unit, independent of balances and of the validator count:
 *
 * - Attester, per epoch duty: source +14 000 if its attestation is included within
 *   ⌊√SLOTS_PER_EPOCH⌋ slots, else −14 000; target +26 000 if included within SLOTS_PER_EPOCH
 *   slots, else −26 000; head +14 000 if included in the next slot and voting for the canonical
 *   head, else 0. "Included" is the recorded attestation's `inclusionSlot` (accepted, correct source
 *   and target, timely); a validator with no included attestation gets the two penalties.
 * - Sync committee member, per slot: +2 000 if its message for the slot's canonical root arrived
 *   during the slot, else −2 000 (per validator, not per position held).
 * - Proposer, per imported block at slot s: ⌊Σ earned attester rewards of the attestations whose
 *   inclusionSlot is s ÷ 7⌋ (8/56, as Altair) plus ⌊2 000 ÷ 7⌋ = 285 per included sync message of
 *   slot s − 1. No reward without an imported block. Slashing rewards are 0.
 */
export const REWARDS = {
  sourceGwei: 14_000,
  targetGwei: 26_000,
  headGwei: 14_000,
  syncGwei: 2_000,
  /** Proposer gets reward × PROPOSER_WEIGHT / (WEIGHT_DENOMINATOR − PROPOSER_WEIGHT) = 8/56. */
  proposerDivisor: 7,
} as const;

interface AttesterReward {
  source: number;
  target: number;
  head: number;
}

/** The attester reward components of validator `index` for its duty in `epoch`. */
export function attesterReward(
  chain: SimChain,
  recorder: SimRecorder,
  index: number,
  epoch: number,
): AttesterReward {
  const duty = chain.attesterDuties(epoch).find((d) => d.validatorIndex === index);
  const none = { source: -REWARDS.sourceGwei, target: -REWARDS.targetGwei, head: 0 };
  if (!duty) return none;
  const sqrt = Math.floor(Math.sqrt(chain.network.slotsPerEpoch));
  const best = recorder
    .attestations({ validatorIndex: index, slot: duty.slot })
    .filter((a) => a.accepted && a.inclusionSlot !== null)
    .map((a) => ({ a, delay: a.inclusionSlot! - a.slot }))
    .sort((x, y) => x.delay - y.delay)[0];
  if (!best) return none;
  const headRoot = hex(chain.blockRoot(duty.slot));
  return {
    source: best.delay <= sqrt ? REWARDS.sourceGwei : -REWARDS.sourceGwei,
    target: best.delay <= chain.network.slotsPerEpoch ? REWARDS.targetGwei : -REWARDS.targetGwei,
    head: best.delay === 1 && best.a.beaconBlockRoot === headRoot ? REWARDS.headGwei : 0,
  };
}

const earned = (r: AttesterReward) => Math.max(0, r.source) + Math.max(0, r.target) + Math.max(0, r.head);

/**
 * Rewards routes (model: {@link REWARDS}):
 * `POST /eth/v1/beacon/rewards/attestations/{epoch}`, `GET /eth/v1/beacon/rewards/blocks/{block_id}`,
 * `POST /eth/v1/beacon/rewards/sync_committee/{block_id}`.
 */
export function rewardRoutes(ctx: RouteContext): Route[] {
  const { chain, recorder, headSlot } = ctx;

  /** Validator indices named by a rewards request body (indices or pubkeys; all if empty). */
  const selected = async (req: IncomingMessage): Promise<Set<number> | undefined> => {
    const body = await readJson(req);
    if (body === null || (Array.isArray(body) && body.length === 0)) return undefined;
    if (!Array.isArray(body) || !body.every((x) => typeof x === "string")) {
      throw new BeaconApiError(
        400,
        "Invalid request body: expected an array of validator indices or pubkeys",
      );
    }
    return new Set(
      body.map((id: string) => {
        const v = id.startsWith("0x") ? chain.validatorByPubkey(id) : chain.validators[Number(id)];
        if (!v || (!id.startsWith("0x") && !/^\d+$/.test(id)))
          throw new BeaconApiError(400, `Unknown validator ${id}`);
        return v.index;
      }),
    );
  };

  /** The imported block named by a block ID (`head` = the latest imported block). */
  const blockOf = (blockId: string | undefined): BlockRecord => {
    const imported = recorder.blocks().filter((b) => b.imported);
    let block: BlockRecord | undefined;
    if (blockId === "head") block = imported.sort((a, b) => b.slot - a.slot)[0];
    else if (blockId && /^\d+$/.test(blockId)) block = imported.find((b) => b.slot === Number(blockId));
    else if (blockId && /^0x[0-9a-fA-F]{64}$/.test(blockId)) {
      block = imported.find((b) => b.blockRoot === blockId.toLowerCase());
    } else throw new BeaconApiError(400, `Invalid block ID: ${blockId}`);
    if (!block) throw new BeaconApiError(404, `Block not found: ${blockId}`);
    return block;
  };

  /** Members of the sync committee signing at `slot` and whether each is rewarded. */
  const syncParticipation = (slot: number) => {
    const root = hex(chain.blockRoot(slot));
    const members = [...new Set(chain.syncCommitteeAtSlot(slot))];
    const included = new Set(
      recorder
        .syncMessages({ slot })
        .filter((m) => m.included && m.beaconBlockRoot === root)
        .map((m) => m.validatorIndex),
    );
    return members.map((index) => ({ index, participated: included.has(index) }));
  };

  return [
    [
      "POST",
      /^\/eth\/v1\/beacon\/rewards\/attestations\/([^/]+)$/,
      async ([, e], req) => {
        if (!e || !/^\d+$/.test(e)) throw new BeaconApiError(400, `Invalid epoch: ${e}`);
        const epoch = Number(e);
        const current = chain.epochOf(headSlot());
        if (epoch >= current) {
          throw new BeaconApiError(400, `Epoch ${epoch} is not finished yet (current epoch ${current})`);
        }
        const wanted = await selected(req);
        const indices = chain.validators.map((v) => v.index).filter((i) => !wanted || wanted.has(i));
        const balances = [
          ...new Set(
            chain.validators.map((v) => (v.balanceGwei > 32_000_000_000n ? 32_000_000_000n : v.balanceGwei)),
          ),
        ];
        return {
          execution_optimistic: false,
          finalized: epoch + 2 <= current,
          data: {
            ideal_rewards: balances.map((b) => ({
              effective_balance: String(b),
              head: String(REWARDS.headGwei),
              target: String(REWARDS.targetGwei),
              source: String(REWARDS.sourceGwei),
              inactivity: "0",
            })),
            total_rewards: indices.map((i) => {
              const r = attesterReward(chain, recorder, i, epoch);
              return {
                validator_index: String(i),
                head: String(r.head),
                target: String(r.target),
                source: String(r.source),
                inactivity: "0",
              };
            }),
          },
        };
      },
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/rewards\/blocks\/([^/]+)$/,
      ([, blockId]) => {
        const block = blockOf(blockId);
        let attestations = 0;
        const seen = new Set<number>();
        for (const a of recorder.attestations()) {
          if (!a.accepted || a.inclusionSlot !== block.slot || seen.has(a.validatorIndex)) continue;
          seen.add(a.validatorIndex);
          attestations += Math.floor(
            earned(attesterReward(chain, recorder, a.validatorIndex, chain.epochOf(a.slot))) /
              REWARDS.proposerDivisor,
          );
        }
        const participants =
          block.slot > 0 ? syncParticipation(block.slot - 1).filter((p) => p.participated).length : 0;
        const syncAggregate = participants * Math.floor(REWARDS.syncGwei / REWARDS.proposerDivisor);
        return {
          execution_optimistic: false,
          finalized: chain.epochOf(block.slot) + 2 <= chain.epochOf(headSlot()),
          data: {
            proposer_index: String(block.proposerIndex),
            total: String(attestations + syncAggregate),
            attestations: String(attestations),
            sync_aggregate: String(syncAggregate),
            proposer_slashings: "0",
            attester_slashings: "0",
          },
        };
      },
    ],
    [
      "POST",
      /^\/eth\/v1\/beacon\/rewards\/sync_committee\/([^/]+)$/,
      async ([, blockId], req) => {
        const block = blockOf(blockId);
        const wanted = await selected(req);
        const participation = block.slot > 0 ? syncParticipation(block.slot - 1) : [];
        return {
          execution_optimistic: false,
          finalized: chain.epochOf(block.slot) + 2 <= chain.epochOf(headSlot()),
          data: participation
            .filter((p) => !wanted || wanted.has(p.index))
            .sort((a, b) => a.index - b.index)
            .map((p) => ({
              validator_index: String(p.index),
              reward: String(p.participated ? REWARDS.syncGwei : -REWARDS.syncGwei),
            })),
        };
      },
    ],
  ];
}
