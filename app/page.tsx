import type { Metadata } from "next";
import { Suspense } from "react";
import { RunsList } from "./_components/runs-list";
import { Loading } from "./_components/states";

export const metadata: Metadata = { title: "Runs" };

export default function RunsPage() {
  return (
    <Suspense fallback={<Loading>Loading runs…</Loading>}>
      <RunsList />
    </Suspense>
  );
}
