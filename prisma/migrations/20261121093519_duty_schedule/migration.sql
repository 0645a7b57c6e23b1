-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "beaconNodeUrl" TEXT,
ADD COLUMN     "dutiesSettledSlot" INTEGER,
ADD COLUMN     "dutiesSyncedEpoch" INTEGER;
