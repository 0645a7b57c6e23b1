/*
  Warnings:

  - Added the required column `seq` to the `AgentReport` table without a default value. This is not possible if the table is not empty.
  - Added the required column `clusterId` to the `MessageReceipt` table without a default value. This is not possible if the table is not empty.
  - Added the required column `dutyType` to the `MessageReceipt` table without a default value. This is not possible if the table is not empty.
  - Added the required column `messageHash` to the `MessageReceipt` table without a default value. This is not possible if the table is not empty.
  - Added the required column `senderId` to the `MessageReceipt` table without a default value. This is not possible if the table is not empty.
  - Added the required column `slot` to the `MessageReceipt` table without a default value. This is not possible if the table is not empty.
  - A unique constraint covering the columns `[memberId, seq]` on the table `AgentReport` will be added. If there are existing duplicate values, this will fail.
  - A unique constraint covering the columns `[messageHash, receiverId]` on the table `MessageReceipt` will be added. If there are existing duplicate values, this will fail.

*/
-- DropIndex
DROP INDEX "MessageReceipt_messageId_receiverId_key";

-- AlterTable
ALTER TABLE "AgentReport" ADD COLUMN     "payload" BYTEA,
ADD COLUMN     "seq" INTEGER NOT NULL;

-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "genesisTime" INTEGER,
ADD COLUMN     "secondsPerSlot" INTEGER,
ADD COLUMN     "slotsPerEpoch" INTEGER;

-- AlterTable
ALTER TABLE "MessageReceipt" ADD COLUMN     "clusterId" UUID NOT NULL,
ADD COLUMN     "dutyType" "DutyType" NOT NULL,
ADD COLUMN     "messageHash" BYTEA NOT NULL,
ADD COLUMN     "senderId" UUID NOT NULL,
ADD COLUMN     "slot" INTEGER NOT NULL,
ALTER COLUMN "messageId" DROP NOT NULL;

-- CreateTable
CREATE TABLE "MemberEpochRoot" (
    "memberId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "sentRoot" BYTEA NOT NULL,
    "receiptsRoot" BYTEA NOT NULL,
    "sentCount" INTEGER NOT NULL,
    "receiptCount" INTEGER NOT NULL,
    "signature" BYTEA NOT NULL,
    "reportId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MemberEpochRoot_pkey" PRIMARY KEY ("memberId","epoch")
);

-- CreateIndex
CREATE INDEX "MemberEpochRoot_clusterId_epoch_idx" ON "MemberEpochRoot"("clusterId", "epoch");

-- CreateIndex
CREATE INDEX "AgentReport_status_receivedAt_idx" ON "AgentReport"("status", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "AgentReport_memberId_seq_key" ON "AgentReport"("memberId", "seq");

-- CreateIndex
CREATE INDEX "MessageReceipt_clusterId_slot_idx" ON "MessageReceipt"("clusterId", "slot");

-- CreateIndex
CREATE UNIQUE INDEX "MessageReceipt_messageHash_receiverId_key" ON "MessageReceipt"("messageHash", "receiverId");

-- AddForeignKey
ALTER TABLE "MemberEpochRoot" ADD CONSTRAINT "MemberEpochRoot_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;
