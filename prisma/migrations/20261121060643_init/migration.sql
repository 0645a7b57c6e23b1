-- CreateEnum
CREATE TYPE "AccessRole" AS ENUM ('AUDITOR', 'VIEWER');

-- CreateEnum
CREATE TYPE "ClusterStatus" AS ENUM ('PENDING', 'ACTIVE', 'ARCHIVED');

-- CreateEnum
CREATE TYPE "MemberRole" AS ENUM ('CREATOR', 'OPERATOR');

-- CreateEnum
CREATE TYPE "MemberStatus" AS ENUM ('INVITED', 'ACTIVE', 'REMOVED');

-- CreateEnum
CREATE TYPE "DutyType" AS ENUM ('ATTESTER', 'PROPOSER', 'RANDAO', 'AGGREGATOR', 'PREPARE_AGGREGATOR', 'SYNC_MESSAGE', 'PREPARE_SYNC_CONTRIBUTION', 'SYNC_CONTRIBUTION', 'BUILDER_REGISTRATION', 'VOLUNTARY_EXIT');

-- CreateEnum
CREATE TYPE "DutyOutcome" AS ENUM ('PENDING', 'AGGREGATED', 'SUBMITTED', 'INCLUDED', 'FAILED');

-- CreateEnum
CREATE TYPE "MissReason" AS ENUM ('NO_MESSAGE', 'LATE', 'INVALID_PARTIAL', 'CONFLICTING');

-- CreateEnum
CREATE TYPE "ReportStatus" AS ENUM ('QUEUED', 'ACCEPTED', 'REJECTED');

-- CreateEnum
CREATE TYPE "IncidentKind" AS ENUM ('MEMBER_OFFLINE', 'DUTY_FAILED', 'PEERS_DISCONNECTED', 'SLASHING_PROTECTION_REFUSAL', 'INVALID_PARTIALS', 'CONFLICTING_MESSAGES', 'MANUAL');

-- CreateEnum
CREATE TYPE "IncidentSeverity" AS ENUM ('CRITICAL', 'MAJOR', 'MINOR', 'INFO');

-- CreateEnum
CREATE TYPE "IncidentStatus" AS ENUM ('OPEN', 'ACKNOWLEDGED', 'RESOLVED');

-- CreateEnum
CREATE TYPE "TimelineKind" AS ENUM ('OPENED', 'MERGED', 'ACKNOWLEDGED', 'NOTE', 'ATTRIBUTED', 'SEVERITY_CHANGED', 'ESCALATED', 'NOTIFIED', 'RESOLVED', 'REOPENED');

-- CreateEnum
CREATE TYPE "OnCallLevel" AS ENUM ('PRIMARY', 'SECONDARY');

