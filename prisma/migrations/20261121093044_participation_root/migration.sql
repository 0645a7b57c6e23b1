-- AlterTable
ALTER TABLE "Participation" ADD COLUMN     "signingRoot" BYTEA;
