"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { ErrorNotice } from "@/app/_components/states";
import { ReadOnlyNotice } from "@/app/_components/read-only";
import { useSessionRole } from "@/app/_components/use-role";
import { FieldErrors } from "@/app/_components/field-errors";
import { errorInfo, issuesFor } from "@/app/_lib/errors";

const FIELDS = [
  { key: "id", label: "Name", hint: "How the panel calls it: lower-case letters, digits and -.", placeholder: "gpu1", required: true },
  { key: "destination", label: "SSH destination", hint: "As you would type it after ssh: an alias of your ~/.ssh/config, or user@host. It must log in without a prompt.", placeholder: "gpu1", required: true },
  { key: "clonePath", label: "Clone path there", hint: "An absolute path on the host to a clone of this repository (git clone it there first).", placeholder: "/home/me/src/paper", required: true },
  { key: "codex", label: "codex binary there", hint: "A name on the host's PATH or an absolute path (default codex).", placeholder: "codex" },
  { key: "nodeBin", label: "node there", hint: "Runs the finish step (default node).", placeholder: "node" },
  { key: "tmuxSocket", label: "tmux socket there", hint: "tmux -L name (default longtable-panel).", placeholder: "longtable-panel" },
  { key: "panelDir", label: "Panel folder there", hint: "Where the panel copies its worker scripts (default ~/.longtable-panel-host).", placeholder: "" },
  { key: "sshConfig", label: "ssh config file here", hint: "Use this file instead of ~/.ssh/config (optional).", placeholder: "" },
  { key: "sshOptions", label: "ssh options", hint: "Key=value, one per line (as ssh -o), e.g. Port=2222.", placeholder: "", multiline: true },
  { key: "sandboxWritable", label: "Writable folders there", hint: "Absolute paths agents may write besides their worktree (a shared build cache), one per line; not one that holds the clone or the panel folder.", placeholder: "", multiline: true },
] as const;

type Key = (typeof FIELDS)[number]["key"];

export function HostForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isViewer } = useSessionRole();
  const ids = useId();
  const [values, setValues] = useState<Partial<Record<Key, string>>>({});
  const add = useMutation(
    trpc.hosts.add.mutationOptions({
      onSuccess: async () => {
        setValues({});
        await queryClient.invalidateQueries(trpc.hosts.list.pathFilter());
      },
    }),
  );
  if (isViewer) return <ReadOnlyNotice>Adding a host needs the operator token.</ReadOnlyNotice>;
  const info = add.isError ? errorInfo(add.error) : undefined;
  const v = (k: Key) => values[k]?.trim() || undefined;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (add.isPending) return;
    add.mutate({
      id: v("id") ?? "",
      destination: v("destination") ?? "",
      clonePath: v("clonePath") ?? "",
      ...(v("panelDir") ? { panelDir: v("panelDir") } : {}),
      ...(v("tmuxSocket") ? { tmuxSocket: v("tmuxSocket") } : {}),
      ...(v("nodeBin") ? { nodeBin: v("nodeBin") } : {}),
      ...(v("sshConfig") ? { sshConfig: v("sshConfig") } : {}),
      agentBins: v("codex") ? { codex: v("codex") } : {},
      sshOptions: (values.sshOptions ?? "").split("\n").map((l) => l.trim()).filter(Boolean),
      sandboxWritable: (values.sandboxWritable ?? "").split("\n").map((l) => l.trim()).filter(Boolean),
    });
  }

  return (
    <form className="form card" onSubmit={submit} data-testid="host-form" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Add a host</h2>
      {FIELDS.map((f) => {
        const id = `${ids}-${f.key}`;
        const errs = issuesFor(info, f.key === "codex" ? "agentBins" : f.key);
        const common = {
          id,
          name: f.key,
          value: values[f.key] ?? "",
          placeholder: f.placeholder,
          required: "required" in f ? f.required : undefined,
          "aria-invalid": errs.length > 0 || undefined,
          "aria-describedby": `${id}-hint ${id}-err`,
        };
        return (
          <div className="field" key={f.key}>
            <label htmlFor={id}>{f.label}</label>
            {"multiline" in f ? (
              <textarea {...common} rows={2} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} />
            ) : (
              <input {...common} type="text" autoComplete="off" spellCheck={false} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} />
            )}
            <p className="hint" id={`${id}-hint`}>
              {f.hint}
            </p>
            <FieldErrors id={`${id}-err`} messages={errs} />
          </div>
        );
      })}
      {info ? <ErrorNotice error={add.error} title="The host was not added" testId="host-form-error" /> : null}
      <div className="form-actions">
        <button type="submit" className="button" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add host"}
        </button>
      </div>
    </form>
  );
}
