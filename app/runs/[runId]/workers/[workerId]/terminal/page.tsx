import type { Metadata } from "next";
import { WorkerTerminalScreen } from "../../../_components/worker-screens";
import "../../../run.css";

type Params = { params: Promise<{ runId: string; workerId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { workerId } = await params;
  return { title: `Terminal of ${workerId}` };
}

/** A worker's tmux pane with colours, and the command to attach to it. */
export default async function WorkerTerminalPage({ params }: Params) {
  const { runId, workerId } = await params;
  return <WorkerTerminalScreen runId={runId} workerId={workerId} />;
}
