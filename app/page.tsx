"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./_trpc/client";

export default function RunsPage() {
  const trpc = useTRPC();
  const runs = useQuery(trpc.runs.list.queryOptions({}));
  return <h1>Runs ({runs.data?.items.length ?? "…"})</h1>;
}
