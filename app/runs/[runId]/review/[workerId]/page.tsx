import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/states";
import { WorkerReview } from "../_components/worker-review";

type Params = { params: Promise<{ runId: string; workerId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { workerId } = await params;
  return { title: `Review ${workerId}` };
}

/** One worker's diff review, merge panel and request changes. */
export default async function WorkerReviewPage({ params }: Params) {
  const { runId, workerId } = await params;
  return (
    <Suspense fallback={<Loading>Loading the review…</Loading>}>
      <WorkerReview runId={runId} workerId={workerId} />
    </Suspense>
  );
}
