"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AGENT_IDS, agentLabel } from "@/app/_components/agent-badge";
import { InlineCode } from "@/app/_components/states";
import type { DoctorOut } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";

type AgentReport = DoctorOut["agents"][number];

export interface AgentOption {
  agent: AgentReport["agent"];
  label: string;
  /** Known usable (installed, and fenced by a sandbox); true while the doctor has not answered. */
  usable: boolean;
  report?: AgentReport;
}

export interface AgentOptions {
  /** The doctor is still checking the agents. */
  checking: boolean;
  options: AgentOption[];
  /** The agent a member gets unless the user picks another: the role's default when it can run here, else the first that can. */
  preferred(defaultAgent: string | undefined): string;
}

/** The agents the doctor found, for the members' agent choice. */
export function useAgentOptions(): AgentOptions {
  const trpc = useTRPC();
  const doctor = useQuery(trpc.system.doctor.queryOptions(undefined, { staleTime: 60_000 }));
  const reports = doctor.data?.agents;
  const options: AgentOption[] = reports
    ? reports.map((r) => ({ agent: r.agent, label: r.label, usable: r.usable, report: r }))
    : AGENT_IDS.map((agent) => ({ agent, label: agentLabel(agent), usable: true }));
  return {
    checking: doctor.isPending,
    options,
    preferred(defaultAgent) {
      const wanted = defaultAgent ?? "codex";
      if (options.some((o) => o.agent === wanted && o.usable)) return wanted;
      return options.find((o) => o.usable)?.agent ?? wanted;
    },
  };
}

/** What the doctor says about agents that cannot be picked (with how to install them) or are not logged in. */
export function AgentNotes({ agents }: { agents: AgentOptions }) {
  if (agents.checking) return <p className="hint agent-notes">Checking which agents are installed…</p>;
  const missing = agents.options.filter((o) => !o.usable);
  const notReady = agents.options.filter((o) => o.usable && o.report && !o.report.ready);
  if (missing.length === 0 && notReady.length === 0) return null;
  return (
    <ul className="hint agent-notes" data-testid="agent-notes">
      {missing.map((o) => (
        <li key={o.agent} data-testid="agent-unavailable" data-agent={o.agent}>
          {o.label} cannot be picked: {o.report?.installed ? o.report.unusableReason : <>not installed — <code>{o.report?.install}</code></>}
        </li>
      ))}
      {notReady.map((o) => (
        <li key={o.agent} data-testid="agent-not-ready" data-agent={o.agent}>
          {o.label} is installed but not logged in{o.report?.fix ? <>: <InlineCode text={o.report.fix} /></> : null}
        </li>
      ))}
    </ul>
  );
}

/** The agent (and optionally the model) of one member. */
export function AgentChoice({
  idBase,
  roleLabel,
  agents,
  agent,
  model,
  onAgent,
  onModel,
}: {
  idBase: string;
  roleLabel: string;
  agents: AgentOptions;
  agent: string;
  model: string;
  onAgent: (agent: string) => void;
  onModel: (model: string) => void;
}) {
  // The model is optional: its field opens on request (the agent's own default otherwise).
  const [showModel, setShowModel] = useState(false);
  return (
    <div className="member-agent" data-testid="member-agent">
      <label htmlFor={`${idBase}-agent`}>
        Agent{" "}
        <select id={`${idBase}-agent`} value={agent} onChange={(e) => onAgent(e.target.value)} aria-label={`Agent for ${roleLabel}`}>
          {agents.options.map((o) => (
            <option key={o.agent} value={o.agent} disabled={!o.usable}>
              {o.label}
              {o.usable ? (o.report?.version ? ` ${o.report.version}` : "") : " (not available)"}
            </option>
          ))}
        </select>
      </label>
      {showModel || model ? (
        <label htmlFor={`${idBase}-model`}>
          Model{" "}
          <input
            id={`${idBase}-model`}
            type="text"
            value={model}
            onChange={(e) => onModel(e.target.value)}
            placeholder="the agent's default"
            aria-label={`Model for ${roleLabel}`}
            spellCheck={false}
            autoComplete="off"
            maxLength={100}
            autoFocus={showModel && !model}
          />
        </label>
      ) : (
        // (named by its text, not aria-label: a label with "model" in it would also answer to "Mode")
        <button type="button" className="link-button" onClick={() => setShowModel(true)}>
          pick a model<span className="visually-hidden"> for {roleLabel}</span>
        </button>
      )}
    </div>
  );
}
