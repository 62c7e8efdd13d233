CREATE TABLE `activity` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`worker_id` text NOT NULL,
	`attempt` integer DEFAULT 1 NOT NULL,
	`line` integer NOT NULL,
	`kind` text NOT NULL,
	`text` text NOT NULL,
	`data` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `activity_line_uq` ON `activity` (`run_id`,`worker_id`,`attempt`,`line`);--> statement-breakpoint
CREATE INDEX `activity_worker_seq_idx` ON `activity` (`run_id`,`worker_id`,`seq`);--> statement-breakpoint
CREATE TABLE `custom_roles` (
	`id` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`brief` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`answer` text NOT NULL,
	`note` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`run_id` text NOT NULL,
	`worker_id` text,
	`type` text NOT NULL,
	`message` text NOT NULL,
	`path` text,
	`data` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_uq` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_run_seq_idx` ON `events` (`run_id`,`seq`);--> statement-breakpoint
CREATE TABLE `merges` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`worker_id` text NOT NULL,
	`strategy` text NOT NULL,
	`target` text NOT NULL,
	`previous_commit` text NOT NULL,
	`commit` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `repos` (
	`id` text PRIMARY KEY NOT NULL,
	`path` text NOT NULL,
	`name` text NOT NULL,
	`added_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repos_path_unique` ON `repos` (`path`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`status` text NOT NULL,
	`bridge_status` text NOT NULL,
	`mode` text NOT NULL,
	`prompt_preview` text NOT NULL,
	`member_count` integer NOT NULL,
	`target_branch` text,
	`last_decision` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`record` text NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `runs_created_idx` ON `runs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_repo_created_idx` ON `runs` (`repo_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_status_created_idx` ON `runs` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `workers` (
	`run_id` text NOT NULL,
	`id` text NOT NULL,
	`role` text NOT NULL,
	`label` text NOT NULL,
	`status` text NOT NULL,
	`execution_state` text NOT NULL,
	`cleanup_status` text NOT NULL,
	`worktree_branch` text NOT NULL,
	`worktree_commit` text,
	`base_commit` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`run_id`, `id`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
