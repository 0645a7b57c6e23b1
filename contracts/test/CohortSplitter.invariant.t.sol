// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {CohortSplitter} from "../src/CohortSplitter.sol";
import {console} from "./utils/console.sol";

/// Drives the splitter with random funding, settlements (valid and not), withdrawals, pushes,
/// principal reservations/claims and operator rotations, keeping ghost totals.
contract SplitterHandler is Test {
    CohortSplitter public immutable s;
    address payable public immutable staker;
    uint256[] public pool; // all candidate operator keys
    uint256[] public current; // keys of the current operators, in operator order
    address[] public recipients;

    uint256 public ghostFunded;
    uint256 public ghostSettled;
    uint256 public ghostWithdrawn;
    uint256 public ghostPrincipalPaid;
    uint256 public ghostPrincipalAdded;
    uint256 public nextPeriod;
    uint256 public settlements;
    uint256 public withdrawals;
    uint256 public principalReservations;
    uint256 public rotations;

    constructor(CohortSplitter s_, address payable staker_, uint256[] memory pool_, uint256 n) {
        s = s_;
        staker = staker_;
        pool = pool_;
        for (uint256 i = 0; i < n; ++i) current.push(pool_[i]);
        for (uint256 i = 0; i < 6; ++i) recipients.push(address(uint160(0xFA00 + i)));
        ghostPrincipalAdded = s_.principalOutstanding();
    }

    function recipientCount() external view returns (uint256) {
        return recipients.length;
    }

    /// Half the time a full quorum (all current operators), otherwise the raw random subset.
    function _quorum(uint8 mask) internal view returns (uint256) {
        return mask & 0x80 == 0 ? (1 << current.length) - 1 : mask;
    }

    function _sigs(uint256 mask, bytes32 digest) internal view returns (bytes[] memory out) {
        mask = _quorum(uint8(mask));
        uint256 count;
        for (uint256 i = 0; i < current.length; ++i) if (mask & (1 << i) != 0) count++;
        out = new bytes[](count);
        uint256 j;
        for (uint256 i = 0; i < current.length; ++i) {
            if (mask & (1 << i) == 0) continue;
            (uint8 v, bytes32 r, bytes32 ss) = vm.sign(current[i], digest);
            out[j++] = abi.encodePacked(r, ss, v);
        }
    }

    function fund(uint256 amount) external {
        amount = bound(amount, 0, 100 ether);
        vm.deal(address(this), amount);
        (bool ok,) = address(s).call{value: amount}("");
        require(ok, "fund");
        ghostFunded += amount;
    }

    /// Consensus-layer withdrawal sweep / priority fees: balance grows without calling receive().
    function sweep(uint256 amount) external {
        amount = bound(amount, 0, 40 ether);
        vm.deal(address(s), address(s).balance + amount);
        ghostFunded += amount;
    }

    function settle(uint256 seed, uint8 mask) external {
        (address[] memory r, uint256[] memory a, uint256 total) = _allocation(seed, seed % 8 == 0);
        uint256 period = seed % 8 == 1 && nextPeriod > 0 ? nextPeriod - 1 : nextPeriod; // replay attempt
        _trySettle(period, r, a, total, mask);
    }

    function _trySettle(uint256 period, address[] memory r, uint256[] memory a, uint256 total, uint8 mask) internal {
        bytes[] memory sigs = _sigs(mask, s.settlementDigest(period, r, a, total));
        try s.settle(period, r, a, total, sigs) {
            ghostSettled += total;
            settlements++;
            nextPeriod = period + 1;
        } catch {}
    }

    function _allocation(uint256 seed, bool overspend)
        internal
        view
        returns (address[] memory r, uint256[] memory a, uint256 total)
    {
        uint256 n = 1 + (seed % recipients.length);
        r = new address[](n);
        a = new uint256[](n);
        uint256 free = s.unallocated();
        uint256 share = free / n;
        for (uint256 i = 0; i < n; ++i) {
            r[i] = recipients[(seed >> (8 * i)) % recipients.length];
            a[i] = share == 0 ? 0 : uint256(keccak256(abi.encode(seed, i))) % (share + 1);
            total += a[i];
        }
        if (overspend) {
            a[0] += free - total + 1; // one wei more than is unallocated
            total = free + 1;
        }
    }

    function withdraw(uint256 idx) external {
        address who = recipients[idx % recipients.length];
        uint256 c = s.credits(who);
        uint256 before = who.balance;
        vm.prank(who);
        try s.withdraw() returns (uint256 paid) {
            require(paid == c && who.balance - before == c, "withdraw paid exactly the credit");
            ghostWithdrawn += paid;
            withdrawals++;
        } catch {
            require(c == 0, "withdraw failed with credit");
        }
    }

    function push(uint256 idx) external {
        address who = recipients[idx % recipients.length];
        try s.push(who) returns (uint256 paid) {
            ghostWithdrawn += paid;
        } catch {}
    }

    function reservePrincipal(uint256 amount, uint8 mask, bytes32 exitId) external {
        uint256 free = s.unallocated();
        uint256 cap = free < s.principalOutstanding() ? free : s.principalOutstanding();
        amount = amount % 4 == 0 ? bound(amount, 0, 64 ether) : bound(amount, 0, cap);
        try s.reservePrincipal(exitId, amount, _sigs(mask, s.reservePrincipalDigest(exitId, amount))) {
            principalReservations++;
        } catch {}
    }

    function claimPrincipal(uint256 amount) external {
        amount = bound(amount, 0, 40 ether);
        vm.prank(staker);
        try s.claimPrincipal(amount) returns (uint256 paid) {
            ghostPrincipalPaid += paid;
        } catch {}
    }

    function releasePrincipal() external {
        try s.releasePrincipal() returns (uint256 paid) {
            ghostPrincipalPaid += paid;
        } catch {}
    }

    function addPrincipal(uint256 amount, uint8 mask, bytes32 depositId) external {
        amount = bound(amount, 0, 32 ether);
        try s.addPrincipal(depositId, amount, _sigs(mask, s.addPrincipalDigest(depositId, amount))) {
            ghostPrincipalAdded += amount;
        } catch {}
    }

    /// Rotate to a random subset (size 1..pool) of the key pool with a random majority threshold.
    function changeOperators(uint256 seed, uint8 mask) external {
        uint256[] memory next = new uint256[](pool.length);
        uint256 n;
        for (uint256 i = 0; i < pool.length; ++i) if ((seed >> i) & 1 == 1) next[n++] = pool[i];
        if (n == 0) next[n++] = pool[seed % pool.length];
        CohortSplitter.Operator[] memory ops = new CohortSplitter.Operator[](n);
        for (uint256 i = 0; i < n; ++i) ops[i] = CohortSplitter.Operator(vm.addr(next[i]), vm.addr(next[i]));
        uint256 t = n / 2 + 1 + ((seed >> 16) % (n - n / 2));
        uint256 nonce = s.operatorsNonce();
        try s.changeOperators(ops, t, nonce, _sigs(mask, s.changeOperatorsDigest(ops, t, nonce))) {
            rotations++;
            delete current;
            for (uint256 i = 0; i < n; ++i) current.push(next[i]);
        } catch {}
    }

    receive() external payable {}
}

