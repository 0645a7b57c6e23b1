import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import { ssz } from "@lodestar/types";
import { describe, expect, it } from "vitest";
import {
  checkDepositAmount,
  checkDepositData,
  type DepositDataJson,
  depositData,
  MAX_EFFECTIVE_BALANCE_ELECTRA_GWEI,
  type VerifyFn,
} from "./deposit";
import { depositSigningRoot } from "./duties";
import { bytesToHex, hexToBytes } from "./hex";
import { HOLESKY, HOODI, MAINNET, networkByForkVersion, SEPOLIA } from "./networks";
import { asyncCodeOf, codeOf, readSharedVector, readVector } from "./testing";
import {
  compoundingWithdrawalCredentials,
  executionWithdrawalCredentials,
  withdrawalAddressOf,
  withdrawalCredentialsType,
} from "./withdrawal";

/** BLS verify with key and signature validation; malformed points are just "does not verify". */
const blsVerify: VerifyFn = (pubkey, root, signature) => {
  try {
    return verify(root, PublicKey.fromBytes(pubkey, true), Signature.fromBytes(signature, true));
  } catch {
    return false;
  }
};

const mainnet = readVector<{ private_key: string; deposit_data: DepositDataJson }>(
  "mainnet_exit_and_deposit.json",
);
const [hoodiEntry] = readVector<DepositDataJson[]>("hoodi_deposit.json");

describe("known deposits", () => {
  it("rebuilds the published mainnet deposit byte for byte (deposit-cli JSON shape)", async () => {
    const sk = SecretKey.fromBytes(hexToBytes(mainnet.private_key));
    const entry = await depositData({
      pubkey: sk.toPublicKey().toBytes(),
      withdrawalCredentials: `0x${mainnet.deposit_data.withdrawal_credentials}`,
      amountGwei: 32_000_000_000n,
      network: MAINNET,
      sign: (root) => sk.sign(root).toBytes(),
      verify: blsVerify,
    });
    expect(entry).toEqual(mainnet.deposit_data);
    expect(Object.keys(entry)).toEqual([
      "pubkey",
      "withdrawal_credentials",
      "amount",
      "signature",
      "deposit_message_root",
      "deposit_data_root",
      "fork_version",
      "network_name",
      "deposit_cli_version",
    ]);
  });

  it("verifies the mainnet deposit's roots and signature under the mainnet deposit domain", async () => {
    const checked = await checkDepositData(mainnet.deposit_data, { network: MAINNET, verify: blsVerify });
    expect(checked.depositDataRoot).toBe(`0x${mainnet.deposit_data.deposit_data_root}`);
    expect(networkByForkVersion(mainnet.deposit_data.fork_version)).toBe(MAINNET);
    // the deposit is network-specific only through the genesis fork version
    expect(await asyncCodeOf(() => checkDepositData(mainnet.deposit_data, { network: HOLESKY }))).toBe(
      "DEPOSIT_DATA_MISMATCH",
    );
    const { fork_version: _, ...withoutFork } = mainnet.deposit_data;
    expect(
      await asyncCodeOf(() =>
        checkDepositData(withoutFork, { forkVersion: "0x01017000", verify: blsVerify }),
      ),
    ).toBe("INVALID_SIGNATURE");
  });

  it("verifies an ethstaker-deposit-cli Hoodi deposit (0x01 credentials)", async () => {
    expect(hoodiEntry).toBeDefined();
    const entry = hoodiEntry!;
    const checked = await checkDepositData(entry, { network: HOODI, verify: blsVerify });
    expect(checked.forkVersion).toBe(HOODI.genesisForkVersion);
    expect(withdrawalAddressOf(`0x${entry.withdrawal_credentials}`)).toBe(
      "0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
    );
  });

  it("detects tampering", async () => {
    const bad = { ...mainnet.deposit_data, amount: 31_000_000_000 };
    expect(await asyncCodeOf(() => checkDepositData(bad))).toBe("DEPOSIT_DATA_MISMATCH");
    const { deposit_message_root: _m, deposit_data_root: _d, ...bare } = bad;
    expect(await asyncCodeOf(() => checkDepositData(bare, { verify: blsVerify }))).toBe("INVALID_SIGNATURE");
    expect(await asyncCodeOf(() => checkDepositData({ ...bare, fork_version: undefined }))).toBe(
      "INVALID_INPUT",
    );
  });
});

