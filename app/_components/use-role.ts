"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";

/**
 * The session's role from `system.whoami`. While it is loading (or if it fails) the UI treats
 * the session as an operator: the server refuses viewers' changes anyway (FORBIDDEN).
 */
export function useSessionRole() {
  const trpc = useTRPC();
  const whoami = useQuery(trpc.system.whoami.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const role = whoami.data?.role;
  return { role, isViewer: role === "viewer", isOperator: role !== "viewer", loading: whoami.isPending };
}
