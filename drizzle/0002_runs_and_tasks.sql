CREATE TYPE "public"."task_status" AS ENUM('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "run_rows" (
	"run_id" uuid NOT NULL,
	"row_index" integer NOT NULL,
	"input" jsonb NOT NULL,
	"expected" jsonb,
	CONSTRAINT "run_rows_run_id_row_index_pk" PRIMARY KEY("run_id","row_index")
);
--> statement-breakpoint
CREATE TABLE "run_snapshots" (
	"run_id" uuid PRIMARY KEY NOT NULL,
	"models" jsonb NOT NULL,
	"prompt_versions" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"row_index" integer NOT NULL,
	"repetition" integer NOT NULL,
	"prompt_version_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"status" "task_status" DEFAULT 'QUEUED' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp (3) with time zone,
	"rendered_prompt" text,
	"output" text,
	"error" text,
	"latency_ms" double precision,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"cost_usd" double precision,
	"reserved_usd" double precision DEFAULT 0 NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "concurrency" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "max_cost_usd" double precision;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "sample_limit" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "retry_of_run_id" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "total_tasks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "queued_tasks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "running_tasks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "succeeded_tasks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "failed_tasks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cancelled_tasks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "prompt_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "completion_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cost_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "reserved_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "lease_until" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "finish_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "run_rows" ADD CONSTRAINT "run_rows_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_snapshots" ADD CONSTRAINT "run_snapshots_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_run_seq_idx" ON "tasks" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "tasks_claimable_idx" ON "tasks" USING btree ("run_id","model_id","seq") WHERE "tasks"."status" in ('QUEUED', 'RUNNING');--> statement-breakpoint
CREATE INDEX "tasks_running_model_idx" ON "tasks" USING btree ("model_id") WHERE "tasks"."status" = 'RUNNING';--> statement-breakpoint
CREATE INDEX "runs_active_idx" ON "runs" USING btree ("created_at") WHERE "runs"."status" in ('QUEUED', 'RUNNING', 'CANCELLING');