-- CreateEnum
CREATE TYPE "CoverStatus" AS ENUM ('OPEN', 'ACCEPTED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "ChannelKind" AS ENUM ('WEBHOOK', 'EMAIL', 'DISCORD');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('PENDING', 'SENT', 'FAILED');

-- CreateEnum
CREATE TYPE "SettlementStatus" AS ENUM ('DRAFT', 'DISPUTED', 'APPROVED', 'SUBMITTED', 'CONFIRMED', 'FAILED');

-- CreateEnum
CREATE TYPE "ExportFormat" AS ENUM ('EVIDENCE_BUNDLE', 'CSV');

-- CreateEnum
CREATE TYPE "ExportStatus" AS ENUM ('PENDING', 'READY', 'FAILED');

-- CreateTable
CREATE TABLE "Account" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "displayName" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3),

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuthNonce" (
    "id" UUID NOT NULL,
    "value" TEXT NOT NULL,
    "issuedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "AuthNonce_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "accountId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revokedAt" TIMESTAMPTZ(3),
    "lastUsedAt" TIMESTAMPTZ(3),
    "userAgent" TEXT,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "prefix" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "clusterId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "createdById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClusterAccessGrant" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "role" "AccessRole" NOT NULL,
    "grantedByAddress" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClusterAccessGrant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorKind" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "clusterId" UUID,
    "targetType" TEXT,
    "targetId" TEXT,
    "requestId" TEXT,
    "data" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Cluster" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "status" "ClusterStatus" NOT NULL DEFAULT 'PENDING',
    "configHash" TEXT NOT NULL,
    "definitionHash" TEXT,
    "lockHash" TEXT,
    "definition" JSONB,
    "lock" JSONB,
    "feeRecipient" TEXT,
    "withdrawalAddress" TEXT,
    "splitterAddress" TEXT,
    "splitterChainId" INTEGER,
    "receiptQuorum" INTEGER,
    "periodEpochs" INTEGER NOT NULL DEFAULT 225,
    "settlementPolicy" JSONB,
    "rosterVersion" INTEGER NOT NULL DEFAULT 0,
    "rosterHash" TEXT,
    "createdByAddress" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Cluster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Operator" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "nickname" TEXT,
    "contact" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Operator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClusterMember" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "operatorId" UUID NOT NULL,
    "shareIndex" INTEGER NOT NULL,
    "baseWeight" INTEGER NOT NULL DEFAULT 1,
    "role" "MemberRole" NOT NULL DEFAULT 'OPERATOR',
    "status" "MemberStatus" NOT NULL DEFAULT 'INVITED',
    "enr" TEXT,
    "identityPubkey" TEXT,
    "acceptedAt" TIMESTAMPTZ(3),
    "acceptSignature" TEXT,
    "payoutAddress" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClusterMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Validator" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "pubkey" TEXT NOT NULL,
    "publicShares" TEXT[],
    "index" INTEGER,
    "status" TEXT,
    "balanceGwei" BIGINT,
    "effectiveBalanceGwei" BIGINT,
    "activationEpoch" INTEGER,
    "exitEpoch" INTEGER,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Validator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ValidatorEpochReward" (
    "validatorId" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "attestationGwei" BIGINT NOT NULL DEFAULT 0,
    "proposerGwei" BIGINT NOT NULL DEFAULT 0,
    "syncGwei" BIGINT NOT NULL DEFAULT 0,
    "idealGwei" BIGINT NOT NULL DEFAULT 0,
    "balanceGwei" BIGINT,

    CONSTRAINT "ValidatorEpochReward_pkey" PRIMARY KEY ("validatorId","epoch")
);

