import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/states";
import { RunReview } from "./_components/run-review";

type Params = { params: Promise<{ runId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { runId } = await params;
  return { title: `Review ${runId}` };
}

/** The run's review: worker picker, overlap matrix, suggested merge order. */
export default async function RunReviewPage({ params }: Params) {
  const { runId } = await params;
  return (
    <Suspense fallback={<Loading>Loading the review…</Loading>}>
      <RunReview runId={runId} />
    </Suspense>
  );
}
