CREATE TABLE "metric_points" (
	"project_id" uuid NOT NULL,
	"experiment_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"prompt_version_id" uuid NOT NULL,
	"row_index" integer NOT NULL,
	"repetition" integer NOT NULL,
	"name" text NOT NULL,
	"value" double precision NOT NULL,
	"time_ms" bigint NOT NULL,
	CONSTRAINT "metric_points_run_id_name_task_id_pk" PRIMARY KEY("run_id","name","task_id")
);
--> statement-breakpoint
ALTER TABLE "run_snapshots" ADD COLUMN "judges" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "metrics" jsonb;