contract CohortSplitterInvariantTest is Test {
    CohortSplitter internal s;
    SplitterHandler internal h;
    address payable internal constant STAKER = payable(address(0x5742E5));

    function setUp() public {
        uint256[] memory pool = new uint256[](6);
        CohortSplitter.Operator[] memory ops = new CohortSplitter.Operator[](4);
        for (uint256 i = 0; i < 6; ++i) pool[i] = 0xA11CE + i;
        for (uint256 i = 0; i < 4; ++i) ops[i] = CohortSplitter.Operator(vm.addr(pool[i]), address(uint160(0xFA00 + i)));
        s = new CohortSplitter(ops, 3, STAKER, 32 ether);
        h = new SplitterHandler(s, STAKER, pool, 4);
        targetContract(address(h));
    }

    /// Shows (with -vv) that the campaign reached the interesting states, not only reverts.
    function afterInvariant() public view {
        console.log("settlements", h.settlements());
        console.log("withdrawals", h.withdrawals());
        console.log("principal reservations", h.principalReservations());
        console.log("operator rotations", h.rotations());
        console.log("principal paid (wei)", h.ghostPrincipalPaid());
    }

    function invariant_solvent() public view {
        assertGe(address(s).balance, s.totalCredits() + s.reservedPrincipal(), "balance >= credits + reserved principal");
    }

    function invariant_creditsSumToTotal() public view {
        uint256 sum;
        for (uint256 i = 0; i < h.recipientCount(); ++i) sum += s.credits(h.recipients(i));
        assertEq(sum, s.totalCredits(), "sum of credits == totalCredits");
        assertEq(h.ghostSettled(), s.totalCredits() + h.ghostWithdrawn(), "settled == outstanding + withdrawn");
    }

    function invariant_principalConserved() public view {
        assertEq(
            s.principalOutstanding() + s.reservedPrincipal() + h.ghostPrincipalPaid(),
            h.ghostPrincipalAdded(),
            "principal owed + reserved + paid == principal declared"
        );
        assertEq(STAKER.balance, h.ghostPrincipalPaid(), "staker paid");
    }

    function invariant_ethConserved() public view {
        assertEq(
            address(s).balance + h.ghostWithdrawn() + h.ghostPrincipalPaid(), h.ghostFunded(), "no ETH created or lost"
        );
    }
}
