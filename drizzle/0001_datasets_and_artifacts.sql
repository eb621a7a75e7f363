ALTER TABLE "dataset_versions" ADD COLUMN "lease_until" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD COLUMN "validation_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "artifacts_run_name_idx" ON "artifacts" USING btree ("run_id","name");--> statement-breakpoint
CREATE INDEX "dataset_versions_validating_idx" ON "dataset_versions" USING btree ("lease_until") WHERE "dataset_versions"."status" = 'VALIDATING';