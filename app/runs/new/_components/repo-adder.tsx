"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type KeyboardEvent } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { ErrorNotice } from "@/app/_components/states";

/**
 * "Add another repository by path", inside the create-run form. Enter in the path input adds
 * the path (it does not submit the run); the new repository becomes the selected one.
 */
export function RepoAdder({ onAdded, emphasize = false }: { onAdded: (path: string) => void; emphasize?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const inputId = useId();
  const [path, setPath] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const add = useMutation(
    trpc.repos.add.mutationOptions({
      onSuccess: async (repo) => {
        await queryClient.invalidateQueries(trpc.repos.list.queryFilter());
        onAdded(repo.path);
        setNote(`Added ${repo.name} (${repo.path}); it is now selected.`);
        setPath("");
      },
    }),
  );

  function submit() {
    const value = path.trim();
    setNote(null);
    if (!value) {
      add.reset();
      setNote("Type the path of a git work tree first.");
      return;
    }
    if (!add.isPending) add.mutate({ path: value });
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "Enter") {
      e.preventDefault();
      submit();
    }
  }

  return (
    <div className={`repo-adder${emphasize ? " is-emphasized" : ""}`}>
      <label htmlFor={inputId} className="label-secondary">
        Add by path
      </label>
      <div className="input-row">
        <input
          id={inputId}
          type="text"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder="/home/me/papers/my-paper"
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${inputId}-hint`}
        />
        <button type="button" className="button button-secondary" onClick={submit} disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add"}
        </button>
      </div>
      <p className="hint" id={`${inputId}-hint`}>
        A folder inside a git work tree on the panel&apos;s machine; the panel uses the work tree&apos;s top level.
      </p>
      {note ? (
        <p className="hint" role="status">
          {note}
        </p>
      ) : null}
      {add.isError ? <ErrorNotice error={add.error} title="Could not add that repository" /> : null}
    </div>
  );
}
