import type { Metadata } from "next";
import { WorkerActivityScreen } from "../../../_components/worker-screens";
import "../../../run.css";

type Params = { params: Promise<{ runId: string; workerId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { workerId } = await params;
  return { title: `Activity of ${workerId}` };
}

/** A worker's agent activity: commands, file changes, messages, plan, errors, usage — live. */
export default async function WorkerActivityPage({ params }: Params) {
  const { runId, workerId } = await params;
  return <WorkerActivityScreen runId={runId} workerId={workerId} />;
}