describe("Obol cluster-lock deposit data", () => {
  interface LockDeposit {
    pubkey: string;
    withdrawal_credentials: string;
    amount: string;
    signature: string;
  }
  const suite = readSharedVector<{
    lock: {
      name: string;
      input: {
        cluster_definition: { fork_version: string };
        distributed_validators: { distributed_public_key: string; partial_deposit_data?: LockDeposit[] }[];
      };
    }[];
  }>("obol-dv-specs/cluster_hashing.json");
  const threshold = readSharedVector<{ group_secret_hex: string; group_pubkey_hex: string }>(
    "obol-dv-specs/bls_threshold.json",
  );
  const lock = suite.lock.find((c) => c.name === "real_keys_3_of_4")!.input;
  const dv = lock.distributed_validators[0]!;
  const partial = dv.partial_deposit_data![0]!;

  it("the vector's placeholder deposit signature (0x55…) does not verify: only its hashes are meaningful", async () => {
    const checked = await checkDepositData(partial, { forkVersion: lock.cluster_definition.fork_version });
    expect(checked.forkVersion).toBe(SEPOLIA.genesisForkVersion);
    expect(
      await asyncCodeOf(() =>
        checkDepositData(partial, { forkVersion: lock.cluster_definition.fork_version, verify: blsVerify }),
      ),
    ).toBe("INVALID_SIGNATURE");
  });

  it("signing the lock's deposit message with the DV group key gives an entry with the lock's fields and values", async () => {
    const sk = SecretKey.fromBytes(hexToBytes(threshold.group_secret_hex));
    expect(bytesToHex(sk.toPublicKey().toBytes())).toBe(dv.distributed_public_key);
    const network = networkByForkVersion(lock.cluster_definition.fork_version);
    const entry = await depositData({
      pubkey: dv.distributed_public_key,
      withdrawalCredentials: executionWithdrawalCredentials("0x000000000000000000000000000000000000dead"),
      amountGwei: BigInt(partial.amount),
      network,
      sign: (root) => sk.sign(root).toBytes(),
      verify: blsVerify,
    });
    // Same field names as the lock's partial_deposit_data; the lock spells hex with 0x and the amount as a string.
    for (const key of Object.keys(partial) as (keyof LockDeposit)[]) {
      expect(entry, key).toHaveProperty(key);
    }
    expect(`0x${entry.pubkey}`).toBe(partial.pubkey);
    expect(`0x${entry.withdrawal_credentials}`).toBe(partial.withdrawal_credentials);
    expect(String(entry.amount)).toBe(partial.amount);
    expect(entry.fork_version).toBe("90000069");
    expect(entry.network_name).toBe("sepolia");
    // and the result checks out in the lock's spelling too
    await checkDepositData(
      { ...partial, signature: `0x${entry.signature}` },
      { forkVersion: lock.cluster_definition.fork_version, verify: blsVerify },
    );
  });
});

describe("amounts and withdrawal credentials", () => {
  const addr = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"; // EIP-55 example
  it("0x01 and 0x02 credentials", () => {
    expect(executionWithdrawalCredentials(addr)).toBe(
      `0x01${"00".repeat(11)}5aaeb6053f3e94c9b9a09f33669435e7ef1beaed`,
    );
    expect(compoundingWithdrawalCredentials(addr)).toBe(
      `0x02${"00".repeat(11)}5aaeb6053f3e94c9b9a09f33669435e7ef1beaed`,
    );
    expect(withdrawalCredentialsType(compoundingWithdrawalCredentials(addr))).toBe(2);
    expect(withdrawalAddressOf(executionWithdrawalCredentials(addr.toLowerCase()))).toBe(addr);
    expect(withdrawalAddressOf(`0x00${"ab".repeat(31)}`)).toBeUndefined();
    expect(codeOf(() => executionWithdrawalCredentials("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"))).toBe(
      "INVALID_ADDRESS",
    );
    expect(codeOf(() => executionWithdrawalCredentials("0x1234"))).toBe("INVALID_ADDRESS");
    expect(codeOf(() => withdrawalCredentialsType(`0x03${"00".repeat(31)}`))).toBe(
      "INVALID_WITHDRAWAL_CREDENTIALS",
    );
    expect(codeOf(() => withdrawalCredentialsType(`0x01${"00".repeat(10)}01${"00".repeat(20)}`))).toBe(
      "INVALID_WITHDRAWAL_CREDENTIALS",
    );
  });

  it("amount limits depend on the credential type", () => {
    const c01 = executionWithdrawalCredentials(addr);
    const c02 = compoundingWithdrawalCredentials(addr);
    expect(checkDepositAmount(1_000_000_000, c01)).toBe(1_000_000_000);
    expect(checkDepositAmount("32000000000", c01)).toBe(32_000_000_000);
    expect(codeOf(() => checkDepositAmount(32_000_000_001, c01))).toBe("INVALID_AMOUNT");
    expect(codeOf(() => checkDepositAmount(999_999_999, c02))).toBe("INVALID_AMOUNT");
    expect(checkDepositAmount(MAX_EFFECTIVE_BALANCE_ELECTRA_GWEI, c02)).toBe(2_048_000_000_000);
    expect(codeOf(() => checkDepositAmount(MAX_EFFECTIVE_BALANCE_ELECTRA_GWEI + 1, c02))).toBe(
      "INVALID_AMOUNT",
    );
    expect(codeOf(() => checkDepositAmount(1.5 as number, c01))).toBe("INVALID_AMOUNT");
  });

  it("a compounding 2048 ETH deposit round-trips through sign/verify", async () => {
    const sk = SecretKey.fromKeygen(new Uint8Array(32).fill(3));
    const entry = await depositData({
      pubkey: sk.toPublicKey().toBytes(),
      withdrawalCredentials: compoundingWithdrawalCredentials(addr),
      amountGwei: 2_048_000_000_000,
      network: HOODI,
      sign: (root) => sk.sign(root).toBytes(),
    });
    await checkDepositData(entry, { network: HOODI, verify: blsVerify });
    const message = ssz.phase0.DepositMessage.fromJson({
      pubkey: `0x${entry.pubkey}`,
      withdrawal_credentials: `0x${entry.withdrawal_credentials}`,
      amount: String(entry.amount),
    });
    expect(blsVerify(message.pubkey, depositSigningRoot(HOODI, message), hexToBytes(entry.signature))).toBe(
      true,
    );
  });

  it("a signer returning a wrong signature is caught when verify is given", async () => {
    const sk = SecretKey.fromKeygen(new Uint8Array(32).fill(4));
    const other = SecretKey.fromKeygen(new Uint8Array(32).fill(5));
    const code = await asyncCodeOf(() =>
      depositData({
        pubkey: sk.toPublicKey().toBytes(),
        withdrawalCredentials: executionWithdrawalCredentials(addr),
        amountGwei: 32_000_000_000,
        network: MAINNET,
        sign: (root) => other.sign(root).toBytes(),
        verify: blsVerify,
      }),
    );
    expect(code).toBe("INVALID_SIGNATURE");
  });
});
