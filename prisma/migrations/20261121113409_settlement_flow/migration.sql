/*
  Warnings:

  - `SettlementApproval.signer` is NOT NULL without a default: no approvals existed before this flow.

*/
-- AlterTable
ALTER TABLE "SettlementApproval" ADD COLUMN     "signer" TEXT NOT NULL;

-- AlterTable
ALTER TABLE "SettlementPeriod" ADD COLUMN     "allocatedWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
ADD COLUMN     "error" TEXT,
ADD COLUMN     "inputs" JSONB,
ADD COLUMN     "splitterAddress" TEXT;
