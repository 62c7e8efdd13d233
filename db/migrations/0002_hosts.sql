CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`destination` text NOT NULL,
	`clone_path` text NOT NULL,
	`settings` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
