"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { FieldErrors } from "@/app/_components/field-errors";
import { ReadOnlyNotice } from "@/app/_components/read-only";
import { ErrorNotice } from "@/app/_components/states";
import { useSessionRole } from "@/app/_components/use-role";
import { errorInfo, issuesFor } from "@/app/_lib/errors";
import { AGENT_IDS, agentLabel } from "@/app/_components/agent-badge";
import type { AgentId } from "@/server/core/enums";

export function CustomRoleForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isViewer } = useSessionRole();
  const ids = useId();
  const [id, setId] = useState("");
  const [label, setLabel] = useState("");
  const [brief, setBrief] = useState("");
  const [defaultAgent, setDefaultAgent] = useState<AgentId>("codex");
  const [saved, setSaved] = useState<string | null>(null);

  const create = useMutation(
    trpc.roles.create.mutationOptions({
      onSuccess: async (role) => {
        await queryClient.invalidateQueries(trpc.roles.list.queryFilter());
        setSaved(`Saved the role ${role.label} (${role.id}). It can now be picked for a new run.`);
        setId("");
        setLabel("");
        setBrief("");
        setDefaultAgent("codex");
      },
    }),
  );

  if (isViewer) {
    return (
      <section aria-labelledby={`${ids}-heading`}>
        <h2 id={`${ids}-heading`}>Add a custom role</h2>
        <ReadOnlyNotice>Adding roles needs the operator token.</ReadOnlyNotice>
      </section>
    );
  }

  const info = create.isError ? errorInfo(create.error) : undefined;
  const errs = { id: issuesFor(info, "id"), label: issuesFor(info, "label"), brief: issuesFor(info, "brief"), defaultAgent: issuesFor(info, "defaultAgent") };

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (create.isPending) return;
    setSaved(null);
    create.mutate({ id: id.trim(), label, brief, defaultAgent });
  }

  return (
    <section aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>Add a custom role</h2>
      <form className="form card" onSubmit={submit} data-testid="custom-role-form">
        <div className="field">
          <label htmlFor={`${ids}-id`}>Role id</label>
          <input
            id={`${ids}-id`}
            type="text"
            value={id}
            onChange={(e) => setId(e.target.value)}
            placeholder="implementer"
            spellCheck={false}
            autoComplete="off"
            required
            aria-invalid={errs.id.length > 0 || undefined}
            aria-describedby={`${ids}-id-hint ${ids}-id-err`}
          />
          <p className="hint" id={`${ids}-id-hint`}>
            Lower-case letters, digits and <code>_</code>, starting with a letter (at most 40). Used in branch names. Saving an
            existing custom id updates that role.
          </p>
          <FieldErrors id={`${ids}-id-err`} messages={errs.id} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-label`}>Label</label>
          <input
            id={`${ids}-label`}
            type="text"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            placeholder="Implementer"
            maxLength={80}
            required
            aria-invalid={errs.label.length > 0 || undefined}
            aria-describedby={`${ids}-label-err`}
          />
          <FieldErrors id={`${ids}-label-err`} messages={errs.label} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-brief`}>Brief</label>
          <textarea
            id={`${ids}-brief`}
            value={brief}
            onChange={(e) => setBrief(e.target.value)}
            rows={5}
            placeholder="Implement the change the prompt asks for, with tests, in small commits."
            required
            aria-invalid={errs.brief.length > 0 || undefined}
            aria-describedby={`${ids}-brief-hint ${ids}-brief-err`}
          />
          <p className="hint" id={`${ids}-brief-hint`}>
            One paragraph: what this member should do. Workers get it together with the run&apos;s prompt.
          </p>
          <FieldErrors id={`${ids}-brief-err`} messages={errs.brief} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-agent`}>Default agent</label>
          <select
            id={`${ids}-agent`}
            value={defaultAgent}
            onChange={(e) => setDefaultAgent(e.target.value as AgentId)}
            aria-invalid={errs.defaultAgent.length > 0 || undefined}
            aria-describedby={`${ids}-agent-hint ${ids}-agent-err`}
          >
            {AGENT_IDS.map((a) => (
              <option key={a} value={a}>
                {agentLabel(a)}
              </option>
            ))}
          </select>
          <p className="hint" id={`${ids}-agent-hint`}>
            The agent that plays this role in a new run unless you pick another for the member. Built-in roles are played by
            Codex.
          </p>
          <FieldErrors id={`${ids}-agent-err`} messages={errs.defaultAgent} />
        </div>
        {info ? <ErrorNotice error={create.error} title="The role was not saved" testId="create-role-error" /> : null}
        {saved ? (
          <p className="notice notice-ok" role="status">
            {saved}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button" disabled={create.isPending}>
            {create.isPending ? "Saving…" : "Create role"}
          </button>
        </div>
      </form>
    </section>
  );
}
