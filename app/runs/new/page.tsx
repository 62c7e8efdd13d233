import type { Metadata } from "next";
import { CreateRunForm } from "./_components/create-run-form";

export const metadata: Metadata = { title: "New run" };

export default function NewRunPage() {
  return (
    <>
      <div className="page-head">
        <h1>New run</h1>
      </div>
      <p className="lead">
        Give one prompt to a panel of workers. Each role becomes a worker with its own branch and worktree of the repository.
      </p>
      <CreateRunForm />
    </>
  );
}
