// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./Test.sol";
import {CohortSplitter} from "../../src/CohortSplitter.sol";

/// Shared set-up: a 3-of-4 cluster with a principal recipient owed 32 ETH.
abstract contract SplitterFixture is Test {
    uint256 internal constant N = 4;
    uint256 internal constant T = 3;
    address payable internal constant STAKER = payable(address(0x5742E5));

    CohortSplitter internal splitter;
    uint256[] internal keys;
    address[] internal signers;
    address[] internal payouts;

    function setUp() public virtual {
        for (uint256 i = 0; i < N; ++i) {
            keys.push(0xA11CE + i);
            signers.push(vm.addr(0xA11CE + i));
            payouts.push(address(uint160(0xFA00 + i)));
        }
        splitter = _deploy(_ops(signers, payouts), T);
    }

    function _deploy(CohortSplitter.Operator[] memory ops, uint256 t) internal returns (CohortSplitter) {
        return new CohortSplitter(ops, t, STAKER, 32 ether);
    }

    function _ops(address[] memory s, address[] memory p) internal pure returns (CohortSplitter.Operator[] memory ops) {
        ops = new CohortSplitter.Operator[](s.length);
        for (uint256 i = 0; i < s.length; ++i) ops[i] = CohortSplitter.Operator(s[i], p[i]);
    }

    function _sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// Signatures of the operators whose bit is set in `mask` (operator i ↔ bit i).
    function _sigs(uint256 mask, bytes32 digest) internal view returns (bytes[] memory out) {
        uint256 count;
        for (uint256 i = 0; i < keys.length; ++i) if (mask & (1 << i) != 0) count++;
        out = new bytes[](count);
        uint256 j;
        for (uint256 i = 0; i < keys.length; ++i) if (mask & (1 << i) != 0) out[j++] = _sig(keys[i], digest);
    }

    function _payoutSplit(uint256 a, uint256 b, uint256 c, uint256 d)
        internal
        view
        returns (address[] memory r, uint256[] memory amts, uint256 total)
    {
        r = payouts;
        amts = new uint256[](4);
        amts[0] = a;
        amts[1] = b;
        amts[2] = c;
        amts[3] = d;
        total = a + b + c + d;
    }

    function _settle(uint256 periodId, address[] memory r, uint256[] memory amts, uint256 total, uint256 mask) internal {
        bytes32 digest = splitter.settlementDigest(periodId, r, amts, total);
        splitter.settle(periodId, r, amts, total, _sigs(mask, digest));
    }
}
