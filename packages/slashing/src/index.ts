export { type BytesInput, U64_MAX, type U64Input } from "./codec.ts";
export {
  type AttestationSigningRequest,
  type BlockSigningRequest,
  type CheckResult,
  type ImportSummary,
  SlashingProtectionDb,
  type SlashingProtectionDbOptions,
  type Strategy,
  type ValidatorWatermarks,
} from "./db.ts";
export { SLASHABLE_CODES, SlashingProtectionError, type SlashingProtectionErrorCode } from "./errors.ts";
export {
  type Interchange,
  type InterchangeRecord,
  interchangeSchema,
  parseInterchange,
} from "./interchange.ts";
