// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SplitterFixture} from "./utils/SplitterFixture.sol";
import {CohortSplitter} from "../src/CohortSplitter.sol";

contract Rejecter {
    receive() external payable {
        revert("no");
    }
}

/// Tries to re-enter withdraw() from its receive hook.
contract Reenterer {
    CohortSplitter internal immutable s;
    uint256 public reentered;

    constructor(CohortSplitter s_) {
        s = s_;
    }

    function pull() external {
        s.withdraw();
    }

    receive() external payable {
        try s.withdraw() {
            reentered++;
        } catch {}
    }
}

contract CohortSplitterTest is SplitterFixture {
    uint256 internal constant ALL = 0xF; // operators 0..3
    uint256 internal constant THREE = 0x7; // operators 0..2

    function setUp() public override {
        super.setUp();
        vm.deal(address(splitter), 10 ether);
    }

    // ------------------------------------------------------------ construction & views

    function test_constructorState() public view {
        assertEq(splitter.threshold(), 3, "threshold");
        assertEq(splitter.operatorCount(), 4, "operators");
        assertEq(splitter.principalOutstanding(), 32 ether, "principal");
        assertEq(splitter.unallocated(), 10 ether, "unallocated");
        assertTrue(splitter.isOperator(signers[2]), "isOperator");
        assertEq(splitter.operators()[1].payout, payouts[1], "payout");
    }

    function test_constructorRejectsMinorityThreshold() public {
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InvalidThreshold.selector, 2, 4));
        _deploy(_ops(signers, payouts), 2);
    }

    function test_constructorRejectsDuplicateOperator() public {
        address[] memory s = signers;
        s[3] = s[0];
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.DuplicateOperator.selector, s[0]));
        _deploy(_ops(s, payouts), 3);
    }

    function test_receiveEmitsAndCounts() public {
        vm.deal(address(this), 1 ether);
        (bool ok,) = address(splitter).call{value: 1 ether}("");
        assertTrue(ok, "receive");
        assertEq(splitter.unallocated(), 11 ether, "unallocated");
    }

    /// MEV payments and old-style senders use transfer/send (2300 gas): receive() must fit.
    function test_receiveFitsTransferStipend() public {
        vm.deal(address(this), 1 ether);
        payable(address(splitter)).transfer(1 ether);
        assertEq(splitter.unallocated(), 11 ether, "unallocated");
    }

    // ------------------------------------------------------------ settle

    function test_settle3of4Applies() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1 ether, 2 ether, 3 ether, 0.5 ether);
        _settle(7, r, a, total, THREE);
        assertTrue(splitter.periodSettled(7), "settled");
        assertEq(splitter.credits(payouts[1]), 2 ether, "credit");
        assertEq(splitter.totalCredits(), 6.5 ether, "totalCredits");
        assertEq(splitter.unallocated(), 3.5 ether, "unallocated");
    }

    function test_settleEmitsEvents() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(5, r, a, total);
        bytes[] memory sigs = _sigs(THREE, d);
        for (uint256 i = 0; i < 4; ++i) {
            vm.expectEmit(true, true, false, true);
            emit CohortSplitter.Credited(5, r[i], a[i]);
        }
        vm.expectEmit(true, false, false, true);
        emit CohortSplitter.Settled(5, total, 4, d);
        splitter.settle(5, r, a, total, sigs);
    }

    function test_rejectsSelfAsRecipient() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        r[1] = address(splitter);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InvalidRecipient.selector, address(splitter)));
        splitter.settle(1, r, a, total, _sigs(THREE, d));
    }

    function test_settleWithAllFourApplies() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        _settle(1, r, a, total, ALL);
        assertEq(splitter.totalCredits(), 10, "totalCredits");
    }

    function test_rejectsTMinusOneSignatures() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientSignatures.selector, 2, 3));
        splitter.settle(1, r, a, total, _sigs(0x3, d));
    }

    function test_rejectsSameOperatorTwice() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        bytes[] memory sigs = new bytes[](3);
        sigs[0] = _sig(keys[0], d);
        sigs[1] = _sig(keys[1], d);
        sigs[2] = _sig(keys[0], d);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.DuplicateSigner.selector, signers[0]));
        splitter.settle(1, r, a, total, sigs);
    }

    function test_rejectsNonOperator() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        bytes[] memory sigs = _sigs(THREE, d);
        sigs[2] = _sig(0xBAD, d);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.NotOperator.selector, vm.addr(0xBAD)));
        splitter.settle(1, r, a, total, sigs);
    }

    function test_rejectsMalformedSignature() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        bytes[] memory sigs = _sigs(THREE, d);
        sigs[1] = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InvalidSignature.selector, 1));
        splitter.settle(1, r, a, total, sigs);
    }

    function test_rejectsReplayedPeriod() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(9, r, a, total);
        bytes[] memory sigs = _sigs(THREE, d);
        splitter.settle(9, r, a, total, sigs);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.PeriodAlreadySettled.selector, 9));
        splitter.settle(9, r, a, total, sigs);
        // A different allocation for the same period is refused too.
        (r, a, total) = _payoutSplit(4, 3, 2, 1);
        d = splitter.settlementDigest(9, r, a, total);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.PeriodAlreadySettled.selector, 9));
        splitter.settle(9, r, a, total, _sigs(THREE, d));
    }

    function test_rejectsSignatureForOtherChainId() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        uint256 home = block.chainid;
        vm.chainId(5);
        bytes32 foreign = splitter.settlementDigest(1, r, a, total);
        bytes[] memory sigs = _sigs(THREE, foreign);
        vm.chainId(home);
        bytes32 local = splitter.settlementDigest(1, r, a, total);
        assertTrue(foreign != local, "chain id is in the domain");
        (uint8 v, bytes32 rr, bytes32 ss) = vm.sign(keys[0], foreign);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.NotOperator.selector, ecrecover(local, v, rr, ss)));
        splitter.settle(1, r, a, total, sigs);
    }

    function test_rejectsSignatureForOtherSplitter() public {
        CohortSplitter other = _deploy(_ops(signers, payouts), T);
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 foreign = other.settlementDigest(1, r, a, total);
        bytes32 local = splitter.settlementDigest(1, r, a, total);
        (uint8 v, bytes32 rr, bytes32 ss) = vm.sign(keys[0], foreign);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.NotOperator.selector, ecrecover(local, v, rr, ss)));
        splitter.settle(1, r, a, total, _sigs(THREE, foreign));
    }

    function test_rejectsTamperedAmounts() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes[] memory sigs = _sigs(THREE, splitter.settlementDigest(1, r, a, total));
        a[0] = 2;
        a[3] = 3; // same total, different split
        vm.expectRevert(); // recovers to some non-operator address
        splitter.settle(1, r, a, total, sigs);
    }

    function test_rejectsAmountsNotEqualTotal() public {
        (address[] memory r, uint256[] memory a,) = _payoutSplit(1, 2, 3, 4);
        bytes32 d = splitter.settlementDigest(1, r, a, 11);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.TotalMismatch.selector, 10, 11));
        splitter.settle(1, r, a, 11, _sigs(THREE, d));
    }

    function test_rejectsMoreThanUnallocated() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(5 ether, 5 ether, 0, 1);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientUnallocated.selector, total, 10 ether));
        splitter.settle(1, r, a, total, _sigs(THREE, d));
    }

    function test_rejectsCreditsAlreadyAllocated() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(2 ether, 2 ether, 2 ether, 2 ether);
        _settle(1, r, a, total, THREE);
        // 8 ETH credited, 2 ETH left: a second 8 ETH period must not spend the first one's credits.
        bytes32 d = splitter.settlementDigest(2, r, a, total);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientUnallocated.selector, 8 ether, 2 ether));
        splitter.settle(2, r, a, total, _sigs(THREE, d));
    }

    function test_rejectsLengthMismatchAndEmpty() public {
        address[] memory r = new address[](2);
        uint256[] memory a = new uint256[](1);
        bytes[] memory none = new bytes[](0);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.LengthMismatch.selector, 2, 1));
        splitter.settle(1, r, a, 0, none);
        vm.expectRevert(CohortSplitter.EmptySettlement.selector);
        splitter.settle(1, new address[](0), new uint256[](0), 0, none);
    }

    // ------------------------------------------------------------ withdraw / push

    function test_withdrawPaysExactlyOnce() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1 ether, 2 ether, 3 ether, 4 ether);
        _settle(1, r, a, total, THREE);
        for (uint256 i = 0; i < 4; ++i) {
            uint256 before = payouts[i].balance;
            vm.prank(payouts[i]);
            uint256 paid = splitter.withdraw();
            assertEq(paid, a[i], "return value");
            assertEq(payouts[i].balance - before, a[i], "paid exactly the credit");
            assertEq(splitter.credits(payouts[i]), 0, "credit cleared");
            vm.prank(payouts[i]);
            vm.expectRevert(abi.encodeWithSelector(CohortSplitter.NothingToWithdraw.selector, payouts[i]));
            splitter.withdraw();
        }
        assertEq(address(splitter).balance, 0, "drained");
        assertEq(splitter.totalCredits(), 0, "no credits");
    }

    function test_withdrawToAndPush() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1 ether, 2 ether, 0, 0);
        _settle(1, r, a, total, THREE);
        address dest = address(0xD357);
        vm.prank(payouts[0]);
        splitter.withdrawTo(payable(dest));
        assertEq(dest.balance, 1 ether, "withdrawTo");
        splitter.push(payouts[1]); // anyone may push, always to the recipient itself
        assertEq(payouts[1].balance, 2 ether, "push");
    }

    function test_settleAndPushKeepsCreditOfRejectingRecipient() public {
        Rejecter rej = new Rejecter();
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1 ether, 1 ether, 1 ether, 1 ether);
        r[2] = address(rej);
        bytes32 d = splitter.settlementDigest(3, r, a, total);
        splitter.settleAndPush(3, r, a, total, _sigs(THREE, d));
        assertEq(payouts[0].balance, 1 ether, "pushed");
        assertEq(splitter.credits(address(rej)), 1 ether, "kept");
        assertEq(splitter.totalCredits(), 1 ether, "totalCredits");
        assertEq(address(splitter).balance, 7 ether, "balance");
    }

    function test_reentrantWithdrawGetsNothingExtra() public {
        Reenterer attacker = new Reenterer(splitter);
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1 ether, 1 ether, 1 ether, 1 ether);
        r[0] = address(attacker);
        _settle(1, r, a, total, THREE);
        attacker.pull();
        assertEq(address(attacker).balance, 1 ether, "paid once");
        assertEq(attacker.reentered(), 0, "re-entry blocked");
        assertEq(address(splitter).balance, 9 ether, "balance");
    }

    // ------------------------------------------------------------ principal

    function test_settleCannotSpendReservedPrincipal() public {
        vm.deal(address(splitter), 42 ether); // 10 ETH rewards + 32 ETH returned stake
        bytes32 exitId = keccak256("validator-0");
        splitter.reservePrincipal(exitId, 32 ether, _sigs(THREE, splitter.reservePrincipalDigest(exitId, 32 ether)));
        assertEq(splitter.reservedPrincipal(), 32 ether, "reserved");
        assertEq(splitter.principalOutstanding(), 0, "outstanding");
        assertEq(splitter.unallocated(), 10 ether, "only rewards left");
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(10 ether, 1, 0, 0);
        bytes32 d = splitter.settlementDigest(1, r, a, total);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientUnallocated.selector, total, 10 ether));
        splitter.settle(1, r, a, total, _sigs(THREE, d));
        splitter.releasePrincipal();
        assertEq(STAKER.balance, 32 ether, "principal paid");
    }

    function test_reservePrincipalNeedsThresholdAndIsOnce() public {
        vm.deal(address(splitter), 42 ether);
        bytes32 exitId = keccak256("validator-0");
        bytes32 d = splitter.reservePrincipalDigest(exitId, 16 ether);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientSignatures.selector, 1, 3));
        splitter.reservePrincipal(exitId, 16 ether, _sigs(0x1, d));
        splitter.reservePrincipal(exitId, 16 ether, _sigs(THREE, d));
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.ExitAlreadyReserved.selector, exitId));
        splitter.reservePrincipal(exitId, 16 ether, _sigs(THREE, d));
    }

    function test_reservePrincipalCappedByOutstanding() public {
        vm.deal(address(splitter), 100 ether);
        bytes32 exitId = keccak256("x");
        bytes32 d = splitter.reservePrincipalDigest(exitId, 33 ether);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.PrincipalExceeded.selector, 33 ether, 32 ether));
        splitter.reservePrincipal(exitId, 33 ether, _sigs(THREE, d));
    }

    function test_principalRecipientClaimsUnilaterally() public {
        vm.deal(address(splitter), 30 ether); // slashed exit: less than 32 ETH came back
        vm.prank(address(0xE11E));
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.NotPrincipalRecipient.selector, address(0xE11E)));
        splitter.claimPrincipal(0);
        vm.prank(STAKER);
        uint256 paid = splitter.claimPrincipal(0);
        assertEq(paid, 30 ether, "all of it is principal");
        assertEq(splitter.principalOutstanding(), 2 ether, "still owed");
        assertEq(splitter.unallocated(), 0, "nothing left as rewards");
    }

    function test_principalClaimDoesNotTouchCredits() public {
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1 ether, 1 ether, 1 ether, 1 ether);
        _settle(1, r, a, total, THREE);
        vm.prank(STAKER);
        splitter.claimPrincipal(0);
        assertEq(STAKER.balance, 6 ether, "only the unallocated 6 ETH");
        vm.prank(payouts[0]);
        splitter.withdraw();
        assertEq(payouts[0].balance, 1 ether, "credit intact");
    }

    function test_addPrincipal() public {
        bytes32 dep = keccak256("deposit-2");
        splitter.addPrincipal(dep, 32 ether, _sigs(THREE, splitter.addPrincipalDigest(dep, 32 ether)));
        assertEq(splitter.principalOutstanding(), 64 ether, "outstanding");
        bytes[] memory sigs = _sigs(THREE, splitter.addPrincipalDigest(dep, 32 ether));
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.DepositAlreadyAdded.selector, dep));
        splitter.addPrincipal(dep, 32 ether, sigs);
    }

    // ------------------------------------------------------------ membership

    function test_changeOperators() public {
        address[] memory s = new address[](3);
        address[] memory p = new address[](3);
        uint256[3] memory newKeys = [uint256(0xB0B0), 0xB0B1, 0xB0B2];
        for (uint256 i = 0; i < 3; ++i) {
            s[i] = vm.addr(newKeys[i]);
            p[i] = address(uint160(0xFB00 + i));
        }
        CohortSplitter.Operator[] memory ops = _ops(s, p);
        bytes32 d = splitter.changeOperatorsDigest(ops, 2, 0);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.InsufficientSignatures.selector, 2, 3));
        splitter.changeOperators(ops, 2, 0, _sigs(0x3, d));
        bytes[] memory sigs = _sigs(THREE, d);
        splitter.changeOperators(ops, 2, 0, sigs);
        assertEq(splitter.operatorCount(), 3, "count");
        assertEq(splitter.threshold(), 2, "threshold");
        assertEq(splitter.operatorsNonce(), 1, "nonce");
        assertTrue(!splitter.isOperator(signers[0]), "old removed");
        // replay of the same change
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.BadNonce.selector, 1, 0));
        splitter.changeOperators(ops, 2, 0, sigs);
        // the old operators can no longer settle
        (address[] memory r, uint256[] memory a, uint256 total) = _payoutSplit(1, 2, 3, 4);
        bytes32 sd = splitter.settlementDigest(1, r, a, total);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.NotOperator.selector, signers[0]));
        splitter.settle(1, r, a, total, _sigs(THREE, sd));
        // the new ones can (2 of 3)
        bytes[] memory ns = new bytes[](2);
        ns[0] = _sig(newKeys[0], sd);
        ns[1] = _sig(newKeys[2], sd);
        splitter.settle(1, r, a, total, ns);
        assertEq(splitter.totalCredits(), 10, "settled by new set");
    }

    function test_changeOperatorsRejectsSignaturesOfProposedMembers() public {
        address[] memory s = new address[](1);
        address[] memory p = new address[](1);
        s[0] = vm.addr(0xE711);
        p[0] = s[0];
        CohortSplitter.Operator[] memory ops = _ops(s, p);
        bytes32 d = splitter.changeOperatorsDigest(ops, 1, 0);
        bytes[] memory sigs = new bytes[](3);
        sigs[0] = _sig(0xE711, d);
        sigs[1] = _sig(keys[0], d);
        sigs[2] = _sig(keys[1], d);
        vm.expectRevert(abi.encodeWithSelector(CohortSplitter.NotOperator.selector, s[0]));
        splitter.changeOperators(ops, 1, 0, sigs);
    }
}