-- CreateTable
CREATE TABLE "Duty" (
    "id" BIGSERIAL NOT NULL,
    "clusterId" UUID NOT NULL,
    "validatorId" UUID NOT NULL,
    "slot" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "type" "DutyType" NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "deadlineAt" TIMESTAMPTZ(3) NOT NULL,
    "outcome" "DutyOutcome" NOT NULL DEFAULT 'PENDING',
    "failureReason" TEXT,
    "signingRoot" BYTEA,
    "aggregatedAt" TIMESTAMPTZ(3),
    "submittedAt" TIMESTAMPTZ(3),
    "includedAt" TIMESTAMPTZ(3),
    "includedSlot" INTEGER,
    "valueGwei" BIGINT,

    CONSTRAINT "Duty_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Participation" (
    "id" BIGSERIAL NOT NULL,
    "dutyId" BIGINT NOT NULL,
    "memberId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "slot" INTEGER NOT NULL,
    "contributed" BOOLEAN NOT NULL,
    "missReason" "MissReason",
    "messageId" BIGINT,
    "partialSignature" BYTEA,
    "receivedAt" TIMESTAMPTZ(3),
    "onTimeReceipts" INTEGER NOT NULL DEFAULT 0,
    "reportedById" UUID,
    "reconciledAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Participation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MemberEpochParticipation" (
    "memberId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "expected" INTEGER NOT NULL,
    "contributed" INTEGER NOT NULL,

    CONSTRAINT "MemberEpochParticipation_pkey" PRIMARY KEY ("memberId","epoch")
);

-- CreateTable
CREATE TABLE "MemberDayParticipation" (
    "memberId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "expected" INTEGER NOT NULL,
    "contributed" INTEGER NOT NULL,

    CONSTRAINT "MemberDayParticipation_pkey" PRIMARY KEY ("memberId","day")
);

-- CreateTable
CREATE TABLE "AgentReport" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "apiKeyId" UUID,
    "batchHash" BYTEA NOT NULL,
    "signature" BYTEA NOT NULL,
    "status" "ReportStatus" NOT NULL DEFAULT 'QUEUED',
    "errorCode" TEXT,
    "errorDetail" TEXT,
    "counts" JSONB,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processedAt" TIMESTAMPTZ(3),

    CONSTRAINT "AgentReport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SignedPartialMessage" (
    "id" BIGSERIAL NOT NULL,
    "clusterId" UUID NOT NULL,
    "senderId" UUID NOT NULL,
    "slot" INTEGER NOT NULL,
    "dutyType" "DutyType" NOT NULL,
    "messageHash" BYTEA NOT NULL,
    "sentAt" TIMESTAMPTZ(3) NOT NULL,
    "identitySignature" BYTEA NOT NULL,
    "payload" BYTEA NOT NULL,
    "partialCount" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignedPartialMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MessageReceipt" (
    "id" BIGSERIAL NOT NULL,
    "messageId" BIGINT NOT NULL,
    "receiverId" UUID NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,
    "reportId" UUID,

    CONSTRAINT "MessageReceipt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Heartbeat" (
    "id" BIGSERIAL NOT NULL,
    "clusterId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "version" TEXT,
    "peersConnected" INTEGER,
    "clockOffsetMs" INTEGER,
    "beaconStatus" TEXT,
    "readyReason" TEXT,

    CONSTRAINT "Heartbeat_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UptimeHour" (
    "memberId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "secondsUp" INTEGER NOT NULL,
    "heartbeats" INTEGER NOT NULL,

    CONSTRAINT "UptimeHour_pkey" PRIMARY KEY ("memberId","hour")
);

-- CreateTable
CREATE TABLE "Incident" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "kind" "IncidentKind" NOT NULL,
    "severity" "IncidentSeverity" NOT NULL,
    "status" "IncidentStatus" NOT NULL DEFAULT 'OPEN',
    "title" TEXT NOT NULL,
    "summary" TEXT,
    "dedupKey" TEXT,
    "automatic" BOOLEAN NOT NULL DEFAULT false,
    "openedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledgedAt" TIMESTAMPTZ(3),
    "acknowledgedBy" TEXT,
    "resolvedAt" TIMESTAMPTZ(3),
    "resolvedBy" TEXT,
    "escalatedAt" TIMESTAMPTZ(3),
    "fromSlot" INTEGER,
    "toSlot" INTEGER,
    "costGwei" BIGINT,
    "lastEventAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IncidentMember" (
    "incidentId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "reason" TEXT,
    "attributedBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IncidentMember_pkey" PRIMARY KEY ("incidentId","memberId")
);

-- CreateTable
CREATE TABLE "IncidentDuty" (
    "incidentId" UUID NOT NULL,
    "dutyId" BIGINT NOT NULL,

    CONSTRAINT "IncidentDuty_pkey" PRIMARY KEY ("incidentId","dutyId")
);

-- CreateTable
CREATE TABLE "IncidentTimelineEntry" (
    "id" BIGSERIAL NOT NULL,
    "incidentId" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" "TimelineKind" NOT NULL,
    "actorAddress" TEXT,
    "message" TEXT NOT NULL,
    "data" JSONB,

    CONSTRAINT "IncidentTimelineEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OnCallRotation" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "level" "OnCallLevel" NOT NULL DEFAULT 'PRIMARY',
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "shiftHours" INTEGER NOT NULL DEFAULT 168,
    "ackTimeoutMinutes" INTEGER NOT NULL DEFAULT 15,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OnCallRotation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OnCallRotationMember" (
    "rotationId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "OnCallRotationMember_pkey" PRIMARY KEY ("rotationId","memberId")
);

-- CreateTable
CREATE TABLE "CoverRequest" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "requesterId" UUID NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "reason" TEXT,
    "status" "CoverStatus" NOT NULL DEFAULT 'OPEN',
    "coveredById" UUID,
    "acceptedAt" TIMESTAMPTZ(3),
    "handoffNote" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CoverRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationChannel" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "kind" "ChannelKind" NOT NULL,
    "target" TEXT NOT NULL,
    "secret" TEXT,
    "events" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NotificationChannel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationDelivery" (
    "id" BIGSERIAL NOT NULL,
    "channelId" UUID NOT NULL,
    "incidentId" UUID,
    "event" TEXT NOT NULL,
    "recipient" TEXT,
    "payload" JSONB NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),

    CONSTRAINT "NotificationDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SettlementPeriod" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "startEpoch" INTEGER NOT NULL,
    "endEpoch" INTEGER NOT NULL,
    "status" "SettlementStatus" NOT NULL DEFAULT 'DRAFT',
    "rewardsWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "penaltiesWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "distributableWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "carriedInWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "carriedOutWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "policy" JSONB,
    "inputsHash" TEXT,
    "digest" TEXT,
    "chainId" INTEGER,
    "txHash" TEXT,
    "blockNumber" BIGINT,
    "confirmations" INTEGER NOT NULL DEFAULT 0,
    "submittedAt" TIMESTAMPTZ(3),
    "confirmedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SettlementPeriod_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Allocation" (
    "id" UUID NOT NULL,
    "periodId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "recipient" TEXT NOT NULL,
    "amountWei" DECIMAL(78,0) NOT NULL,
    "baseWeight" INTEGER NOT NULL,
    "expectedDuties" INTEGER NOT NULL,
    "contributedDuties" INTEGER NOT NULL,
    "penaltyWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "carriedWei" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "explanation" JSONB,

    CONSTRAINT "Allocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SettlementApproval" (
    "id" UUID NOT NULL,
    "periodId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "signature" TEXT NOT NULL,
    "signedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SettlementApproval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SettlementDispute" (
    "id" UUID NOT NULL,
    "periodId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "note" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMPTZ(3),

    CONSTRAINT "SettlementDispute_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditExport" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "format" "ExportFormat" NOT NULL,
    "fromSlot" INTEGER NOT NULL,
    "toSlot" INTEGER NOT NULL,
    "status" "ExportStatus" NOT NULL DEFAULT 'PENDING',
    "sha256" TEXT,
    "sizeBytes" INTEGER,
    "path" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMPTZ(3),

    CONSTRAINT "AuditExport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Account_address_key" ON "Account"("address");

-- CreateIndex
CREATE UNIQUE INDEX "AuthNonce_value_key" ON "AuthNonce"("value");

-- CreateIndex
CREATE INDEX "AuthNonce_expiresAt_idx" ON "AuthNonce"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Session_tokenHash_key" ON "Session"("tokenHash");

-- CreateIndex
CREATE INDEX "Session_accountId_idx" ON "Session"("accountId");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_prefix_key" ON "ApiKey"("prefix");

-- CreateIndex
CREATE INDEX "ApiKey_memberId_idx" ON "ApiKey"("memberId");

-- CreateIndex
CREATE INDEX "ClusterAccessGrant_address_idx" ON "ClusterAccessGrant"("address");

-- CreateIndex
CREATE UNIQUE INDEX "ClusterAccessGrant_clusterId_address_key" ON "ClusterAccessGrant"("clusterId", "address");

-- CreateIndex
CREATE INDEX "AuditEvent_clusterId_at_idx" ON "AuditEvent"("clusterId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_lockHash_key" ON "Cluster"("lockHash");

-- CreateIndex
CREATE INDEX "Cluster_status_idx" ON "Cluster"("status");

-- CreateIndex
CREATE UNIQUE INDEX "Operator_address_key" ON "Operator"("address");

-- CreateIndex
CREATE INDEX "ClusterMember_operatorId_idx" ON "ClusterMember"("operatorId");

-- CreateIndex
CREATE UNIQUE INDEX "ClusterMember_clusterId_operatorId_key" ON "ClusterMember"("clusterId", "operatorId");

-- CreateIndex
CREATE UNIQUE INDEX "ClusterMember_clusterId_shareIndex_key" ON "ClusterMember"("clusterId", "shareIndex");

-- CreateIndex
CREATE UNIQUE INDEX "Validator_pubkey_key" ON "Validator"("pubkey");

-- CreateIndex
CREATE INDEX "Validator_clusterId_idx" ON "Validator"("clusterId");

-- CreateIndex
CREATE INDEX "ValidatorEpochReward_epoch_idx" ON "ValidatorEpochReward"("epoch");

-- CreateIndex
CREATE INDEX "Duty_clusterId_slot_idx" ON "Duty"("clusterId", "slot");

-- CreateIndex
CREATE INDEX "Duty_clusterId_outcome_slot_idx" ON "Duty"("clusterId", "outcome", "slot");

-- CreateIndex
CREATE UNIQUE INDEX "Duty_validatorId_slot_type_key" ON "Duty"("validatorId", "slot", "type");

-- CreateIndex
CREATE INDEX "Participation_clusterId_slot_idx" ON "Participation"("clusterId", "slot");

-- CreateIndex
CREATE INDEX "Participation_memberId_slot_idx" ON "Participation"("memberId", "slot");

-- CreateIndex
CREATE UNIQUE INDEX "Participation_dutyId_memberId_key" ON "Participation"("dutyId", "memberId");

-- CreateIndex
CREATE INDEX "MemberEpochParticipation_clusterId_epoch_idx" ON "MemberEpochParticipation"("clusterId", "epoch");

-- CreateIndex
CREATE INDEX "MemberDayParticipation_clusterId_day_idx" ON "MemberDayParticipation"("clusterId", "day");

-- CreateIndex
CREATE UNIQUE INDEX "AgentReport_batchHash_key" ON "AgentReport"("batchHash");

-- CreateIndex
CREATE INDEX "AgentReport_clusterId_receivedAt_idx" ON "AgentReport"("clusterId", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "SignedPartialMessage_messageHash_key" ON "SignedPartialMessage"("messageHash");

-- CreateIndex
CREATE INDEX "SignedPartialMessage_clusterId_slot_dutyType_idx" ON "SignedPartialMessage"("clusterId", "slot", "dutyType");

-- CreateIndex
CREATE INDEX "SignedPartialMessage_senderId_slot_idx" ON "SignedPartialMessage"("senderId", "slot");

-- CreateIndex
CREATE UNIQUE INDEX "MessageReceipt_messageId_receiverId_key" ON "MessageReceipt"("messageId", "receiverId");

-- CreateIndex
CREATE INDEX "Heartbeat_memberId_at_idx" ON "Heartbeat"("memberId", "at");

-- CreateIndex
CREATE INDEX "Heartbeat_clusterId_at_idx" ON "Heartbeat"("clusterId", "at");

-- CreateIndex
CREATE INDEX "UptimeHour_clusterId_hour_idx" ON "UptimeHour"("clusterId", "hour");

-- CreateIndex
CREATE INDEX "Incident_clusterId_status_openedAt_idx" ON "Incident"("clusterId", "status", "openedAt");

-- CreateIndex
CREATE INDEX "Incident_clusterId_dedupKey_idx" ON "Incident"("clusterId", "dedupKey");

-- CreateIndex
CREATE UNIQUE INDEX "Incident_clusterId_number_key" ON "Incident"("clusterId", "number");

-- CreateIndex
CREATE INDEX "IncidentMember_memberId_idx" ON "IncidentMember"("memberId");

-- CreateIndex
CREATE INDEX "IncidentDuty_dutyId_idx" ON "IncidentDuty"("dutyId");

-- CreateIndex
CREATE INDEX "IncidentTimelineEntry_incidentId_at_idx" ON "IncidentTimelineEntry"("incidentId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "OnCallRotation_clusterId_name_key" ON "OnCallRotation"("clusterId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "OnCallRotationMember_rotationId_position_key" ON "OnCallRotationMember"("rotationId", "position");

-- CreateIndex
CREATE INDEX "CoverRequest_clusterId_startsAt_idx" ON "CoverRequest"("clusterId", "startsAt");

-- CreateIndex
CREATE INDEX "NotificationChannel_clusterId_idx" ON "NotificationChannel"("clusterId");

-- CreateIndex
CREATE INDEX "NotificationDelivery_channelId_createdAt_idx" ON "NotificationDelivery"("channelId", "createdAt");

-- CreateIndex
CREATE INDEX "SettlementPeriod_clusterId_status_idx" ON "SettlementPeriod"("clusterId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "SettlementPeriod_clusterId_index_key" ON "SettlementPeriod"("clusterId", "index");

-- CreateIndex
CREATE INDEX "Allocation_memberId_idx" ON "Allocation"("memberId");

-- CreateIndex
CREATE UNIQUE INDEX "Allocation_periodId_memberId_key" ON "Allocation"("periodId", "memberId");

-- CreateIndex
CREATE UNIQUE INDEX "SettlementApproval_periodId_memberId_key" ON "SettlementApproval"("periodId", "memberId");

-- CreateIndex
CREATE INDEX "SettlementDispute_periodId_idx" ON "SettlementDispute"("periodId");

-- CreateIndex
CREATE INDEX "AuditExport_clusterId_createdAt_idx" ON "AuditExport"("clusterId", "createdAt");

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "Account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClusterAccessGrant" ADD CONSTRAINT "ClusterAccessGrant_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClusterMember" ADD CONSTRAINT "ClusterMember_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClusterMember" ADD CONSTRAINT "ClusterMember_operatorId_fkey" FOREIGN KEY ("operatorId") REFERENCES "Operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Validator" ADD CONSTRAINT "Validator_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ValidatorEpochReward" ADD CONSTRAINT "ValidatorEpochReward_validatorId_fkey" FOREIGN KEY ("validatorId") REFERENCES "Validator"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Duty" ADD CONSTRAINT "Duty_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Duty" ADD CONSTRAINT "Duty_validatorId_fkey" FOREIGN KEY ("validatorId") REFERENCES "Validator"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Participation" ADD CONSTRAINT "Participation_dutyId_fkey" FOREIGN KEY ("dutyId") REFERENCES "Duty"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Participation" ADD CONSTRAINT "Participation_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Participation" ADD CONSTRAINT "Participation_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Participation" ADD CONSTRAINT "Participation_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "SignedPartialMessage"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MemberEpochParticipation" ADD CONSTRAINT "MemberEpochParticipation_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MemberDayParticipation" ADD CONSTRAINT "MemberDayParticipation_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentReport" ADD CONSTRAINT "AgentReport_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentReport" ADD CONSTRAINT "AgentReport_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentReport" ADD CONSTRAINT "AgentReport_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SignedPartialMessage" ADD CONSTRAINT "SignedPartialMessage_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SignedPartialMessage" ADD CONSTRAINT "SignedPartialMessage_senderId_fkey" FOREIGN KEY ("senderId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageReceipt" ADD CONSTRAINT "MessageReceipt_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "SignedPartialMessage"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageReceipt" ADD CONSTRAINT "MessageReceipt_receiverId_fkey" FOREIGN KEY ("receiverId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageReceipt" ADD CONSTRAINT "MessageReceipt_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "AgentReport"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Heartbeat" ADD CONSTRAINT "Heartbeat_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Heartbeat" ADD CONSTRAINT "Heartbeat_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UptimeHour" ADD CONSTRAINT "UptimeHour_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IncidentMember" ADD CONSTRAINT "IncidentMember_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IncidentMember" ADD CONSTRAINT "IncidentMember_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IncidentDuty" ADD CONSTRAINT "IncidentDuty_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IncidentDuty" ADD CONSTRAINT "IncidentDuty_dutyId_fkey" FOREIGN KEY ("dutyId") REFERENCES "Duty"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IncidentTimelineEntry" ADD CONSTRAINT "IncidentTimelineEntry_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnCallRotation" ADD CONSTRAINT "OnCallRotation_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnCallRotationMember" ADD CONSTRAINT "OnCallRotationMember_rotationId_fkey" FOREIGN KEY ("rotationId") REFERENCES "OnCallRotation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnCallRotationMember" ADD CONSTRAINT "OnCallRotationMember_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CoverRequest" ADD CONSTRAINT "CoverRequest_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CoverRequest" ADD CONSTRAINT "CoverRequest_requesterId_fkey" FOREIGN KEY ("requesterId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CoverRequest" ADD CONSTRAINT "CoverRequest_coveredById_fkey" FOREIGN KEY ("coveredById") REFERENCES "ClusterMember"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationChannel" ADD CONSTRAINT "NotificationChannel_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationDelivery" ADD CONSTRAINT "NotificationDelivery_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "NotificationChannel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationDelivery" ADD CONSTRAINT "NotificationDelivery_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SettlementPeriod" ADD CONSTRAINT "SettlementPeriod_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Allocation" ADD CONSTRAINT "Allocation_periodId_fkey" FOREIGN KEY ("periodId") REFERENCES "SettlementPeriod"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Allocation" ADD CONSTRAINT "Allocation_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SettlementApproval" ADD CONSTRAINT "SettlementApproval_periodId_fkey" FOREIGN KEY ("periodId") REFERENCES "SettlementPeriod"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SettlementApproval" ADD CONSTRAINT "SettlementApproval_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SettlementDispute" ADD CONSTRAINT "SettlementDispute_periodId_fkey" FOREIGN KEY ("periodId") REFERENCES "SettlementPeriod"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SettlementDispute" ADD CONSTRAINT "SettlementDispute_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "ClusterMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditExport" ADD CONSTRAINT "AuditExport_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
