// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title CohortSplitter
/// @notice Fee recipient and withdrawal address of one Cohort cluster. ETH that arrives is
/// *unallocated* until the cluster's operators decide, with at least `threshold` EIP-712
/// signatures of distinct current operators, what it is:
///   - rewards of a settlement period (`settle`): credited to recipients, who pull them;
///   - returned stake (`reservePrincipal`): earmarked for the immutable `principalRecipient`.
/// The contract never guesses principal from a balance (no "≥ 16 ETH means principal" rule).
/// The principal recipient may also claim unallocated ETH as principal by itself, up to the
/// principal still owed (`principalOutstanding`), so colluding operators can only take returned
/// stake by signing it away before the principal recipient claims it. See docs/splitter.md.
///
/// Accounting invariant: address(this).balance >= totalCredits + reservedPrincipal.
contract CohortSplitter is EIP712, ReentrancyGuardTransient {
    struct Operator {
        address signer; // key that signs settlements (EIP-712)
        address payout; // where the portal sends this operator's share (informational on-chain)
    }

    bytes32 public constant SETTLEMENT_TYPEHASH =
        keccak256("Settlement(uint256 periodId,address[] recipients,uint256[] amounts,uint256 total)");
    bytes32 public constant OPERATOR_TYPEHASH = keccak256("Operator(address signer,address payout)");
    bytes32 public constant CHANGE_OPERATORS_TYPEHASH = keccak256(
        "ChangeOperators(Operator[] operators,uint256 threshold,uint256 nonce)Operator(address signer,address payout)"
    );
    bytes32 public constant RESERVE_PRINCIPAL_TYPEHASH = keccak256("ReservePrincipal(bytes32 exitId,uint256 amount)");
    bytes32 public constant ADD_PRINCIPAL_TYPEHASH = keccak256("AddPrincipal(bytes32 depositId,uint256 amount)");

    uint256 public constant MAX_OPERATORS = 64;
    uint256 public constant MAX_RECIPIENTS = 256;

    /// @notice Receives returned stake. Immutable: operators cannot redirect principal.
    address payable public immutable principalRecipient;

    Operator[] private _operators;
    mapping(address signer => uint256 indexPlusOne) private _operatorIndex;
    uint256 public threshold;
    /// @notice Next valid nonce for `changeOperators` (incremented on every change).
    uint256 public operatorsNonce;

    mapping(address account => uint256) public credits;
    uint256 public totalCredits;
    /// @notice Principal earmarked for `principalRecipient`, not yet paid out.
    uint256 public reservedPrincipal;
    /// @notice Principal still owed to `principalRecipient` (caps every principal reservation).
    uint256 public principalOutstanding;

    mapping(uint256 periodId => bool) public periodSettled;
    mapping(bytes32 exitId => bool) public exitReserved;
    mapping(bytes32 depositId => bool) public depositAdded;

    event Received(address indexed from, uint256 amount);
    event Settled(uint256 indexed periodId, uint256 total, uint256 recipients, bytes32 digest);
    event Credited(uint256 indexed periodId, address indexed recipient, uint256 amount);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    event PushFailed(address indexed recipient, uint256 amount);
    event OperatorsChanged(uint256 indexed nonce, Operator[] operators, uint256 threshold);
    event PrincipalAdded(bytes32 indexed depositId, uint256 amount, uint256 outstanding);
    event PrincipalReserved(bytes32 indexed exitId, uint256 amount, uint256 outstanding, address indexed by);
    event PrincipalPaid(address indexed to, uint256 amount);

    error ZeroAddress();
    error InvalidRecipient(address recipient);
    error InvalidOperatorCount(uint256 count);
    error InvalidThreshold(uint256 threshold, uint256 operators);
    error DuplicateOperator(address signer);
    error EmptySettlement();
    error TooManyRecipients(uint256 count);
    error LengthMismatch(uint256 recipients, uint256 amounts);
    error TotalMismatch(uint256 sum, uint256 total);
    error InsufficientUnallocated(uint256 requested, uint256 available);
    error PeriodAlreadySettled(uint256 periodId);
    error InsufficientSignatures(uint256 provided, uint256 threshold);
    error InvalidSignature(uint256 index);
    error NotOperator(address signer);
    error DuplicateSigner(address signer);
    error BadNonce(uint256 expected, uint256 provided);
    error ExitAlreadyReserved(bytes32 exitId);
    error DepositAlreadyAdded(bytes32 depositId);
    error PrincipalExceeded(uint256 requested, uint256 outstanding);
    error NotPrincipalRecipient(address caller);
    error NothingToWithdraw(address account);
    error TransferFailed(address to, uint256 amount);

    constructor(
        Operator[] memory operators_,
        uint256 threshold_,
        address payable principalRecipient_,
        uint256 principal_
    ) EIP712("CohortSplitter", "1") {
        if (principalRecipient_ == address(0)) revert ZeroAddress();
        principalRecipient = principalRecipient_;
        principalOutstanding = principal_;
        _setOperators(operators_, threshold_);
        emit PrincipalAdded(bytes32(0), principal_, principal_);
    }

    receive() external payable {
        emit Received(msg.sender, msg.value);
    }

    // ---------------------------------------------------------------- views

    /// @notice ETH not yet decided: balance − outstanding credits − reserved principal.
    function unallocated() public view returns (uint256) {
        return address(this).balance - totalCredits - reservedPrincipal;
    }

    function operators() external view returns (Operator[] memory) {
        return _operators;
    }

    function operatorCount() external view returns (uint256) {
        return _operators.length;
    }

    function isOperator(address signer) external view returns (bool) {
        return _operatorIndex[signer] != 0;
    }

    function settlementDigest(
        uint256 periodId,
        address[] calldata recipients,
        uint256[] calldata amounts,
        uint256 total
    ) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    SETTLEMENT_TYPEHASH,
                    periodId,
                    keccak256(abi.encodePacked(recipients)), // address[] → 32-byte words, per EIP-712
                    keccak256(abi.encodePacked(amounts)),
                    total
                )
            )
        );
    }

    function changeOperatorsDigest(Operator[] calldata newOperators, uint256 newThreshold, uint256 nonce)
        public
        view
        returns (bytes32)
    {
        bytes32[] memory hashes = new bytes32[](newOperators.length);
        for (uint256 i = 0; i < newOperators.length; ++i) {
            hashes[i] = keccak256(abi.encode(OPERATOR_TYPEHASH, newOperators[i].signer, newOperators[i].payout));
        }
        return _hashTypedDataV4(
            keccak256(abi.encode(CHANGE_OPERATORS_TYPEHASH, keccak256(abi.encodePacked(hashes)), newThreshold, nonce))
        );
    }

    function reservePrincipalDigest(bytes32 exitId, uint256 amount) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RESERVE_PRINCIPAL_TYPEHASH, exitId, amount)));
    }

    function addPrincipalDigest(bytes32 depositId, uint256 amount) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ADD_PRINCIPAL_TYPEHASH, depositId, amount)));
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Applies the rewards of `periodId` once, when signed by ≥ threshold distinct operators.
    function settle(
        uint256 periodId,
        address[] calldata recipients,
        uint256[] calldata amounts,
        uint256 total,
        bytes[] calldata signatures
    ) external {
        _settle(periodId, recipients, amounts, total, signatures);
    }

    /// @notice `settle`, then pays every recipient its whole credit. A recipient that rejects the
    /// payment keeps its credit (event PushFailed) and the settlement still applies.
    function settleAndPush(
        uint256 periodId,
        address[] calldata recipients,
        uint256[] calldata amounts,
        uint256 total,
        bytes[] calldata signatures
    ) external nonReentrant {
        _settle(periodId, recipients, amounts, total, signatures);
        for (uint256 i = 0; i < recipients.length; ++i) {
            _tryPush(recipients[i]);
        }
    }

    function _settle(
        uint256 periodId,
        address[] calldata recipients,
        uint256[] calldata amounts,
        uint256 total,
        bytes[] calldata signatures
    ) private {
        uint256 n = recipients.length;
        if (n == 0) revert EmptySettlement();
        if (n > MAX_RECIPIENTS) revert TooManyRecipients(n);
        if (n != amounts.length) revert LengthMismatch(n, amounts.length);
        if (periodSettled[periodId]) revert PeriodAlreadySettled(periodId);

        uint256 sum = 0;
        for (uint256 i = 0; i < n; ++i) {
            address r = recipients[i];
            if (r == address(0) || r == address(this)) revert InvalidRecipient(r);
            sum += amounts[i];
        }
        if (sum != total) revert TotalMismatch(sum, total);
        uint256 available = unallocated();
        if (total > available) revert InsufficientUnallocated(total, available);

        bytes32 digest = settlementDigest(periodId, recipients, amounts, total);
        _checkSignatures(digest, signatures);

        periodSettled[periodId] = true;
        totalCredits += total;
        for (uint256 i = 0; i < n; ++i) {
            credits[recipients[i]] += amounts[i];
            emit Credited(periodId, recipients[i], amounts[i]);
        }
        emit Settled(periodId, total, n, digest);
    }

    // ---------------------------------------------------------------- payouts (pull)

    /// @notice Pays the caller its whole credit.
    function withdraw() external nonReentrant returns (uint256 amount) {
        return _withdraw(msg.sender, payable(msg.sender));
    }

    /// @notice Pays the caller's whole credit to `to`.
    function withdrawTo(address payable to) external nonReentrant returns (uint256 amount) {
        if (to == address(0) || to == address(this)) revert InvalidRecipient(to);
        return _withdraw(msg.sender, to);
    }

    /// @notice Anyone may pay `recipient` its whole credit (to `recipient` only). Reverts if it rejects.
    function push(address recipient) external nonReentrant returns (uint256 amount) {
        return _withdraw(recipient, payable(recipient));
    }

    function _withdraw(address account, address payable to) private returns (uint256 amount) {
        amount = credits[account];
        if (amount == 0) revert NothingToWithdraw(account);
        credits[account] = 0;
        totalCredits -= amount;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
        emit Withdrawn(account, to, amount);
    }

    function _tryPush(address recipient) private {
        uint256 amount = credits[recipient];
        if (amount == 0) return; // duplicate recipient already paid
        credits[recipient] = 0;
        totalCredits -= amount;
        (bool ok,) = payable(recipient).call{value: amount}("");
        if (ok) {
            emit Withdrawn(recipient, recipient, amount);
        } else {
            credits[recipient] = amount;
            totalCredits += amount;
            emit PushFailed(recipient, amount);
        }
    }

    // ---------------------------------------------------------------- principal

    /// @notice Operators declare `amount` of the unallocated ETH to be returned stake of exit `exitId`
    /// (e.g. keccak256 of the exited validators' pubkeys); it is earmarked for the principal recipient.
    function reservePrincipal(bytes32 exitId, uint256 amount, bytes[] calldata signatures) external {
        if (exitReserved[exitId]) revert ExitAlreadyReserved(exitId);
        _checkSignatures(reservePrincipalDigest(exitId, amount), signatures);
        exitReserved[exitId] = true;
        _reservePrincipal(exitId, amount);
    }

    /// @notice The principal recipient takes unallocated ETH as principal without any operator,
    /// up to `principalOutstanding`, and is paid at once. `amount == 0` means "as much as possible".
    function claimPrincipal(uint256 amount) external nonReentrant returns (uint256) {
        if (msg.sender != principalRecipient) revert NotPrincipalRecipient(msg.sender);
        if (amount == 0) {
            uint256 available = unallocated();
            amount = available < principalOutstanding ? available : principalOutstanding;
        }
        _reservePrincipal(bytes32(0), amount);
        return _releasePrincipal();
    }

    /// @notice Anyone may pay the reserved principal to the principal recipient.
    function releasePrincipal() external nonReentrant returns (uint256) {
        return _releasePrincipal();
    }

    /// @notice Operators raise the principal owed (a new deposit `depositId`). Lowering is impossible.
    function addPrincipal(bytes32 depositId, uint256 amount, bytes[] calldata signatures) external {
        if (depositAdded[depositId]) revert DepositAlreadyAdded(depositId);
        _checkSignatures(addPrincipalDigest(depositId, amount), signatures);
        depositAdded[depositId] = true;
        principalOutstanding += amount;
        emit PrincipalAdded(depositId, amount, principalOutstanding);
    }

    function _reservePrincipal(bytes32 exitId, uint256 amount) private {
        if (amount > principalOutstanding) revert PrincipalExceeded(amount, principalOutstanding);
        uint256 available = unallocated();
        if (amount > available) revert InsufficientUnallocated(amount, available);
        principalOutstanding -= amount;
        reservedPrincipal += amount;
        emit PrincipalReserved(exitId, amount, principalOutstanding, msg.sender);
    }

    function _releasePrincipal() private returns (uint256 amount) {
        amount = reservedPrincipal;
        if (amount == 0) revert NothingToWithdraw(principalRecipient);
        reservedPrincipal = 0;
        (bool ok,) = principalRecipient.call{value: amount}("");
        if (!ok) revert TransferFailed(principalRecipient, amount);
        emit PrincipalPaid(principalRecipient, amount);
    }

    // ---------------------------------------------------------------- membership

    /// @notice Replaces the operator set; signed by ≥ threshold distinct CURRENT operators over
    /// the current `operatorsNonce`.
    function changeOperators(
        Operator[] calldata newOperators,
        uint256 newThreshold,
        uint256 nonce,
        bytes[] calldata signatures
    ) external {
        if (nonce != operatorsNonce) revert BadNonce(operatorsNonce, nonce);
        _checkSignatures(changeOperatorsDigest(newOperators, newThreshold, nonce), signatures);
        for (uint256 i = 0; i < _operators.length; ++i) {
            delete _operatorIndex[_operators[i].signer];
        }
        delete _operators;
        operatorsNonce = nonce + 1;
        _setOperators(newOperators, newThreshold);
    }

    function _setOperators(Operator[] memory ops, uint256 t) private {
        uint256 n = ops.length;
        if (n == 0 || n > MAX_OPERATORS) revert InvalidOperatorCount(n);
        // A majority quorum: two disjoint groups can never both reach the threshold.
        if (t == 0 || t > n || 2 * t <= n) revert InvalidThreshold(t, n);
        for (uint256 i = 0; i < n; ++i) {
            Operator memory op = ops[i];
            if (op.signer == address(0) || op.payout == address(0)) revert ZeroAddress();
            if (_operatorIndex[op.signer] != 0) revert DuplicateOperator(op.signer);
            _operatorIndex[op.signer] = i + 1;
            _operators.push(op);
        }
        threshold = t;
        emit OperatorsChanged(operatorsNonce, ops, t);
    }

    /// @dev Every signature must be a valid, low-s 65-byte ECDSA signature of a distinct current
    /// operator over `digest`; at least `threshold` of them.
    function _checkSignatures(bytes32 digest, bytes[] calldata signatures) private view {
        uint256 t = threshold;
        if (signatures.length < t) revert InsufficientSignatures(signatures.length, t);
        uint256 seen = 0;
        for (uint256 i = 0; i < signatures.length; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            uint256 idx = _operatorIndex[signer];
            if (idx == 0) revert NotOperator(signer);
            uint256 bit = 1 << (idx - 1);
            if (seen & bit != 0) revert DuplicateSigner(signer);
            seen |= bit;
        }
    }
}
