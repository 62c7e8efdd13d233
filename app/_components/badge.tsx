import { humanize } from "@/app/_lib/enums";

type BadgeKind = "status" | "bridge" | "exec";

const KIND_TITLE: Record<BadgeKind, string> = {
  status: "Status",
  bridge: "Bridge status",
  exec: "Execution state",
};

/**
 * A status word with its own colour. The class is `status-<value>` for every enum value
 * (run and worker status, bridge status, execution state), so one word has one colour everywhere.
 */
export function StatusBadge({ value, kind = "status", label }: { value: string; kind?: BadgeKind; label?: string }) {
  const safe = value.replace(/[^a-z0-9_-]/gi, "");
  return (
    <span className={`badge badge-${kind} status-${safe}`} title={`${label ?? KIND_TITLE[kind]}: ${value}`}>
      {humanize(value)}
    </span>
  );
}
