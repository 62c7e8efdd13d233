import type { Metadata } from "next";
import { RunPage } from "./_components/run-page";

export async function generateMetadata({ params }: { params: Promise<{ runId: string }> }): Promise<Metadata> {
  const { runId } = await params;
  return { title: `Run ${runId}` };
}

/** The run page. Its parts live in ./_components (header, workers, and later actions and live updates). */
export default function Page() {
  return <RunPage />;
}
