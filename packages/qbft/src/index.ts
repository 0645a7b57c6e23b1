export {
  checkMessageLimits,
  type LimitCheckInput,
  type LimitCheckResult,
  type LimitReason,
  MAX_CONSENSUS_MSG_SIZE,
  maxJustifications,
  maxValues,
} from "./limits";
export {
  isJustifiedDecided,
  isJustifiedPrePrepare,
  isJustifiedRoundChange,
  type QbftProcess,
  runQbft,
} from "./qbft";
export {
  DutyTypeCode,
  dutyStartDelay,
  PROPOSER_FIRST_ROUND_NANOS,
  ROUND_INCREMENT_NANOS,
  type RoundDeadlineInput,
  roundDeadline,
  roundTimeout,
} from "./timers";
export { type Definition, faulty, type Msg, MsgType, quorum, type Timer, type Transport } from "./types";
