import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/states";
import { RunPage } from "./_components/run-page";
import "./run.css";

export async function generateMetadata({ params }: { params: Promise<{ runId: string }> }): Promise<Metadata> {
  const { runId } = await params;
  return { title: `Run ${runId}` };
}

/** The live run dashboard. Its parts live in ./_components, its state handling in ./_model. */
export default function Page() {
  return (
    <Suspense fallback={<Loading>Loading run…</Loading>}>
      <RunPage />
    </Suspense>
  );
}
