"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { ErrorNotice, Loading } from "@/app/_components/states";
import { ReadOnlyNotice } from "@/app/_components/read-only";
import { useSessionRole } from "@/app/_components/use-role";
import { FieldErrors } from "@/app/_components/field-errors";
import { MODES } from "@/app/_lib/enums";
import { errorInfo, issuesFor } from "@/app/_lib/errors";
import type { RoleOut } from "@/app/_lib/types";
import { AgentChoice, AgentNotes, useAgentOptions, type AgentOption } from "./agent-choice";
import { HostPlacement, type Placement } from "./host-placement";
import { RepoAdder } from "./repo-adder";

type Mode = (typeof MODES)[number];

export function CreateRunForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const { isViewer } = useSessionRole();
  const ids = useId();

  const repos = useQuery(trpc.repos.list.queryOptions());
  const roles = useQuery(trpc.roles.list.queryOptions());
  const agents = useAgentOptions();

  const [repoPath, setRepoPath] = useState("");
  const [prompt, setPrompt] = useState("");
  const [pickedRoles, setPickedRoles] = useState<string[] | null>(null); // null: the catalog defaults
  const [mode, setMode] = useState<Mode>("review");
  const [placement, setPlacement] = useState<Placement>({ mode: "local", hosts: {} });
  // Per role: the agent (and model) the user picked; otherwise the role's default agent.
  const [pickedAgents, setPickedAgents] = useState<Record<string, string>>({});
  const [models, setModels] = useState<Record<string, string>>({});

  const create = useMutation(
    trpc.runs.create.mutationOptions({
      onSuccess: async (run) => {
        await queryClient.invalidateQueries(trpc.runs.list.pathFilter());
        router.push(`/runs/${run.id}`);
      },
    }),
  );

  if (isViewer) return <ReadOnlyNotice>Creating a run needs the operator token.</ReadOnlyNotice>;

  const repoList = repos.data ?? [];
  const selectedRepo = repoPath || repoList[0]?.path || "";
  const defaults = (roles.data ?? []).filter((r) => r.isDefault).map((r) => r.id);
  const selectedRoles = pickedRoles ?? defaults;
  const info = create.isError ? errorInfo(create.error) : undefined;
  const errs = {
    repoPath: issuesFor(info, "repoPath"),
    prompt: issuesFor(info, "prompt"),
    roles: [...issuesFor(info, "roles"), ...issuesFor(info, "members")],
    mode: issuesFor(info, "mode"),
  };
  const agentOf = (role: RoleOut) => pickedAgents[role.id] ?? agents.preferred(role.defaultAgent);

  function toggleRole(id: string, on: boolean) {
    const set = new Set(selectedRoles);
    if (on) set.add(id);
    else set.delete(id);
    // Keep catalog order so worker numbering follows the list the user sees.
    setPickedRoles((roles.data ?? []).map((r) => r.id).filter((r) => set.has(r)));
  }

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (create.isPending) return;
    const byId = new Map((roles.data ?? []).map((r) => [r.id, r]));
    const members = selectedRoles.map((id) => {
      const role = byId.get(id);
      const model = models[id]?.trim();
      const host = placement.hosts[id];
      return { role: id, agent: (role ? agentOf(role) : "codex") as AgentOption["agent"], ...(model ? { model } : {}), ...(host ? { host } : {}) };
    });
    // "spread": members without a host of their own go round-robin over this machine and the hosts.
    create.mutate({ repoPath: selectedRepo, prompt, members, mode, ...(placement.mode === "spread" ? { placement: "spread" as const } : {}) });
  }

  function promptKeys(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      e.currentTarget.form?.requestSubmit();
    }
  }

  const repoId = `${ids}-repo`;
  const promptId = `${ids}-prompt`;
  const modeId = `${ids}-mode`;

  return (
    <form className="form card" onSubmit={submit} aria-describedby={info ? `${ids}-error` : undefined}>
        {/* Repository */}
        <div className="field">
          <label htmlFor={repoId}>Repository</label>
          {repos.isPending ? (
            <Loading>Loading repositories…</Loading>
          ) : repos.isError ? (
            <ErrorNotice error={repos.error} title="Could not load the repository list" onRetry={() => repos.refetch()} />
          ) : repoList.length === 0 ? (
            <p className="hint" id={`${repoId}-none`}>
              No repository is known yet. Add one below by the path of a git work tree on this machine (it needs at least one
              commit), or restart the panel with <code>longtable-panel --repo PATH</code>.
            </p>
          ) : (
            <select
              id={repoId}
              value={selectedRepo}
              onChange={(e) => setRepoPath(e.target.value)}
              required
              aria-invalid={errs.repoPath.length > 0 || undefined}
              aria-describedby={`${repoId}-hint ${repoId}-err`}
            >
              {repoList.map((r) => (
                <option key={r.id} value={r.path}>
                  {r.name} — {r.path}
                </option>
              ))}
            </select>
          )}
          {repoList.length > 0 ? (
            <p className="hint" id={`${repoId}-hint`}>
              Workers branch from the checked-out branch of this repository.
            </p>
          ) : null}
          <FieldErrors id={`${repoId}-err`} messages={errs.repoPath} />
          <RepoAdder onAdded={(path) => setRepoPath(path)} emphasize={repos.isSuccess && repoList.length === 0} />
        </div>

        {/* Prompt */}
        <div className="field">
          <label htmlFor={promptId}>Prompt</label>
          <textarea
            id={promptId}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
            onKeyDown={promptKeys}
            rows={8}
            required
            placeholder="What should the panel work on? e.g. Review chapter 3 for unsupported claims and propose fixes."
            aria-invalid={errs.prompt.length > 0 || undefined}
            aria-describedby={`${promptId}-hint ${promptId}-err`}
          />
          <p className="hint" id={`${promptId}-hint`}>
            Every worker gets this prompt together with its role brief. Press Ctrl+Enter to create the run.
          </p>
          <FieldErrors id={`${promptId}-err`} messages={errs.prompt} />
        </div>

        {/* Roles */}
        <fieldset className="field roles-field" aria-describedby={`${ids}-roles-hint ${ids}-roles-err`}>
          <legend>Roles</legend>
          <p className="hint" id={`${ids}-roles-hint`}>
            One worker per role, played by the agent you pick for it. {selectedRoles.length} selected.{" "}
            {roles.data ? (
              <span className="inline-actions">
                <button type="button" className="link-button" onClick={() => setPickedRoles(null)}>
                  Defaults
                </button>
                <button type="button" className="link-button" onClick={() => setPickedRoles(roles.data.map((r) => r.id))}>
                  All
                </button>
                <button type="button" className="link-button" onClick={() => setPickedRoles([])}>
                  None
                </button>
              </span>
            ) : null}
          </p>
          <AgentNotes agents={agents} />
          {roles.isPending ? (
            <Loading>Loading the role catalog…</Loading>
          ) : roles.isError ? (
            <ErrorNotice error={roles.error} title="Could not load the role catalog" onRetry={() => roles.refetch()} />
          ) : (
            <ul className="role-options">
              {roles.data.map((role) => (
                <RoleOption
                  key={role.id}
                  role={role}
                  idBase={`${ids}-role`}
                  checked={selectedRoles.includes(role.id)}
                  onChange={(on) => toggleRole(role.id, on)}
                >
                  <AgentChoice
                    idBase={`${ids}-role-${role.id}`}
                    roleLabel={role.label}
                    agents={agents}
                    agent={agentOf(role)}
                    model={models[role.id] ?? ""}
                    onAgent={(agent) => setPickedAgents((m) => ({ ...m, [role.id]: agent }))}
                    onModel={(model) => setModels((m) => ({ ...m, [role.id]: model }))}
                  />
                </RoleOption>
              ))}
            </ul>
          )}
          <FieldErrors id={`${ids}-roles-err`} messages={errs.roles} />
        </fieldset>

        <HostPlacement roles={selectedRoles} value={placement} onChange={setPlacement} idBase={ids} />

        {/* Mode */}
        <div className="field">
          <label htmlFor={modeId}>Mode</label>
          <select
            id={modeId}
            value={mode}
            onChange={(e) => setMode(e.target.value as Mode)}
            aria-invalid={errs.mode.length > 0 || undefined}
            aria-describedby={`${modeId}-err`}
          >
            {MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
          <FieldErrors id={`${modeId}-err`} messages={errs.mode} />
        </div>

        {info ? (
          <div id={`${ids}-error`}>
            <ErrorNotice error={create.error} title="The run was not created" testId="create-run-error" />
          </div>
        ) : null}

        <div className="form-actions">
          <button type="submit" className="button" disabled={create.isPending || create.isSuccess}>
            {create.isPending ? "Creating…" : create.isSuccess ? "Opening…" : "Create run"}
          </button>
        </div>
    </form>
  );
}

function RoleOption({
  role,
  idBase,
  checked,
  onChange,
  children,
}: {
  role: RoleOut;
  idBase: string;
  checked: boolean;
  onChange: (on: boolean) => void;
  /** The member's agent choice, shown while the role is picked. */
  children?: ReactNode;
}) {
  const id = `${idBase}-${role.id}`;
  return (
    <li className={`role-option${checked ? " is-checked" : ""}`}>
      <input id={id} type="checkbox" value={role.id} checked={checked} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-brief`} />
      <div>
        <label htmlFor={id} className="role-label">
          {role.label}
        </label>{" "}
        <code className="role-id">{role.id}</code>
        {role.isDefault ? <span className="tag">default</span> : null}
        {role.custom ? <span className="tag tag-custom">custom</span> : null}
        <p className="role-brief" id={`${id}-brief`}>
          {role.brief}
        </p>
        {checked ? children : null}
      </div>
    </li>
  );
}
