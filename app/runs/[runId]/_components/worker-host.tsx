"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";
import { HostState } from "@/app/hosts/_components/host-state";

/**
 * Where a worker runs: this machine, or a registered host with how its SSH connection is doing
 * (polled: faster while the worker runs; an unreachable host never fails a worker, its result
 * comes when the connection is back).
 */
export function WorkerHost({ host, running }: { host?: string; running: boolean }) {
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(undefined, { refetchInterval: running ? 3000 : 10_000 }), enabled: !!host });
  if (!host) return <span data-testid="worker-host">this machine</span>;
  const status = hosts.data?.find((h) => h.id === host)?.status;
  return (
    <span data-testid="worker-host" data-host={host}>
      <code>{host}</code> {status ? <HostState status={status} /> : null}
    </span>
  );
}
