"use client";

import type { RouterOutputs } from "@/app/_lib/types";

export type HostOut = RouterOutputs["hosts"]["list"][number];

const WORDS: Record<HostOut["status"]["state"], string> = {
  idle: "not connected",
  connecting: "connecting",
  up: "connected",
  unreachable: "unreachable",
};
const CLASS: Record<HostOut["status"]["state"], string> = {
  idle: "status-pending",
  connecting: "status-provisioning",
  up: "status-ok",
  unreachable: "status-missing",
};

/** How a host's shared SSH connection is doing, in a word (the detail in the title). */
export function HostState({ status }: { status: HostOut["status"] }) {
  return (
    <span className={`badge ${CLASS[status.state]}`} data-testid="host-state" data-state={status.state} title={status.detail ?? WORDS[status.state]}>
      {WORDS[status.state]}
    </span>
  );
}
