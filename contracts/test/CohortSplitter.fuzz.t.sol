// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SplitterFixture} from "./utils/SplitterFixture.sol";
import {CohortSplitter} from "../src/CohortSplitter.sol";

contract CohortSplitterFuzzTest is SplitterFixture {
    /// Any subset of the 4 operators: applies iff it has ≥ 3 members.
    function testFuzz_signerSubsets(uint8 rawMask) public {
        uint256 mask = rawMask & 0xF;
        vm.deal(address(splitter), 1 ether);
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        bytes[] memory sigs = _sigs(mask, d);
        if (sigs.length < T) {
            vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientSignatures.selector, sigs.length, T));
        }
        splitter.settle(1, r, a, total, sigs);
        assertEq(splitter.periodSettled(1) ? 1 : 0, sigs.length >= T ? 1 : 0, "applied iff threshold");
    }

    /// Settle then everyone withdraws: each gets exactly its amount, the rest stays unallocated.
    function testFuzz_settleWithdrawConserves(uint256 funding, uint96 a0, uint96 a1, uint96 a2, uint96 a3, uint256 period)
        public
    {
        funding = bound(funding, 0, 400_000 ether);
        vm.deal(address(splitter), funding);
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(a0, a1, a2, a3);
        bytes32 d = splitter.settlementDigest(period, r, a, total);
        if (total > funding) {
            vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientUnallocated.selector, total, funding));
            splitter.settle(period, r, a, total, _sigs(0x7, d));
            return;
        }
        splitter.settle(period, r, a, total, _sigs(0xE, d));
        for (uint256 i = 0; i < 4; ++i) {
            if (a[i] == 0) continue;
            vm.prank(payouts[i]);
            splitter.withdraw();
            assertEq(payouts[i].balance, a[i], "exact payout");
        }
        assertEq(address(splitter).balance, funding - total, "remainder");
        assertEq(splitter.unallocated(), funding - total, "unallocated");
    }

    function testFuzz_totalMismatchRejected(uint64 a0, uint64 a1, uint64 a2, uint64 a3, uint256 claimed) public {
        vm.deal(address(splitter), type(uint128).max);
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(a0, a1, a2, a3);
        vm.assume(claimed != total);
        bytes32 d = splitter.settlementDigest(1, r, a, claimed);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.TotalMismatch.selector, total, claimed));
        splitter.settle(1, r, a, claimed, _sigs(0x7, d));
    }

    function testFuzz_foreignChainRejected(uint64 chainId) public {
        vm.assume(chainId != block.chainid && chainId != 0);
        vm.deal(address(splitter), 1 ether);
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        uint256 home = block.chainid;
        vm.chainId(chainId);
        bytes[] memory sigs = _sigs(0x7, splitter.settlementDigest(1, r, a, total));
        vm.chainId(home);
        vm.expectRevert();
        splitter.settle(1, r, a, total, sigs);
    }

    /// Principal reserved by the operators is never spendable by a settlement.
    function testFuzz_reservedPrincipalIsUntouchable(uint256 rewards, uint256 principal, uint256 ask) public {
        rewards = bound(rewards, 0, 1000 ether);
        principal = bound(principal, 0, 32 ether);
        ask = bound(ask, 1, 2000 ether);
        vm.deal(address(splitter), rewards + principal);
        bytes32 exitId = keccak256("v");
        splitter.reservePrincipal(exitId, principal, _sigs(0x7, splitter.reservePrincipalDigest(exitId, principal)));
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(ask, 0, 0, 0);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        if (ask > rewards) {
            vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientUnallocated.selector, ask, rewards));
        }
        splitter.settle(1, r, a, total, _sigs(0x7, d));
        assertGe(address(splitter).balance, splitter.totalCredits() + splitter.reservedPrincipal(), "solvent");
    }
}
